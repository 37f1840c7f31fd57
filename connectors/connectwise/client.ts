import type { ConnectorContext, RosterPage, RosterReader, ScopeChoices } from '../../src/connector/contract.js';
import { HttpFailure, PsaHttp, type JsonResponse } from '../../src/connector/http.js';
import { SyncError } from '../../src/core/errors.js';
import { choicesOf, lookupRows, mapMemberPage, namesById, needsLookups, type CwLookups } from './mapper.js';
import type { ConnectWiseSettings, CwCompanyInfo, CwNamed } from './types.js';

/** ConnectWise's largest page; forward-only paging keeps it cheap at any roster size. */
export const PAGE_SIZE = 1000;
/**
 * The member fields psa-sync reads. Both the current references (`defaultDepartment`,
 * `defaultLocation`) and older codebases' plain ids are asked for: a field the record lacks is
 * simply absent from the answer.
 */
export const MEMBER_FIELDS = [
  'id', 'identifier', 'firstName', 'lastName', 'officeEmail', 'inactiveFlag', 'licenseClass',
  'type', 'title', 'hireDate', 'workRole', 'defaultDepartment', 'defaultLocation', 'defaultDepartmentId', 'defaultLocationId',
].join(',');
const LOOKUP_FIELDS = 'id,name,identifier';
/** The lookup lists behind the sync scope's pickers and older codebases' plain ids (psa-api-facts §1.9). */
const LOOKUPS = { memberTypes: '/system/members/types', departments: '/system/departments', locations: '/system/locations' } as const;
/** A bound on paging (a million members), so a misbehaving server cannot keep a run reading forever. */
export const MAX_PAGES = 1_000;

/** On cloud, bad keys often come back as 404 rather than 401 (psa-api-facts §1.2). */
function classifyConnectWise(failure: HttpFailure): SyncError | undefined {
  if (failure.status === 404) {
    return new SyncError(
      'auth',
      `ConnectWise answered 404 for ${failure.path}; on ConnectWise cloud this usually means the company id, API keys or codebase are wrong`,
      { cause: failure },
    );
  }
  return undefined;
}

function authHeader(s: ConnectWiseSettings): string {
  return `Basic ${Buffer.from(`${s.companyId}+${s.publicKey}:${s.privateKey}`).toString('base64')}`;
}

/** Size and last id of a members page; the records themselves are checked as they are mapped. */
function measureMembers(body: unknown): { size: number; lastId: number | undefined } {
  if (!Array.isArray(body)) throw new SyncError('bad_response', 'ConnectWise answered GET /system/members with something other than a member list');
  const last = (body.at(-1) as { id?: unknown } | undefined)?.id;
  return { size: body.length, lastId: typeof last === 'number' && Number.isInteger(last) ? last : undefined };
}

/** One forward-only page as read: the response, its size and the last id on it. */
interface WalkPage {
  res: JsonResponse;
  size: number;
  lastId: number | undefined;
}

/**
 * Reads `/system/members` with forward-only paging, after discovering the codebase if needed.
 * Members of older codebases carry plain department and location ids: the first page that has
 * them reads the department and location lists once, to name them.
 */
export class ConnectWiseReader implements RosterReader {
  readonly #settings: ConnectWiseSettings;
  readonly #ctx: ConnectorContext;
  #api: PsaHttp | undefined;
  #lookups: Promise<CwLookups> | undefined;

  constructor(
    settings: ConnectWiseSettings,
    ctx: ConnectorContext,
    private readonly maxPages = MAX_PAGES,
  ) {
    this.#settings = settings;
    this.#ctx = ctx;
  }

  async *pages(signal?: AbortSignal): AsyncIterable<RosterPage> {
    const walk = this.#walk('/system/members', MEMBER_FIELDS, 'members', measureMembers, signal);
    for await (const { res } of walk) {
      yield await this.mapMembers(res.body, res.text, '/system/members', signal);
    }
  }

  /**
   * Maps members as the roster read does, naming older codebases' plain ids from the lookup lists.
   * The page keeps its response text for the roster fingerprint only when the text alone decides
   * the mapping (names from the lookup lists are not in it).
   */
  async mapMembers(body: unknown, text: string | undefined, path: string, signal?: AbortSignal): Promise<RosterPage> {
    const lookups = needsLookups(body) ? await this.#nameLookups(signal) : undefined;
    const { page } = mapMemberPage(body, path, lookups);
    if (lookups === undefined && text !== undefined) page.source = text;
    return page;
  }

  /** The scope pickers' choices: member types, departments and locations, by name. */
  async scopeChoices(signal?: AbortSignal): Promise<ScopeChoices> {
    const [memberTypes, departments, locations] = await Promise.all([
      this.#lookupList(LOOKUPS.memberTypes, signal),
      this.#lookupList(LOOKUPS.departments, signal),
      this.#lookupList(LOOKUPS.locations, signal),
    ]);
    return { memberTypes: choicesOf(memberTypes), departments: choicesOf(departments), locations: choicesOf(locations) };
  }

