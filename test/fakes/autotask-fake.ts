/**
 * An in-memory Autotask PSA shaped by psa-api-facts.md §5: zone discovery (500 for an unknown
 * user), header auth (wrong secret 401; unknown user or integration code 500, `{"errors": […]}`),
 * `POST {Entity}/query` with filter, IncludeFields and at most 500 a page in no particular order,
 * a `nextPageUrl` that answers only POST with the same body, `query/count`,
 * `Resources/entityInformation/fields`, Departments, ResourceRoleDepartments, InternalLocations,
 * and the thread threshold error past 3 requests in flight (it records the most it saw at once).
 * Tests inject other quirks (429s, 500s) as interceptors. Served by msw or on 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import type { FakeRequest, FakeResponse, Interceptor } from './connectwise-fake.js';
import { project, scramble, select, type FakeRecord, type QueryBody } from './autotask-query.js';

export interface FakeAtResource extends FakeRecord {
  userName: string;
  firstName: string;
  lastName: string;
  email: string | null;
  isActive: boolean;
  resourceType: string;
  licenseType: number;
  userType: number;
  locationID: number | null;
  hireDate: string | null;
  title: string | null;
}

export const AT_CREDENTIALS = { userName: 'psa-sync-api@acme.test', secret: 'atSECRETvalue77', integrationCode: 'INTEGRATIONCODE0001XYZ' };

export const THREAD_THRESHOLD_MESSAGE = 'The Autotask API thread threshold of 3 threads has been exceeded';

/** The license types of one tenant (psa-api-facts §5.2); API users are 7 there. */
export const LICENSE_TYPES: [number, string][] = [
  [1, 'Administrator'], [2, 'Executive'], [3, 'Professional'], [4, 'Team Member'], [5, 'Time & Attendance Only'],
  [6, 'Dashboard User'], [7, 'API User (system)'], [8, 'Contractor'], [9, 'Co-Managed Help Desk'],
];

export const AT_DEPARTMENTS = [
  { id: 1, name: 'Service Desk', number: 'SD', primaryLocationID: 3 },
  { id: 2, name: 'Projects', number: 'PR', primaryLocationID: 3 },
  { id: 3, name: 'Accounting', number: 'AC', primaryLocationID: 4 },
];
export const AT_LOCATIONS = [
  { id: 3, name: 'Head Office', isDefault: true, city: 'Springfield' },
  { id: 4, name: 'Branch Office', isDefault: false, city: 'Shelbyville' },
];

/** A resource as the fact sheet's mock shows it. */
export function atResource(id: number, overrides: Partial<FakeAtResource> = {}): FakeAtResource {
  return {
    id, userName: `user${id}`, firstName: `First${id}`, lastName: `Last${id}`, email: `user${id}@acme.test`, email2: null, isActive: true,
    resourceType: 'Employee', licenseType: 3, userType: 1, locationID: 3 + (id % 2), hireDate: '2019-05-01T00:00:00', title: 'Technician', ...overrides,
  };
}

export function atResources(n: number, from = 1): FakeAtResource[] {
  return Array.from({ length: n }, (_, i) => atResource(from + i));
}

