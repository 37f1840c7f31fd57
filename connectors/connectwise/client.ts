import type { ConnectorContext, RosterPage, RosterReader } from '../../src/connector/contract.js';
import { HttpFailure, PsaHttp } from '../../src/connector/http.js';
import { SyncError } from '../../src/core/errors.js';
import { mapMemberPage } from './mapper.js';
import type { ConnectWiseSettings, CwCompanyInfo } from './types.js';

/** ConnectWise's largest page; forward-only paging keeps it cheap at any roster size. */
export const PAGE_SIZE = 1000;
const FIELDS = 'id,identifier,firstName,lastName,officeEmail,inactiveFlag,licenseClass';
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

/** Reads `/system/members` with forward-only paging, after discovering the codebase if needed. */
export class ConnectWiseReader implements RosterReader {
  readonly #settings: ConnectWiseSettings;
  readonly #ctx: ConnectorContext;
  #api: PsaHttp | undefined;

  constructor(
    settings: ConnectWiseSettings,
    ctx: ConnectorContext,
    private readonly maxPages = MAX_PAGES,
  ) {
    this.#settings = settings;
    this.#ctx = ctx;
  }

  async *pages(signal?: AbortSignal): AsyncIterable<RosterPage> {
    const api = await this.client(signal);
    let pageId: number | undefined;
    for (let pageNo = 1; ; pageNo++) {
      if (pageNo > this.maxPages) throw new SyncError('bad_response', `ConnectWise kept returning full pages of members past page ${this.maxPages}; the read was stopped`);
      const params: Record<string, string | number> = { pageSize: PAGE_SIZE, fields: FIELDS };
      if (pageId !== undefined) params.pageId = pageId;
      const res = await api.getJson('/system/members', params, { 'pagination-type': 'forward-only' }, signal);
      const { page, lastId, size } = mapMemberPage(res.body, '/system/members');
      page.source = res.text;
      if (size > 0 && pageId !== undefined && (lastId === undefined || lastId <= pageId)) {
        throw new SyncError('bad_response', `ConnectWise repeated a page of members (pageId ${pageId} did not advance); the read was stopped`);
      }
      if (size > 0) yield page;
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
