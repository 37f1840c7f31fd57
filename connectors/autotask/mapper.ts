import type { MemberProfile, RemoteMember, RosterPage, ScopeKeys } from '../../src/connector/contract.js';
import { SyncError } from '../../src/core/errors.js';
import type { AtField, AtNamed, AtResource, AtRoleDepartment } from './types.js';

/** What a page of Resources is mapped with: read once per run, before the pages are mapped. */
export interface Lookups {
  /** `licenseType` values (as strings) whose label is "API User…": API-only users are not staff. */
  apiUserLicenses: ReadonlySet<string>;
  departments: ReadonlyMap<number, string>;
  locations: ReadonlyMap<number, string>;
  /** Each resource's active departments, and the default one. */
  memberships: ReadonlyMap<number, Membership>;
}

export interface Membership {
  departments: number[];
  defaultDepartment: number | null;
}

/** The license-type label of Autotask's API-only users, "API User (system)" in one tenant (psa-api-facts §5.2). */
const API_USER_LABEL = /^\s*API User\b/i;

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/**
 * The `licenseType` values that mean "API user", read from `Resources/entityInformation/fields`
 * by their label, never assumed (7 in one tenant). A picklist without such a label is an answer we
 * cannot sort staff with, so the read stops rather than counting API users as staff.
 */
export function apiUserLicenseValues(body: unknown): Set<string> {
  const fields = (body as { fields?: unknown } | null)?.fields;
  if (!Array.isArray(fields)) throw new SyncError('bad_response', 'Autotask answered GET Resources/entityInformation/fields without a list of fields');
  const license = (fields as AtField[]).find((f) => f && typeof f.name === 'string' && f.name.toLowerCase() === 'licensetype');
  const values = new Set<string>();
  for (const v of license?.picklistValues ?? []) if (v && typeof v.label === 'string' && API_USER_LABEL.test(v.label)) values.add(String(v.value));
  if (values.size === 0) {
    throw new SyncError('bad_response', 'Autotask\'s Resources field list has no license type labelled "API User", so API-only users cannot be told from staff; nothing was changed');
  }
  return values;
}

/** Names by id of a lookup entity (Departments, InternalLocations). */
export function namesById(items: readonly AtNamed[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const item of items) names.set(item.id, text(item.name) ?? `#${item.id}`);
  return names;
}

/**
 * Adds a page of `ResourceRoleDepartments` rows to each resource's departments (one row per role
 * in a department, so a department can repeat), kept sorted, so pages are taken in as they arrive.
 * The default is the first row marked `isDefault`.
 */
export function addMemberships(out: Map<number, Membership>, rows: readonly AtRoleDepartment[]): void {
  for (const row of rows) {
    // The query asks for active rows only; a server that ignored that is filtered here.
    if (row.isActive === false || typeof row.resourceID !== 'number' || typeof row.departmentID !== 'number') continue;
    let m = out.get(row.resourceID);
    if (!m) out.set(row.resourceID, (m = { departments: [], defaultDepartment: null }));
    const ids = m.departments;
    if (!ids.includes(row.departmentID)) {
      let at = ids.length;
      while (at > 0 && ids[at - 1]! > row.departmentID) at--;
      ids.splice(at, 0, row.departmentID);
    }
    if (row.isDefault === true && m.defaultDepartment === null) m.defaultDepartment = row.departmentID;
  }
}

/** `YYYY-MM-DD` of Autotask's `hireDate` ("2019-05-01T00:00:00"), or null. */
export function hireDateOf(v: unknown): string | null {
  const m = typeof v === 'string' ? /^(\d{4}-\d{2}-\d{2})(?:$|T)/.exec(v.trim()) : null;
  return m ? m[1]! : null;
}

/** A page of Resources mapped but for what the lookups decide; see `completeResources`. */
export interface PartlyMappedPage {
  page: RosterPage;
  /** Each member of the page with the ids its lookups name. */
  pending: { member: RemoteMember & { profile: MemberProfile; scopeKeys: ScopeKeys }; resourceId: number; locationId: number | null }[];
}

/**
 * Maps what a page of Resources (sorted by id) decides alone, as soon as it arrives: the lookups
 * that name departments and locations come in beside the walk. API-only users are skipped.
 */
export function mapResourcesPartly(items: readonly AtResource[], apiUserLicenses: ReadonlySet<string>): PartlyMappedPage {
  const out: PartlyMappedPage = { page: { members: [], skipped: [] }, pending: [] };
  for (const r of items) {
    // Never guess whether someone is active: a resource without isActive stops the read.
    if (typeof r.isActive !== 'boolean') throw new SyncError('bad_response', `Autotask returned resource ${r.id} without isActive`);
    const externalId = String(r.id);
    const identifier = text(r.userName);
    const name = [text(r.firstName), text(r.lastName)].filter(Boolean).join(' ') || identifier || `Resource ${r.id}`;
    if (r.licenseType !== null && r.licenseType !== undefined && apiUserLicenses.has(String(r.licenseType))) {
      out.page.skipped.push({ externalId, identifier, name, reason: 'api_user' });
      continue;
    }
    const locationId = typeof r.locationID === 'number' ? r.locationID : null;
    const member = {
      externalId,
      identifier,
      name,
      email: text(r.email),
      active: r.isActive,
      // Autotask has no work role on the resource; its roles are per department.
      profile: { department: null, workRole: null, location: null, title: text(r.title), hireDate: hireDateOf(r.hireDate) },
      scopeKeys: { departments: [] as string[], location: locationId === null ? null : String(locationId) },
    };
    out.page.members.push(member);
    out.pending.push({ member, resourceId: r.id, locationId });
  }
  return out;
}

/** Names each member's default department and location, and gives it its departments for the scope. */
export function completeResources({ page, pending }: PartlyMappedPage, lookups: Lookups): RosterPage {
  for (const { member, resourceId, locationId } of pending) {
    const membership = lookups.memberships.get(resourceId);
    if (membership) {
      if (membership.defaultDepartment !== null) member.profile.department = lookups.departments.get(membership.defaultDepartment) ?? null;
      member.scopeKeys.departments = membership.departments.map(String);
    }
    if (locationId !== null) member.profile.location = lookups.locations.get(locationId) ?? null;
  }
  return page;
}