  #nameLookups(signal?: AbortSignal): Promise<CwLookups> {
    this.#lookups ??= Promise.all([this.#lookupList(LOOKUPS.departments, signal), this.#lookupList(LOOKUPS.locations, signal)]).then(([departments, locations]) => ({
      departments: namesById(departments),
      locations: namesById(locations),
    }));
    // A failed read is not kept: the next caller asks again.
    this.#lookups.catch(() => (this.#lookups = undefined));
    return this.#lookups;
  }

  async #lookupList(path: string, signal?: AbortSignal): Promise<CwNamed[]> {
    const rows: CwNamed[] = [];
    const walk = this.#walk(path, LOOKUP_FIELDS, 'records', (body) => {
      const page = lookupRows(body, path);
      return { size: page.length, lastId: page.at(-1)?.id };
    }, signal);
    for await (const { res } of walk) rows.push(...(res.body as CwNamed[]));
    return rows;
  }

  /**
   * Every page of a list, forward-only (`pageId` = the last id read), bounded by `maxPages` and
   * refusing a page that does not advance. `measure` checks a page and finds its size and last id.
   */
  async *#walk(
    path: string,
    fields: string,
    what: string,
    measure: (body: unknown) => { size: number; lastId: number | undefined },
    signal?: AbortSignal,
  ): AsyncIterable<WalkPage> {
    const api = await this.client(signal);
    let pageId: number | undefined;
    for (let pageNo = 1; ; pageNo++) {
      if (pageNo > this.maxPages) throw new SyncError('bad_response', `ConnectWise kept returning full pages of ${what} past page ${this.maxPages}; the read was stopped`);
      const params: Record<string, string | number> = { pageSize: PAGE_SIZE, fields };
      if (pageId !== undefined) params.pageId = pageId;
      const res = await api.getJson(path, params, { 'pagination-type': 'forward-only' }, signal);
      const { size, lastId } = measure(res.body);
      if (size > 0 && pageId !== undefined && (lastId === undefined || lastId <= pageId)) {
        throw new SyncError('bad_response', `ConnectWise repeated a page of ${what} on GET ${path} (pageId ${pageId} did not advance); the read was stopped`);
      }
      if (size > 0) yield { res, size, lastId };
      if (size < PAGE_SIZE) return;
      pageId = lastId;
    }
  }

  async expectedCount(signal?: AbortSignal): Promise<number> {
    const api = await this.client(signal);
    const res = await api.getJson('/system/members/count', undefined, undefined, signal);
    const count = (res.body as { count?: unknown } | null)?.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw new SyncError('bad_response', 'ConnectWise answered GET /system/members/count without a numeric count');
    }
    return count;
  }

  /** The authenticated API client (the codebase discovered once). */
  async client(signal?: AbortSignal): Promise<PsaHttp> {
    if (this.#api) return this.#api;
    const s = this.#settings;
    const codebase = s.codebase ?? (await this.#discoverCodebase(signal));
    this.#api = new PsaHttp({
      psa: 'ConnectWise',
      baseURL: `${s.site}/${codebase}apis/3.0`,
      headers: {
        Authorization: authHeader(s),
        clientId: s.clientId,
        Accept: `application/vnd.connectwise.com+json; version=${s.apiVersion}`,
        'Content-Type': 'application/json',
      },
      policy: this.#ctx.policy,
      logger: this.#ctx.logger,
      observer: this.#ctx.observer,
      throttle: this.#ctx.throttle,
      classify: classifyConnectWise,
    });
    return this.#api;
  }

  async #discoverCodebase(signal?: AbortSignal): Promise<string> {
    const s = this.#settings;
    const http = new PsaHttp({
      psa: 'ConnectWise',
      baseURL: s.site,
      headers: { Accept: 'application/json' },
      policy: this.#ctx.policy,
      logger: this.#ctx.logger,
      observer: this.#ctx.observer,
      throttle: this.#ctx.throttle,
      classify: (f) =>
        f.status === 404
          ? new SyncError('config', `ConnectWise does not know company id "${s.companyId}" at ${s.site}; check companyId and site`, { cause: f })
          : undefined,
    });
    const path = `/login/companyinfo/${encodeURIComponent(s.companyId)}`;
    const res = await http.getJson(path, undefined, undefined, signal);
    const info = res.body as CwCompanyInfo | null;
    if (info === null) {
      throw new SyncError('config', `ConnectWise does not know company id "${s.companyId}" at ${s.site}; check companyId and site`);
    }
    const codebase = info.Codebase;
    if (typeof codebase !== 'string' || !/^[A-Za-z0-9_.-]+\/$/.test(codebase)) {
      throw new SyncError('bad_response', `ConnectWise's company info for "${s.companyId}" has no usable Codebase`);
    }
    this.#ctx.logger.debug({ codebase }, 'discovered ConnectWise codebase');
    return codebase;
  }
}
