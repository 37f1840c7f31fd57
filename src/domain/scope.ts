/**
 * An account's sync scope (product.md §2 "Sync scope and profile fields"): which of the PSA's
 * members count as staff for review tracking, narrowed by member type, department and location.
 * Pure data and pure functions; imports nothing from the rest of psa-sync.
 */

/** The dimensions a scope narrows by; the same names as `SCOPE_DIMENSIONS` of src/connector/contract.ts. */
export const SYNC_SCOPE_DIMENSIONS = ['memberTypes', 'departments', 'locations'] as const;
export type SyncScopeDimension = (typeof SYNC_SCOPE_DIMENSIONS)[number];

/**
 * The PSA ids chosen per dimension, as strings. An empty list is everyone (the default): a
 * dimension narrows only when something is chosen in it.
 */
export type SyncScope = Record<SyncScopeDimension, string[]>;

/** Where a member sits in the PSA (the shape of `ScopeKeys` in src/connector/contract.ts). */
export interface MemberScopeKeys {
  memberType?: string | null;
  departments?: string[];
  location?: string | null;
}

/** Most ids one dimension may hold: a PSA's departments or locations number in the tens, rarely hundreds. */
export const MAX_SCOPE_IDS = 500;
/** PSA ids are numbers in ConnectWise and Autotask; anything else short and plain is taken too. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Words for a dimension, singular and plural, as a person reads them. */
export const DIMENSION_WORDS: Record<SyncScopeDimension, { one: string; many: string }> = {
  memberTypes: { one: 'member type', many: 'member types' },
  departments: { one: 'department', many: 'departments' },
  locations: { one: 'location', many: 'locations' },
};

/** Everyone: the scope of an account nobody narrowed. */
export function everyone(): SyncScope {
  return { memberTypes: [], departments: [], locations: [] };
}

/** True when some dimension is narrowed. */
export function isNarrowed(scope: SyncScope): boolean {
  return SYNC_SCOPE_DIMENSIONS.some((d) => scope[d].length > 0);
}

/** A scope as stored (jsonb), read leniently: unknown keys and malformed values count as "everyone". */
export function storedScope(raw: unknown): SyncScope {
  const scope = everyone();
  if (!raw || typeof raw !== 'object') return scope;
  for (const d of SYNC_SCOPE_DIMENSIONS) {
    const v = (raw as Record<string, unknown>)[d];
    if (Array.isArray(v)) scope[d] = v.filter((x): x is string => typeof x === 'string');
  }
  return scope;
}

/** One canonical text per scope (sorted ids), so equal scopes compare and fingerprint equal. */
export function scopeKey(scope: SyncScope): string {
  return JSON.stringify(SYNC_SCOPE_DIMENSIONS.map((d) => [...scope[d]].sort()));
}

/**
 * Checks a requested scope (from the API, the CLI or the console) and returns it cleaned (ids
 * trimmed, duplicates dropped, sorted). `raw` is `{memberTypes?, departments?, locations?}`; an
 * absent or null dimension is everyone. Throws a `ScopeInputError` naming every problem: a
 * dimension this PSA has no scope for (`dimensions` are those it has), a value that is not a list
 * of ids, an id of the wrong shape, too many ids.
 */
export function parseScope(raw: unknown, dimensions: readonly SyncScopeDimension[], psa: string): SyncScope {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ScopeInputError(['the scope must be an object with memberTypes, departments and locations']);
  const problems: string[] = [];
  const scope = everyone();
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!(SYNC_SCOPE_DIMENSIONS as readonly string[]).includes(key)) {
      problems.push(`unknown scope dimension "${key.slice(0, 40)}" (use ${SYNC_SCOPE_DIMENSIONS.join(', ')})`);
      continue;
    }
    const d = key as SyncScopeDimension;
    if (value === null || value === undefined) continue;
    if (!Array.isArray(value)) {
      problems.push(`${d} must be a list of ids (empty for all ${DIMENSION_WORDS[d].many})`);
      continue;
    }
    if (value.length > 0 && !dimensions.includes(d)) {
      problems.push(`${psa} accounts cannot be narrowed by ${DIMENSION_WORDS[d].one}${dimensions.length > 0 ? ` (only by ${dimensions.map((x) => DIMENSION_WORDS[x].one).join(' and ')})` : ''}; leave ${d} empty`);
      continue;
    }
    const ids = new Set<string>();
    for (const v of value) {
      const id = typeof v === 'number' && Number.isInteger(v) ? String(v) : typeof v === 'string' ? v.trim() : undefined;
      if (id === undefined || !ID_PATTERN.test(id)) {
        problems.push(`${d} holds "${String(typeof v === 'object' ? JSON.stringify(v) : v).slice(0, 40)}", which is not a ${DIMENSION_WORDS[d].one} id`);
        continue;
      }
      ids.add(id);
    }
    if (ids.size > MAX_SCOPE_IDS) problems.push(`${d} holds ${ids.size} ids; at most ${MAX_SCOPE_IDS}`);
    scope[d] = [...ids].sort(compareIds);
  }
  if (problems.length > 0) throw new ScopeInputError(problems);
  return scope;
}

/** Numeric ids in number order, others after them in text order. */
function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A requested scope was refused; `problems` name each bad dimension or id. */
export class ScopeInputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ScopeInputError';
  }
}

/**
 * Whether a member is in the scope. Each narrowed dimension must match: a member with any of its
 * departments chosen is in; a member lacking the key (no type, no department, no location) when
 * that dimension is narrowed is out. A dimension left empty matches everyone.
 */
export function inScope(keys: MemberScopeKeys | undefined, scope: SyncScope): boolean {
  return scopeFilter(scope)?.(keys) ?? true;
}

/** `inScope` as a predicate built once (sets, for large choices); undefined when the scope is everyone. */
export function scopeFilter(scope: SyncScope): ((keys: MemberScopeKeys | undefined) => boolean) | undefined {
  if (!isNarrowed(scope)) return undefined;
  const types = new Set(scope.memberTypes);
  const departments = new Set(scope.departments);
  const locations = new Set(scope.locations);
  return (keys) => {
    if (types.size > 0 && !(keys?.memberType != null && types.has(keys.memberType))) return false;
    if (departments.size > 0 && !(keys?.departments ?? []).some((d) => departments.has(d))) return false;
    if (locations.size > 0 && !(keys?.location != null && locations.has(keys.location))) return false;
    return true;
  };
}

/** A choice of a scope picker: a PSA id and its name. */
export interface NamedChoice {
  id: string;
  name: string;
}

/**
 * A scope in words, with names where the choices give them: "departments Service Desk, Projects;
 * every location", or "everyone". An id the PSA no longer lists reads "id 12 (no longer in the PSA)".
 */
export function scopeInWords(scope: SyncScope, choices: Partial<Record<SyncScopeDimension, NamedChoice[]>> | null, dimensions: readonly SyncScopeDimension[]): string {
  if (!isNarrowed(scope)) return 'everyone';
  const parts: string[] = [];
  for (const d of dimensions) {
    if (scope[d].length === 0) continue;
    const names = new Map((choices?.[d] ?? []).map((c) => [c.id, c.name]));
    const shown = scope[d].map((id) => names.get(id) ?? (choices?.[d] ? `id ${id} (no longer in the PSA)` : `id ${id}`));
    parts.push(`${scope[d].length === 1 ? DIMENSION_WORDS[d].one : DIMENSION_WORDS[d].many} ${shown.join(', ')}`);
  }
  return parts.join('; ');
}
