import { choiceParts, clientKey, type PersonScopeView, type ScopeChoice, type ShownChoice } from '../domain/person-scope.js';
import type { Principal } from './principal.js';

/**
 * Which client names a reader may read where people's scopes are shown (product.md §12: a client
 * hidden from someone disappears for them completely). A scope names clients — another manager's
 * include list, the reader's own exclude list — and those names may be the very ones hidden from
 * the reader. Ratings and survey events are filtered by the reader's scope in SQL; this is for the
 * names a scope itself carries: the people list, the audit trail, a member's history, `/me` and
 * the answer to signing in. Pure.
 */

/** Who reads: a caller's role and client scope; undefined is the operator's CLI (reads everything). */
export type ClientReader = Pick<Principal, 'role' | 'clientScope'> | undefined;


/**
 * A test for the client names `reader` may read in a scope. An employee reads none (their own
 * ratings name their clients; other people's views are not theirs to read); a manager narrowed by
 * clients reads those it sees; everyone else reads every name.
 */
export function clientNameFilter(reader: ClientReader): (name: string) => boolean {
  if (!reader) return () => true;
  if (reader.role === 'employee') return () => false;
  const scope = reader.clientScope;
  if (!scope) return () => true;
  const listed = new Set(scope.names.map(clientKey));
  return scope.mode === 'include' ? (name) => listed.has(clientKey(name)) : (name) => !listed.has(clientKey(name));
}

/** A client list (include or exclude) with the names hidden from the reader left out and counted. */
export function choiceSeenBy(reader: ClientReader, choice: ScopeChoice, sees = clientNameFilter(reader)): ShownChoice {
  const { mode, values } = choiceParts(choice);
  const shown = values.filter(sees);
  const hidden = values.length - shown.length;
  const seen: ScopeChoice = mode === 'include' ? { include: shown } : { exclude: shown };
  return hidden > 0 ? { ...seen, hidden } : seen;
}

/** A person's scope as `reader` may read it (engineers are ids, shown as they are). */
export function scopeSeenBy(reader: ClientReader, scope: PersonScopeView): PersonScopeView {
  return { members: scope.members, clients: scope.clients && choiceSeenBy(reader, scope.clients) };
}

/** `{mode, names}` (a Principal's own client scope, as `/me` shows it) as `reader` may read it. */
export function clientScopeSeenBy(reader: ClientReader, scope: { mode: 'include' | 'exclude'; names: readonly string[] }): { mode: 'include' | 'exclude'; names: string[]; hidden?: number } {
  const seen = choiceSeenBy(reader, scope.mode === 'include' ? { include: [...scope.names] } : { exclude: [...scope.names] });
  const { mode, values } = choiceParts(seen);
  return seen.hidden ? { mode, names: values, hidden: seen.hidden } : { mode, names: values };
}

/**
 * Audit entries as `reader` may read them: a role or scope change records the person's scope
 * before and after (`{scope: {members, clients}}`), client names included.
 */
export function auditSeenBy<T extends { before: unknown; after: unknown }>(reader: ClientReader, entries: readonly T[]): T[] {
  const sees = clientNameFilter(reader);
  const redact = (v: unknown): unknown => {
    if (!v || typeof v !== 'object' || !('scope' in v)) return v;
    const scope = (v as { scope: unknown }).scope;
    if (!scope || typeof scope !== 'object') return v;
    const clients = (scope as { clients?: unknown }).clients;
    if (!clients || typeof clients !== 'object') return v;
    const keys = Object.keys(clients);
    const list = (clients as Record<string, unknown>)[keys[0] ?? ''];
    if (keys.length !== 1 || (keys[0] !== 'include' && keys[0] !== 'exclude') || !Array.isArray(list)) return { ...v, scope: { ...scope, clients: 'chosen clients' } };
    const choice = (keys[0] === 'include' ? { include: list.map(String) } : { exclude: list.map(String) }) as ScopeChoice;
    return { ...v, scope: { ...scope, clients: choiceSeenBy(reader, choice, sees) } };
  };
  return entries.map((e) => ({ ...e, before: redact(e.before), after: redact(e.after) }));
}

/** A person reading their own record (signing in): they read their scope as their scope lets them. */
export function readerOf(person: { role: Principal['role']; scope: PersonScopeView }): ClientReader {
  const clients = person.scope.clients;
  if (!clients || person.role !== 'account_manager') return { role: person.role, clientScope: null };
  const { mode, values } = choiceParts(clients);
  return { role: person.role, clientScope: { mode, names: values } };
}
