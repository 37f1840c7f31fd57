import { InputError } from '../core/errors.js';

/** A page request as it comes from a URL: how many, and where the previous page ended. */
export interface PageRequest {
  limit: number;
  cursor?: string[];
}

/** An opaque cursor for keyset paging: the last row's sort values. */
export function encodeCursor(values: readonly string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodeCursor(cursor: string, arity: number): string[] {
  try {
    const values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(values) && values.length === arity && values.every((v) => typeof v === 'string' && v.length <= 200)) return values as string[];
  } catch {
    // fall through
  }
  throw new InputError('cursor is not one this server gave out; start again from the first page');
}

/** Reads `limit` (1–500, default 50) and `cursor` (of `arity` values); every problem is named. */
export function parsePageRequest(raw: { limit?: string; cursor?: string }, arity: number, problems: string[]): PageRequest {
  let limit = 50;
  if (raw.limit !== undefined && raw.limit !== '') {
    limit = /^\d+$/.test(raw.limit) ? Number(raw.limit) : Number.NaN;
    if (!(limit >= 1 && limit <= 500)) problems.push(`limit must be a whole number from 1 to 500 (got "${raw.limit.slice(0, 20)}")`);
  }
  return { limit, cursor: raw.cursor ? decodeCursor(raw.cursor, arity) : undefined };
}

/** Rules out unknown query parameters by name. */
export function unknownParams(raw: Record<string, unknown>, known: readonly string[], problems: string[]): void {
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  if (unknown.length > 0) problems.push(`unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`);
}

/** Splits `limit + 1` rows into the page and the next cursor. */
export function pageOf<R>(rows: R[], limit: number, cursorOf: (last: R) => string[]): { rows: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: rows.length > limit && page.length > 0 ? encodeCursor(cursorOf(page.at(-1)!)) : null };
}

/** `limit` and `cursor` (and nothing else) for a list paged by a serial id (change entries, audit entries). */
export function parseSerialPage(raw: Record<string, string | undefined>): PageRequest {
  const problems: string[] = [];
  unknownParams(raw, ['limit', 'cursor'], problems);
  const page = parsePageRequest(raw, 1, problems);
  if (page.cursor && !/^\d+$/.test(page.cursor[0]!)) problems.push('cursor is not one this server gave out; start again from the first page');
  if (problems.length > 0) throw new InputError(problems.join('; '));
  return page;
}
