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

/** Longest client name (product.md §8: a survey event's `client` is at most 200 characters). */
export const CLIENT_MAX = 200;
/** Longest comment. */
export const COMMENT_MAX = 2000;

/** `{include: […]}` or `{exclude: […]}` as a mode and its values. */
export function choiceParts(c: ScopeChoice): { mode: 'include' | 'exclude'; values: string[] } {
  return 'include' in c ? { mode: 'include', values: c.include } : { mode: 'exclude', values: c.exclude };
}

/** Client names compare trimmed, with inner spaces collapsed, case-insensitively. */
export function clientKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** A client name as stored: trimmed, inner spaces collapsed; null when empty. */
export function cleanClient(name: string | null | undefined): string | null {
  const c = (name ?? '').trim().replace(/\s+/g, ' ');
  return c === '' ? null : c;
}
