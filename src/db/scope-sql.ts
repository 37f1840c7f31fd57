import type { MemberScope } from '../access/principal.js';

/**
 * What a caller sees, as SQL conditions: its members (an include or an exclude list of ids, both
 * applied by the database) and its clients, compared in one form: `psa_client_key`
 * (Migration20261205000003), the database's twin of `clientKey` (src/domain/person-scope.ts). The
 * rollup keeps each row's key in `rating_day.client_key`; an event's is worked out from its name
 * (no client: '').
 */

/**
 * ` and <column> …` keeping the rows of the members a scope lets its caller see (null: all, ''),
 * its ids pushed onto `params`. Rows with no member (unmatched events, skipped records) are no
 * narrowed caller's.
 */
export function memberScopeCondition(column: string, scope: MemberScope | null | undefined, params: unknown[]): string {
  if (!scope) return '';
  params.push(scope.ids);
  return scope.mode === 'include' ? ` and ${column} = any(?::uuid[])` : ` and ${column} is not null and ${column} <> all(?::uuid[])`;
}

/** The key of a survey event's client ('' when it names none). */
export const eventClientKey = (alias: string): string => `psa_client_key(coalesce(${alias}client, ''))`;

/**
 * A condition on a client key: one of a list of names (`in`) or none of them (`not in`), the list
 * bound as one text[] parameter and keyed by the database too.
 */
export function clientListCondition(key: string, mode: 'in' | 'not in'): string {
  return mode === 'in' ? `${key} = any(psa_client_keys(?::text[]))` : `${key} <> all(psa_client_keys(?::text[]))`;
}
