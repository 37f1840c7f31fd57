import type { MemberProfile, RosterPage, ScopeChoice, ScopeKeys } from '../../src/connector/contract.js';
import { SyncError } from '../../src/core/errors.js';
import type { CwMember, CwNamed, CwReference } from './types.js';

/** Department and location names by id, for older codebases whose members carry plain ids. */
export interface CwLookups {
  departments: ReadonlyMap<number, string>;
  locations: ReadonlyMap<number, string>;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const intId = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const refOf = (v: unknown): CwReference | null => (v && typeof v === 'object' ? (v as CwReference) : null);

function isCwMember(v: unknown): v is CwMember {
  if (!v || typeof v !== 'object') return false;
  const m = v as Record<string, unknown>;
  return typeof m.id === 'number' && Number.isInteger(m.id) && typeof m.identifier === 'string';
}

/** `YYYY-MM-DD` of a ConnectWise `hireDate`, or null; `1800-01-01…` is ConnectWise's "empty" value. */
export function hireDateOf(v: unknown): string | null {
  const m = typeof v === 'string' ? /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(v.trim()) : null;
  if (!m || m[1] === '1800-01-01') return null;
  return m[1]!;
}

/** A reference's id: the current shape's `{id}` object, else an older codebase's plain integer. */
function idOf(ref: CwReference | null, plainId: unknown): number | null {
  return intId(ref?.id) ?? intId(plainId);
}

/** A reference's name: the object's own name, else the lookup list's name for an older codebase's id. */
function nameOf(ref: CwReference | null, plainId: unknown, names: ReadonlyMap<number, string> | undefined): string | null {
  const own = text(ref?.name) ?? text(ref?.identifier);
  if (own !== null) return own;
  const id = idOf(ref, plainId);
  return id === null ? null : (names?.get(id) ?? null);
}

/**
 * Whether a page carries members whose department or location is a plain id without a name
 * (older codebases): their names come from the lookup lists.
 */
export function needsLookups(body: unknown): boolean {
  if (!Array.isArray(body)) return false;
  return body.some((item) => {
    if (!item || typeof item !== 'object') return false;
    const m = item as CwMember;
    const dept = refOf(m.defaultDepartment);
    const loc = refOf(m.defaultLocation);
    return (intId(m.defaultDepartmentId) !== null && text(dept?.name) === null && text(dept?.identifier) === null) || (intId(m.defaultLocationId) !== null && text(loc?.name) === null);
  });
}

function profileOf(m: CwMember, lookups: CwLookups | undefined): MemberProfile {
  return {
    department: nameOf(refOf(m.defaultDepartment), m.defaultDepartmentId, lookups?.departments),
    workRole: text(refOf(m.workRole)?.name),
    location: nameOf(refOf(m.defaultLocation), m.defaultLocationId, lookups?.locations),
    title: text(m.title),
    hireDate: hireDateOf(m.hireDate),
  };
}

function scopeKeysOf(m: CwMember): ScopeKeys {
  const type = intId(refOf(m.type)?.id);
  const dept = idOf(refOf(m.defaultDepartment), m.defaultDepartmentId);
  const loc = idOf(refOf(m.defaultLocation), m.defaultLocationId);
  return { memberType: type === null ? null : String(type), departments: dept === null ? [] : [String(dept)], location: loc === null ? null : String(loc) };
}

/**
 * Maps one page of ConnectWise members; API members (licenseClass "A") are not staff. `lookups`
 * names the departments and locations of older codebases' plain ids (see `needsLookups`).
 */
export function mapMemberPage(body: unknown, path: string, lookups?: CwLookups): { page: RosterPage; lastId: number | undefined; size: number } {
  if (!Array.isArray(body)) {
    throw new SyncError('bad_response', `ConnectWise answered GET ${path} with something other than a member list`);
  }
  const page: RosterPage = { members: [], skipped: [] };
  let lastId: number | undefined;
  for (const item of body) {
    if (!isCwMember(item)) {
      throw new SyncError('bad_response', `ConnectWise returned a member without a numeric id and identifier on GET ${path}`);
    }
    const name = [item.firstName, item.lastName].filter((p) => typeof p === 'string' && p.trim() !== '').join(' ').trim();
    const externalId = String(item.id);
    if (item.licenseClass === 'A') {
      page.skipped.push({ externalId, identifier: item.identifier, name: name || item.identifier, reason: 'api_member' });
    } else {
      page.members.push({
        externalId,
        identifier: item.identifier,
        name: name || item.identifier,
        email: typeof item.officeEmail === 'string' && item.officeEmail.trim() !== '' ? item.officeEmail.trim() : null,
        active: item.inactiveFlag !== true,
        profile: profileOf(item, lookups),
        scopeKeys: scopeKeysOf(item),
      });
    }
    lastId = item.id;
  }
  return { page, lastId, size: body.length };
}

/** Rows of a lookup list (member types, departments, locations); throws on anything else. */
export function lookupRows(body: unknown, path: string): CwNamed[] {
  if (!Array.isArray(body) || body.some((r) => !r || typeof r !== 'object' || intId((r as CwNamed).id) === null)) {
    throw new SyncError('bad_response', `ConnectWise answered GET ${path} with something other than a list of records with numeric ids`);
  }
  return body as CwNamed[];
}

/** Names by id of lookup rows (a row without a name is shown as its identifier, else `#id`). */
export function namesById(rows: readonly CwNamed[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const r of rows) names.set(r.id, text(r.name) ?? text(r.identifier) ?? `#${r.id}`);
  return names;
}

/** Scope-picker choices from lookup rows, by name. */
export function choicesOf(rows: readonly CwNamed[]): ScopeChoice[] {
  return [...namesById(rows)].map(([id, name]) => ({ id: String(id), name })).sort((a, b) => a.name.localeCompare(b.name) || Number(a.id) - Number(b.id));
}