/** n staff from id 1, an API user, two inactive resources and one without email. */
export function atRoster(n: number): FakeAtResource[] {
  return [
    ...atResources(n),
    atResource(9001, { userName: 'api-sync', firstName: 'Integration', lastName: 'User', licenseType: 7, email: null }),
    atResource(9002, { firstName: 'Ida', lastName: 'Inactive', isActive: false }),
    atResource(9003, { firstName: 'Otto', lastName: 'Old', isActive: false, licenseType: 8 }),
    atResource(9004, { firstName: 'Nell', lastName: 'Nomail', email: null }),
  ];
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): FakeResponse => ({ status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const errors = (status: number, message: string) => json(status, { errors: [message] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class AutotaskFake {
  resources: FakeAtResource[] = [];
  departments: FakeRecord[] = AT_DEPARTMENTS.map((d) => ({ ...d }));
  locations: FakeRecord[] = AT_LOCATIONS.map((l) => ({ ...l }));
  /** One row per resource, role and department; set by `setResources` unless given. */
  roleDepartments: FakeRecord[] = [];
  licenseTypes: [number, string][] = LICENSE_TYPES;
  credentials = { ...AT_CREDENTIALS };
  /** Where the tenant's zone lives on this host; change it to move the tenant. */
  zonePath = '/atservicesrest/';
  /** Overrides what `Resources/query/count` reports. */
  countOverride: number | undefined;
  /** Each request takes this long, so concurrent ones overlap. */
  latencyMs = 0;
  /** Requests in flight beyond this answer the thread threshold error, with this status. */
  threadLimit = 3;
  threadErrorStatus = 500;
  inFlight = 0;
  maxInFlight = 0;
  threadErrors = 0;
  readonly interceptors: Interceptor[] = [];
  readonly requests: { method: string; path: string; query: Record<string, string>; headers: Record<string, string>; body: unknown }[] = [];
  readonly #paging = new Map<string, { path: string; body: string; offset: number }>();

  constructor(resources: FakeAtResource[] = []) {
    this.setResources(resources);
  }

  /** Replaces the roster; each resource gets a default department (Service Desk or Projects by id), every tenth one Accounting too. */
  setResources(resources: FakeAtResource[], memberships = true): void {
    this.resources = [...resources];
    if (!memberships) return;
    let rowId = 1;
    this.roleDepartments = resources.flatMap((r) => [
      { id: rowId++, resourceID: r.id, departmentID: 1 + (r.id % 2), roleID: 29683000, isDefault: true, isActive: true, isDepartmentLead: false },
      ...(r.id % 10 === 0 ? [{ id: rowId++, resourceID: r.id, departmentID: 3, roleID: 29683001, isDefault: false, isActive: true, isDepartmentLead: false }] : []),
    ]);
  }

  update(id: number, patch: Partial<FakeAtResource>): void {
    const r = this.resources.find((x) => x.id === id);
    if (!r) throw new Error(`no fake resource ${id}`);
    Object.assign(r, patch);
  }

  remove(id: number): void {
    this.resources = this.resources.filter((r) => r.id !== id);
  }

  intercept(fn: Interceptor): void {
    this.interceptors.push(fn);
  }

  /**
   * The next `times` queries of `entity` answer 429, with `Retry-After` when given (whether
   * Autotask sends one is unconfirmed, psa-api-facts §5.4).
   */
  rateLimit(entity: string, times: number, retryAfter?: string): void {
    let left = times;
    this.intercept((req) => {
      if (left <= 0 || !req.url.pathname.endsWith(`/${entity}/query`)) return undefined;
      left--;
      return json(429, { errors: ['Too many requests'] }, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
    });
  }

  /** Authenticated requests (not zone lookups) by path under the zone, e.g. `Resources/query`. */
  calls(path?: string) {
    return this.requests.filter((r) => r.path.includes('/v1.0/') && !r.path.endsWith('/zoneInformation') && (path === undefined || r.path.endsWith(`/v1.0/${path}`)));
  }

  async handle(req: FakeRequest): Promise<FakeResponse> {
    const index = this.requests.length;
    const { secret: _secret, ...safeHeaders } = req.headers;
    let body: unknown;
    try {
      body = req.body ? JSON.parse(req.body) : undefined;
    } catch {
      body = req.body;
    }
    this.requests.push({ method: req.method, path: req.url.pathname, query: Object.fromEntries(req.url.searchParams), headers: safeHeaders, body });
    const zoneLookup = req.url.pathname.endsWith('/v1.0/zoneInformation');
    if (!zoneLookup) this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      if (!zoneLookup && this.inFlight > this.threadLimit) {
        this.threadErrors++;
        return errors(this.threadErrorStatus, THREAD_THRESHOLD_MESSAGE);
      }
      if (this.latencyMs > 0) await sleep(this.latencyMs);
      for (const interceptor of this.interceptors) {
        const response = interceptor(req, index);
        if (response) return response;
      }
      return this.#route(req, zoneLookup);
    } finally {
      if (!zoneLookup) this.inFlight--;
    }
  }

  #route(req: FakeRequest, zoneLookup: boolean): FakeResponse {
    const path = req.url.pathname;
    if (zoneLookup) {
      const user = req.url.searchParams.get('user') ?? '';
      if (user.toLowerCase() !== this.credentials.userName.toLowerCase()) return errors(500, 'Zone information could not be determined');
      return json(200, { zoneName: 'Test Zone', url: `${req.url.origin}${this.zonePath}`, webUrl: `${req.url.origin}/web/`, ci: 1 });
    }
    const zone = /^(.*\/atservicesrest\/)v1\.0\/(.+)$/i.exec(path);
    if (!zone) return errors(404, 'Not found');
    // Another zone of this host does not know the tenant: unknown user, the way Autotask answers it.
    if (zone[1] !== this.zonePath) return errors(500, 'Something went wrong');
    const h = req.headers;
    const c = this.credentials;
    if ((h.username ?? '').toLowerCase() !== c.userName.toLowerCase()) return errors(500, 'Something went wrong');
    if (h.apiintegrationcode !== c.integrationCode) return errors(500, 'Something went wrong');
    if (h.secret !== c.secret) return errors(401, 'Invalid credentials');
    return this.#api(req, zone[2]!);
  }

  #api(req: FakeRequest, rest: string): FakeResponse {
    const m = /^(\w+)\/(query|query\/count|query\/next|entityInformation\/fields)$/.exec(rest);
    if (!m) return errors(404, `No route for ${rest}`);
    const [, entity, action] = m;
    if (action === 'entityInformation/fields') {
      if (req.method !== 'GET') return errors(405, 'Method not allowed');
      if (entity!.toLowerCase() !== 'resources') return json(200, { fields: [] });
      return json(200, {
        fields: [
          { name: 'id', dataType: 'long', isPickList: false, isRequired: true, isReadOnly: true },
          { name: 'isActive', dataType: 'boolean', isPickList: false },
          { name: 'licenseType', dataType: 'integer', isPickList: true, picklistValues: this.licenseTypes.map(([value, label], i) => ({ value: String(value), label, isDefaultValue: false, sortOrder: i, isActive: true, isSystem: true })) },
        ],
      });
    }
    const records = this.#records(entity!);
    if (!records) return errors(404, `Unknown entity ${entity}`);
    if (req.method !== 'POST') return errors(405, 'The requested resource does not support http method GET.');
    if (!/application\/json/i.test(req.headers['content-type'] ?? '')) return errors(415, 'Content-Type must be application/json');
    let query: QueryBody;
    try {
      query = JSON.parse(req.body ?? '') as QueryBody;
    } catch {
      return errors(400, 'The request body is not valid JSON');
    }
    if (!Array.isArray(query.filter) || query.filter.length === 0) return errors(400, 'A query requires a filter');
    let matched: FakeRecord[];
    try {
      matched = select(records, query.filter);
    } catch (e) {
      return errors(400, (e as Error).message);
    }
    if (action === 'query/count') return json(200, { queryCount: entity!.toLowerCase() === 'resources' && this.countOverride !== undefined ? this.countOverride : matched.length });
    const size = query.MaxRecords ?? 500;
    if (!Number.isInteger(size) || size < 1 || size > 500) return errors(400, 'MaxRecords must be between 1 and 500');
    let offset = 0;
    if (action === 'query/next') {
      const state = this.#paging.get(req.url.searchParams.get('paging') ?? '');
      if (!state || state.body !== JSON.stringify(query)) return errors(400, 'The paging token does not match this query');
      offset = state.offset;
    }
    const page = matched.slice(offset, offset + size);
    let next: string | null = null;
    if (offset + size < matched.length) {
      const token = randomBytes(8).toString('hex');
      this.#paging.set(token, { path: req.url.pathname, body: JSON.stringify(query), offset: offset + size });
      next = `${req.url.origin}${this.zonePath}v1.0/${entity}/query/next?paging=${token}`;
    }
    return json(200, { items: scramble(page).map((r) => project(r, query.IncludeFields)), pageDetails: { count: page.length, requestCount: size, prevPageUrl: null, nextPageUrl: next } });
  }

  #records(entity: string): FakeRecord[] | undefined {
    switch (entity.toLowerCase()) {
      case 'resources':
        return this.resources;
      case 'departments':
        return this.departments;
      case 'internallocations':
        return this.locations;
      case 'resourceroledepartments':
        return this.roleDepartments;
      default:
        return undefined;
    }
  }
}
