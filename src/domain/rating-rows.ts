import { CLIENT_MAX, COMMENT_MAX, cleanClient } from './person-scope.js';

/** Most rows one history import takes. */
export const MAX_IMPORT_ROWS = 100_000;

/** The CSV columns of a history import (product.md §8), as they map to row fields. */
export const IMPORT_COLUMNS = {
  at: 'at',
  rating: 'rating',
  ticket: 'ticket',
  respondent: 'respondent',
  client: 'client',
  comment: 'comment',
  agent_id: 'agentId',
  agent_email: 'agentEmail',
  agent_name: 'agentName',
} as const;
type Field = (typeof IMPORT_COLUMNS)[keyof typeof IMPORT_COLUMNS];

/** A validated history row. `row` is the number a person sees: CSV counts the header as row 1; JSON items count from 1. */
export interface ImportedRating {
  row: number;
  at: Date;
  rating: number;
  ticket: string;
  respondent: string;
  client: string | null;
  comment: string | null;
  agentId: string | null;
  agentEmail: string | null;
  agentName: string | null;
}

const LIMITS: Partial<Record<Field, number>> = { ticket: 64, respondent: 320, client: CLIENT_MAX, comment: COMMENT_MAX, agentId: 64, agentEmail: 320, agentName: 200 };
const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$/;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** The offset of `timeZone` from UTC at an instant, in ms. */
function offsetAt(t: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  return Date.UTC(+parts.year!, +parts.month! - 1, +parts.day!, +parts.hour!, +parts.minute!, +parts.second!) - Math.floor(t / 1000) * 1000;
}

/** A wall-clock time in `timeZone` as an instant (the later reading, for a time a DST change skips). */
export function zonedInstant(y: number, mo: number, d: number, h: number, mi: number, s: number, timeZone: string): Date {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  return new Date(t);
}

/** `at`: an instant with a zone (`…Z`, `…+02:00`), or a local date or date-time in the account's time zone. */
function parseAt(value: string, timeZone: string): Date | undefined {
  if (INSTANT.test(value)) {
    const t = Date.parse(value);
    return Number.isNaN(t) ? undefined : new Date(t);
  }
  const m = LOCAL.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const check = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return zonedInstant(y, mo, d, h, mi, s, timeZone);
}

function text(values: Record<string, unknown>, field: Field, problems: string[]): string | null {
  const v = values[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' && typeof v !== 'number') {
    problems.push(`${field} must be text`);
    return null;
  }
  const t = (field === 'comment' ? String(v).replace(/\r\n?/g, '\n') : String(v)).replace(CONTROL, '').trim();
  const limit = LIMITS[field];
  if (limit !== undefined && [...t].length > limit) {
    problems.push(`${field} is longer than ${limit} characters`);
    return null;
  }
  return t === '' ? null : t;
}

/**
 * Validates one history row (JSON keys in camelCase or as the CSV columns). Problems name the
 * field; the row is returned only when there are none.
 */
export function validateRow(row: number, values: Record<string, unknown>, timeZone: string, now: Date): { rating?: ImportedRating; problems: string[] } {
  const problems: string[] = [];
  const v: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) v[(IMPORT_COLUMNS as Record<string, string>)[key] ?? key] = value;
  const unknown = Object.keys(v).filter((k) => !(Object.values(IMPORT_COLUMNS) as string[]).includes(k));
  if (unknown.length > 0) problems.push(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k.slice(0, 30)}"`).join(', ')}`);

  let at: Date | undefined;
  const atRaw = v.at;
  if (atRaw === undefined || atRaw === null || atRaw === '') problems.push('at is missing');
  else if (typeof atRaw !== 'string' || !(at = parseAt(atRaw.trim(), timeZone))) problems.push(`at must be a date (YYYY-MM-DD), a local date-time, or an ISO 8601 instant (got "${String(atRaw).slice(0, 40)}")`);
  else if (at.getTime() > now.getTime()) problems.push(`at is in the future (${atRaw})`);
  else if (at.getUTCFullYear() < 2000) problems.push(`at is before the year 2000 (${atRaw})`);

  let rating = Number.NaN;
  const r = v.rating;
  if (r === undefined || r === null || r === '') problems.push('rating is missing');
  else {
    rating = typeof r === 'number' ? r : typeof r === 'string' && /^\s*\d+\s*$/.test(r) ? Number(r) : Number.NaN;
    if (!Number.isInteger(rating) || rating < 0 || rating > 10) problems.push(`rating must be a whole number from 0 to 10 (got "${String(r).slice(0, 20)}")`);
  }
  const ticket = text(v, 'ticket', problems) ?? '';
  const respondent = text(v, 'respondent', problems) ?? '';
  const client = cleanClient(text(v, 'client', problems));
  const comment = text(v, 'comment', problems);
  const agentId = text(v, 'agentId', problems);
  const agentEmail = text(v, 'agentEmail', problems);
  const agentName = text(v, 'agentName', problems);
  if (agentEmail && !EMAIL.test(agentEmail)) problems.push(`agent_email "${agentEmail.slice(0, 80)}" is not an email address`);
  if (!agentId && !agentEmail && !agentName && !problems.some((p) => p.startsWith('agent'))) problems.push('the agent is missing: give agent_id, agent_email or agent_name');
  if (ticket.startsWith('no-ticket:')) problems.push('ticket may not start with "no-ticket:"');
  if (problems.length > 0) return { problems };
  return { rating: { row, at: at!, rating, ticket, respondent, client, comment, agentId, agentEmail, agentName }, problems };
}

/** Rows of a CSV import: the header names the columns (any order; `at`, `rating` and an agent column are needed). */
export function csvRecords(records: string[][]): { row: number; values: Record<string, unknown> }[] {
  const [header, ...rest] = records;
  if (!header) throw new ImportFormatError('the CSV file is empty; it needs the header at,rating,ticket,respondent,client,comment,agent_id,agent_email,agent_name');
  const columns = header.map((h) => h.trim().toLowerCase());
  const unknown = columns.filter((c) => !(c in IMPORT_COLUMNS));
  if (unknown.length > 0) throw new ImportFormatError(`row 1 (the header): unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c.slice(0, 30)}"`).join(', ')}; the columns are ${Object.keys(IMPORT_COLUMNS).join(',')}`);
  const missing = ['at', 'rating'].filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new ImportFormatError(`row 1 (the header): the column${missing.length > 1 ? 's' : ''} ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing`);
  return rest.map((record, i) => {
    const values: Record<string, unknown> = {};
    columns.forEach((c, col) => {
      if (record[col] !== undefined && record[col] !== '') values[c] = record[col];
    });
    if (record.length > columns.length) values[`column ${columns.length + 1}`] = record[columns.length];
    return { row: i + 2, values };
  });
}

/** A file that cannot be read as rows at all (empty, bad header, not JSON). */
export class ImportFormatError extends Error {}

/** A ticket for a row without one: the same row always gets the same ticket, so importing it again changes nothing. */
export function rowKeyText(r: ImportedRating): string {
  return JSON.stringify([r.at.toISOString(), r.rating, r.respondent, r.agentId, r.agentEmail, r.agentName, r.client, r.comment]);
}
