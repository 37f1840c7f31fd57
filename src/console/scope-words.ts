import type { PersonScopeView, ScopeChoice, ShownChoice } from '../domain/person-scope.js';
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

const counted = (choice: ShownChoice | null, noun: string): string => {
  if (!choice) return `every ${noun}`;
  const { mode, values } = choiceParts(choice);
  const n = values.length + (choice.hidden ?? 0);
  return mode === 'include' ? `${n} chosen ${noun}${n === 1 ? '' : 's'}` : `every ${noun} but ${n}`;
};

/**
 * The People list's short form, null when nothing is narrowed: engineers by count (names need a
 * lookup), clients by name unless `clientNames` is false (a reader narrowed by client reads them
 * counted) or some were hidden from the reader (the service left them out).
 */
export function scopeShort(scope: PersonScopeView, clientNames = true): string | null {
  if (!scope.members && !scope.clients) return null;
  const named = clientNames && !scope.clients?.hidden;
  return `sees ${counted(scope.members, 'engineer')}; ${named ? part(scope.clients, 'client', 'clients', (c) => c, 3) : counted(scope.clients, 'client')}`;
}

/**
 * Audit entries in words: a role or scope change records the person's scope before and after, and
 * the service has left out the client names hidden from the reader; such a client part reads
 * "chosen clients" rather than a partial list. Others stay whole.
 */
export function hiddenClientWords<T extends { before: unknown; after: unknown }>(entries: readonly T[]): T[] {
  const words = (v: unknown): unknown => {
    const clients = (v as { scope?: { clients?: { hidden?: number } | null } } | null)?.scope?.clients;
    if (!clients || typeof clients !== 'object' || !clients.hidden) return v;
    return { ...(v as object), scope: { ...(v as { scope: object }).scope, clients: 'chosen clients' } };
  };
  return entries.map((e) => ({ ...e, before: words(e.before), after: words(e.after) }));
}
