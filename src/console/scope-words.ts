import type { ClientScope } from '../access/principal.js';
import type { PersonScopeView, ScopeChoice } from '../domain/person-scope.js';
import { choiceParts } from '../domain/person-scope.js';

/**
 * What an account manager sees, in words (product.md §8, §12: chosen engineers and chosen clients,
 * each included or excluded). Pure.
 */

const list = (names: readonly string[], max: number): string => {
  const shown = names.slice(0, max);
  const rest = names.length - shown.length;
  const joined = shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : joined;
};

function part(choice: ScopeChoice | null, noun: string, nouns: string, name: (value: string) => string, max: number): string {
  if (!choice) return `every ${noun}`;
  const { mode, values } = choiceParts(choice);
  const names = values.map(name).sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  if (mode === 'exclude') return `every ${noun} except ${list(names, max)}`;
  return names.length === 0 ? `no ${nouns}` : `only ${names.length === 1 ? `the ${noun}` : `these ${nouns}:`} ${list(names, max)}`;
}

/** "every engineer except Bob Baker, and only the client Acme" (`memberName` names a member id). */
export function scopeWords(scope: PersonScopeView, memberName: (id: string) => string, max = 50): string {
  return `${part(scope.members, 'engineer', 'engineers', memberName, max)}, and ${part(scope.clients, 'client', 'clients', (c) => c, max)}`;
}

const counted = (choice: ScopeChoice | null, noun: string): string => {
  if (!choice) return `every ${noun}`;
  const { mode, values } = choiceParts(choice);
  return mode === 'include' ? `${values.length} chosen ${noun}${values.length === 1 ? '' : 's'}` : `every ${noun} but ${values.length}`;
};

/**
 * The People list's short form, null when nothing is narrowed: engineers by count (names need a
 * lookup), clients by name unless `clientNames` is false (a reader narrowed by client must not
 * read the names of clients hidden from them).
 */
export function scopeShort(scope: PersonScopeView, clientNames = true): string | null {
  if (!scope.members && !scope.clients) return null;
  return `sees ${counted(scope.members, 'engineer')}; ${clientNames ? part(scope.clients, 'client', 'clients', (c) => c, 3) : counted(scope.clients, 'client')}`;
}

/**
 * Audit entries as a reader narrowed by client may see them: a role or scope change records the
 * person's scope before and after, client names included, and those names may be the very ones
 * hidden from this reader. Their client part reads "chosen clients" instead; others see it whole.
 */
export function hideClientNames<T extends { before: unknown; after: unknown }>(entries: readonly T[], reader: ClientScope | null | undefined): T[] {
  if (!reader) return [...entries];
  const redact = (v: unknown): unknown => {
    if (!v || typeof v !== 'object' || !('scope' in v)) return v;
    const scope = (v as { scope: unknown }).scope;
    if (!scope || typeof scope !== 'object' || !('clients' in scope) || (scope as { clients: unknown }).clients === null) return v;
    return { ...v, scope: { ...scope, clients: 'chosen clients' } };
  };
  return entries.map((e) => ({ ...e, before: redact(e.before), after: redact(e.after) }));
}
