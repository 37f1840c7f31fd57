import type { ConnectorContext, RosterPage, RosterReader, ScopeChoice } from '../../src/connector/contract.js';
import type { AutotaskApi, QueryPage } from './client.js';
import { addMemberships, apiUserLicenseValues, completeResources, mapResourcesPartly, namesById, type Lookups, type Membership, type PartlyMappedPage } from './mapper.js';
import type { AtFilter, AtNamed, AtResource, AtRoleDepartment } from './types.js';

const RESOURCE_FIELDS = ['id', 'userName', 'firstName', 'lastName', 'email', 'isActive', 'licenseType', 'locationID', 'hireDate', 'title'] as const;
const NAME_FIELDS = ['id', 'name'] as const;
const MEMBERSHIP_FIELDS = ['id', 'resourceID', 'departmentID', 'isDefault', 'isActive'] as const;
/** Every resource: a query needs a filter (psa-api-facts §5.2). */
const EVERY_ID: AtFilter[] = [{ op: 'gte', field: 'id', value: 0 }];

async function collect<T extends { id: number }>(walk: AsyncIterable<QueryPage<T>>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of walk) all.push(...page.items);
  return all;
}

/** The waiting pages, in order, completed with the lookups. */
function* completed(waiting: PartlyMappedPage[], lookups: Lookups): Generator<RosterPage> {
  for (const page of waiting.splice(0)) yield completeResources(page, lookups);
}

/** Departments and internal locations by name, for the scope pickers. */
export async function readScopeChoices(api: AutotaskApi, signal?: AbortSignal): Promise<{ departments: ScopeChoice[]; locations: ScopeChoice[] }> {
  const [departments, locations] = await Promise.all([
    collect(api.walk<AtNamed>('Departments', [], NAME_FIELDS, signal)),
    collect(api.walk<AtNamed>('InternalLocations', [], NAME_FIELDS, signal)),
  ]);
  const choices = (items: AtNamed[]) => [...namesById(items)].map(([id, name]) => ({ id: String(id), name })).sort((a, b) => a.name.localeCompare(b.name) || Number(a.id) - Number(b.id));
  return { departments: choices(departments), locations: choices(locations) };
}

/**
 * Reads every Resource of an Autotask account. The license-type labels come first, alone: that
 * request also proves the credentials (a bad user or code fails once, not five times at once).
 * Then the Resources walk runs beside the lookups (Departments, InternalLocations and every
 * ResourceRoleDepartments row), within the account's 3 requests in flight. Each page of either
 * walk is taken in as it arrives, while the next request is out; what only the lookups can name
 * (departments, locations) is filled in once they are complete. The count is asked for as soon
 * as the last page of Resources is in, while the lookups finish, rather than a round trip after
 * them. Logs how many requests the read made: the MSP's database shares 10,000 an hour with every
 * integration.
 */
export class AutotaskReader implements RosterReader {
  readonly #api: AutotaskApi;
  readonly #ctx: ConnectorContext;
  #resourcePages = 0;
  #membershipPages = 0;
  #reported = false;
  /** The count, asked for once every Resources page was read; undefined until then, and once taken. */
  #count: Promise<number> | undefined;

  constructor(api: AutotaskApi, ctx: ConnectorContext) {
    this.#api = api;
    this.#ctx = ctx;
  }

  async *pages(signal?: AbortSignal): AsyncIterable<RosterPage> {
    // Stops the lookups when the walk fails, or the caller stops reading.
    const done = new AbortController();
    const sig = signal ? AbortSignal.any([signal, done.signal]) : done.signal;
    // The early count outlives the walk, but not a read that fails.
    const failed = new AbortController();
    let lookupFailure: unknown;
    let complete = false;
    try {
      const apiUsers = apiUserLicenseValues((await this.#api.get('Resources/entityInformation/fields', sig)).body);
      const lookups = this.#lookups(apiUsers, sig);
      let ready: Lookups | undefined;
      lookups.then(
        (l) => (ready = l),
        (err: unknown) => {
          // A failed lookup fails the read at once: the walk is stopped, and its error is this one.
          lookupFailure = err;
          done.abort();
        },
      );
      const waiting: PartlyMappedPage[] = [];
      for await (const page of this.#api.walk<AtResource>('Resources', [], RESOURCE_FIELDS, sig)) {
        this.#resourcePages++;
        waiting.push(mapResourcesPartly(page.items, apiUsers));
        if (ready) yield* completed(waiting, ready);
      }
      this.#count = this.#api.count('Resources', EVERY_ID, signal ? AbortSignal.any([signal, failed.signal]) : failed.signal);
      // Unread when the lookups fail; expectedCount takes its outcome otherwise.
      this.#count.catch(() => undefined);
      yield* completed(waiting, await lookups);
      complete = true;
    } catch (err) {
      throw lookupFailure ?? err;
    } finally {
      done.abort();
      // A read that failed, or that its caller stopped, reports now: no count will follow.
      if (!complete) {
        failed.abort();
        this.#count = undefined;
        this.#report('failed');
      }
    }
  }

  async expectedCount(signal?: AbortSignal): Promise<number> {
    try {
      const early = this.#count;
      this.#count = undefined;
      const count = await (early ?? this.#api.count('Resources', EVERY_ID, signal));
      this.#report('read');
      return count;
    } catch (err) {
      this.#report('failed');
      throw err;
    }
  }

  async #lookups(apiUserLicenses: Set<string>, signal: AbortSignal): Promise<Lookups> {
    const memberships = new Map<number, Membership>();
    const rows = this.#api.walk<AtRoleDepartment>('ResourceRoleDepartments', [{ op: 'eq', field: 'isActive', value: true }], MEMBERSHIP_FIELDS, signal);
    const [departments, locations] = await Promise.all([
      collect(this.#api.walk<AtNamed>('Departments', [], NAME_FIELDS, signal)),
      collect(this.#api.walk<AtNamed>('InternalLocations', [], NAME_FIELDS, signal)),
      (async () => {
        for await (const page of rows) {
          this.#membershipPages++;
          addMemberships(memberships, page.items);
        }
      })(),
    ]);
    return { apiUserLicenses, departments: namesById(departments), locations: namesById(locations), memberships };
  }

  #report(outcome: 'read' | 'failed'): void {
    if (this.#reported) return;
    this.#reported = true;
    this.#ctx.logger.info(
      { psa: 'Autotask', outcome, requests: this.#api.requests, resourcePages: this.#resourcePages, roleDepartmentPages: this.#membershipPages },
      `Autotask: ${this.#api.requests} requests`,
    );
  }
}
