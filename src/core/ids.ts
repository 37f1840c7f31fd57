import { InputError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * psa-sync's own ids (accounts, members, runs, tokens) are UUIDs. Every service checks an id it is
 * given before using it, so a mistyped id is a clear input error (CLI exit 2, HTTP 400) and never
 * reaches the database as a type error.
 */
export function requireId(kind: string, value: string): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    const shown = String(value).length > 60 ? `${String(value).slice(0, 60)}…` : String(value);
    throw new InputError(`"${shown}" is not a valid ${kind} id (ids look like 3f2a9c1e-…, as printed by psa-sync)`);
  }
  return value.toLowerCase();
}
