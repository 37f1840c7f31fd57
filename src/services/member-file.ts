import { InputError } from '../core/errors.js';

/** One member from a setup import file (product.md §2 snippet rule 1). */
export interface ImportRow {
  /** 1-based row number as a person sees it (the CSV header is row 1; JSON items count from 1). */
  row: number;
  name: string;
  email: string;
  agentId: string | null;
}

export const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;
const MAX_ROWS = 10_000;

/** Splits CSV text into records (RFC 4180: quoted fields, doubled quotes, newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new InputError('the CSV file ends inside a quoted field');
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

const HEADER_ALIASES: Record<string, 'name' | 'email' | 'agentId'> = {
  name: 'name',
  email: 'email',
  agent_id: 'agentId',
  agentid: 'agentId',
  'agent id': 'agentId',
};

function rawRows(text: string, format: 'csv' | 'json'): { row: number; values: Record<string, unknown> }[] {
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new InputError('the import file is not valid JSON', { cause });
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { members?: unknown })?.members;
    if (!Array.isArray(list)) throw new InputError('a JSON import file must be an array of members, or {"members": [...]}');
    return list.map((values, i) => ({ row: i + 1, values: values && typeof values === 'object' ? (values as Record<string, unknown>) : { invalid: values } }));
  }
  const records = parseCsv(text.replace(/^\uFEFF/, ''));
  if (records.length === 0) throw new InputError('the CSV file is empty; it needs a header row: name,email,agent_id');
  const header = records[0]!.map((h) => HEADER_ALIASES[h.trim().toLowerCase()]);
  if (!header.includes('name') || !header.includes('email')) throw new InputError('the CSV header must name the columns name and email (agent_id is optional)');
  return records.slice(1).map((r, i) => {
    const values: Record<string, unknown> = {};
    header.forEach((key, col) => {
      if (key) values[key] = r[col];
    });
    return { row: i + 2, values };
  });
}

/**
 * Parses and validates a whole import file. Any bad row makes the whole file fail, with every bad
 * row named, so nothing is imported from a file a person still has to fix.
 */
export function parseMemberFile(text: string, format: 'csv' | 'json'): ImportRow[] {
  const raw = rawRows(text, format);
  if (raw.length === 0) throw new InputError('the import file has no members');
  if (raw.length > MAX_ROWS) throw new InputError(`the import file has ${raw.length} members; at most ${MAX_ROWS} per file`);
  const problems: string[] = [];
  const rows: ImportRow[] = [];
  const seenEmail = new Map<string, number>();
  const seenAgent = new Map<string, number>();
  for (const { row, values } of raw) {
    const name = typeof values.name === 'string' ? values.name.trim() : '';
    const email = typeof values.email === 'string' ? values.email.trim() : '';
    const agentRaw = values.agentId ?? values.agent_id;
    const agentId = agentRaw === undefined || agentRaw === null || agentRaw === '' ? null : String(agentRaw).trim();
    const bad: string[] = [];
    if ('invalid' in values) bad.push('is not an object');
    if (name === '') bad.push('name is missing');
    else if (name.length > 200) bad.push('name is longer than 200 characters');
    if (email === '') bad.push('email is missing');
    else if (!EMAIL.test(email) || email.length > 320) bad.push(`email "${email.slice(0, 80)}" is not an email address`);
    if (agentId !== null && (agentId.length > 64 || !/^[\w.:@-]+$/.test(agentId))) bad.push('agent id must be up to 64 letters, digits or . _ : @ -');
    const emailKey = email.toLowerCase();
    if (email && seenEmail.has(emailKey)) bad.push(`email ${email} is also on row ${seenEmail.get(emailKey)}`);
    if (agentId && seenAgent.has(agentId)) bad.push(`agent id ${agentId} is also on row ${seenAgent.get(agentId)}`);
    if (bad.length > 0) {
      problems.push(`row ${row}: ${bad.join('; ')}`);
      continue;
    }
    seenEmail.set(emailKey, row);
    if (agentId) seenAgent.set(agentId, row);
    rows.push({ row, name, email, agentId });
  }
  if (problems.length > 0) {
    // One line, as every CLI failure is: rows separated by " | ".
    const shown = problems.slice(0, 20).join(' | ');
    throw new InputError(`nothing was imported: ${problems.length} invalid row${problems.length === 1 ? '' : 's'}: ${shown}${problems.length > 20 ? ` | …and ${problems.length - 20} more` : ''}`);
  }
  return rows;
}
