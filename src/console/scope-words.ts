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

/** The People list's short form: engineers by count (names need a lookup), clients by name; null when nothing is narrowed. */
export function scopeShort(scope: PersonScopeView): string | null {
  if (!scope.members && !scope.clients) return null;
  const members = scope.members ? choiceParts(scope.members) : null;
  const engineers = !members ? 'every engineer' : members.mode === 'include' ? `${members.values.length} chosen engineer${members.values.length === 1 ? '' : 's'}` : `every engineer but ${members.values.length}`;
  return `sees ${engineers}; ${part(scope.clients, 'client', 'clients', (c) => c, 3)}`;
}
