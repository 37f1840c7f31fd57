/**
 * What an admin narrows an account manager to (product.md §8, names for §12): chosen engineers
 * (member ids) and chosen clients (names), each as an include or an exclude list. JSON:
 * `{"members": {"include": [ids]} | {"exclude": [ids]} | null, "clients": {"include": [names]} | {"exclude": [names]} | null}`;
 * null (or an empty exclude list): all.
 */
export type ScopeChoice = { include: string[] } | { exclude: string[] };

/**
 * A client list as a reader is shown it: names hidden from that reader are left out, and `hidden`
 * says how many (absent when none is).
 */
export type ShownChoice = ScopeChoice & { hidden?: number };

/** A person's scope as shown (people list, `GET /api/v1/me`); null parts: all. */
export interface PersonScopeView {
  members: ScopeChoice | null;
  clients: ShownChoice | null;
}

/** A change of scope: an absent part is left as it is; null widens it to all. */
export interface PersonScopeInput {
  members?: ScopeChoice | null;
  clients?: ScopeChoice | null;
}

/**
 * Most engineers or clients one scope part lists. Every read of a narrowed manager carries the
 * list to the database, and the People page shows it; a longer choice is the other mode's shorter
 * list ("only these" instead of "all except these", or the other way round).
 */
export const MAX_SCOPE_VALUES = 1_000;

/** Longest client name (product.md §8: a survey event's `client` is at most 200 characters). */
export const CLIENT_MAX = 200;
/** Longest comment. */
export const COMMENT_MAX = 2000;

/** `{include: […]}` or `{exclude: […]}` as a mode and its values. */
export function choiceParts(c: ScopeChoice): { mode: 'include' | 'exclude'; values: string[] } {
  return 'include' in c ? { mode: 'include', values: c.include } : { mode: 'exclude', values: c.exclude };
}

/**
 * Whitespace in a client name: JavaScript's `\s` spelled out (tab, line breaks, the no-break and
 * other Unicode spaces, the byte-order mark), the same class the database's `psa_client_key` uses.
 */
const CLIENT_SPACE = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+/g;

/** A client name with every run of whitespace one space, trimmed. */
const spaced = (name: string): string => name.replace(CLIENT_SPACE, ' ').replace(/^ | $/g, '');

/**
 * The one form client names are compared in (scopes, filters, report groups, pickers): whitespace
 * runs one space, trimmed, lower-cased by Unicode's full case mapping, then NFC. The database's
 * `psa_client_key(text)` gives the same text (test/integration/client-key.test.ts holds them to
 * it), so a name compares the same in TypeScript and in SQL whatever its case, accents or spaces.
 */
export function clientKey(name: string): string {
  return spaced(name).toLowerCase().normalize('NFC');
}

/** A client name as stored: trimmed, inner whitespace one space; null when empty. */
export function cleanClient(name: string | null | undefined): string | null {
  const c = spaced(name ?? '');
  return c === '' ? null : c;
}
