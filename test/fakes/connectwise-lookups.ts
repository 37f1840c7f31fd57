/**
 * The ConnectWise fake's lookup lists (member types, departments, locations) and the profile
 * references its members carry, in the current shape or an older codebase's plain ids
 * (psa-api-facts §1.9).
 */
import type { FakeCwMember } from './connectwise-fake.js';

/** A row of a lookup list (member types, departments, locations). */
export interface FakeCwNamed {
  id: number;
  name: string;
  [key: string]: unknown;
}

export const FAKE_MEMBER_TYPES: FakeCwNamed[] = [
  { id: 1, name: 'Employee', inactiveFlag: false },
  { id: 2, name: 'Contractor', inactiveFlag: false },
  { id: 3, name: 'Former type', inactiveFlag: true },
];
export const FAKE_DEPARTMENTS: FakeCwNamed[] = [
  { id: 10, identifier: 'SVC', name: 'Service' },
  { id: 11, identifier: 'PRJ', name: 'Projects' },
  { id: 12, identifier: 'SLS', name: 'Sales' },
];
export const FAKE_LOCATIONS: FakeCwNamed[] = [
  { id: 20, name: 'Main Office' },
  { id: 21, name: 'Remote' },
];
const WORK_ROLES = [{ id: 30, name: 'Engineer' }, { id: 31, name: 'Dispatcher' }];

const ref = (r: FakeCwNamed, kind: string) => ({ id: r.id, name: r.name, ...(r.identifier ? { identifier: r.identifier } : {}), _info: { [`${kind}_href`]: `https://fake/${kind}/${r.id}` } });

/**
 * The profile references of a current-codebase member, chosen by id: every fourth has
 * ConnectWise's empty hire date `1800-01-01T08:00:00Z`.
 */
export function profileOf(id: number): Partial<FakeCwMember> {
  return {
    type: ref(FAKE_MEMBER_TYPES[id % 2]!, 'type'),
    defaultDepartment: ref(FAKE_DEPARTMENTS[id % 3]!, 'department'),
    defaultLocation: ref(FAKE_LOCATIONS[id % 2]!, 'location'),
    workRole: ref(WORK_ROLES[id % 2]!, 'workRole'),
    title: id % 3 === 0 ? null : `Technician ${id % 3}`,
    hireDate: id % 4 === 0 ? '1800-01-01T08:00:00Z' : `20${String(10 + (id % 15)).padStart(2, '0')}-0${1 + (id % 9)}-1${id % 10}T00:00:00Z`,
  };
}

/**
 * The member as an older codebase (v4_6_release era) returns it: plain integer
 * `defaultDepartmentId` / `defaultLocationId` instead of the references.
 */
export function legacyShape(m: FakeCwMember): FakeCwMember {
  const { defaultDepartment, defaultLocation, ...rest } = m as FakeCwMember & { defaultDepartment?: { id: number } | null; defaultLocation?: { id: number } | null };
  return { ...rest, defaultDepartmentId: defaultDepartment?.id ?? null, defaultLocationId: defaultLocation?.id ?? null };
}
