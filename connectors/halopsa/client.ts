import type { ConnectorContext, RosterPage, RosterReader } from '../../src/connector/contract.js';
import { HttpFailure, PsaHttp } from '../../src/connector/http.js';
import { SyncError } from '../../src/core/errors.js';
import { agentsOf, mapAgents } from './mapper.js';
import type { HaloTokenSource } from './token.js';
import type { HaloSettings } from './types.js';

/** Halo's documented page-size ceiling (on /Tickets; assumed for /Agent). */
export const PAGE_SIZE = 100;
/** A bound on paging, so a misbehaving server cannot keep a run reading forever. */
const MAX_PAGES = 10_000;

function classifyHalo(failure: HttpFailure): SyncError | undefined {
  if (failure.status === 404) {
    return new SyncError('config', `HaloPSA answered 404 for ${failure.path}; check the baseUrl (the API lives under /api)`, { cause: failure });
  }
  return undefined;
}

/** Reads `/api/Agent` (enabled and disabled agents), in pages when Halo pages, with a bearer token. */
export class HaloReader implements RosterReader {
  readonly #api: PsaHttp;
  readonly #tokens: HaloTokenSource;
  #expected: number | undefined;

  constructor(settings: HaloSettings, ctx: ConnectorContext, tokens: HaloTokenSource) {
    this.#tokens = tokens;
    this.#api = new PsaHttp({
      psa: 'HaloPSA',
      baseURL: `${settings.baseUrl}/api`,
      headers: { accept: 'application/json' },
      policy: ctx.policy,
      logger: ctx.logger,
      observer: ctx.observer,
      throttle: ctx.throttle,
      classify: classifyHalo,
    });
  }

  async *pages(signal?: AbortSignal): AsyncIterable<RosterPage> {
    let previousFirstId: number | undefined;
    for (let pageNo = 1; pageNo <= MAX_PAGES; pageNo++) {
      const res = await this.#get(
        '/Agent',
        { includeenabled: 'true', includedisabled: 'true', includeunassigned: 'false', pageinate: 'true', page_no: pageNo, page_size: PAGE_SIZE },
        signal,
      );
      const { agents, paged, recordCount } = agentsOf(res.body);
      if (pageNo === 1) this.#expected = recordCount;
      const page = mapAgents(agents);
      if (!paged) {
        // Halo ignored paging and sent everything as one array.
        if (agents.length > 0) yield page;
        return;
      }
      if (agents.length === 0) return;
      // Asked past the end, Halo can send the last page again: that ends the read.
      if (page.ids[0] === previousFirstId) return;
      previousFirstId = page.ids[0];
      yield page;
      if (agents.length < PAGE_SIZE) return;
    }
    throw new SyncError('bad_response', `HaloPSA kept returning pages of agents past page ${MAX_PAGES}; the read was stopped`);
  }

  async expectedCount(): Promise<number | undefined> {
    return this.#expected;
  }

  /** A GET with the cached token; on a 401 the token is refreshed once and the call retried. */
  async #get(path: string, params: Record<string, string | number>, signal?: AbortSignal) {
    for (let attempt = 1; ; attempt++) {
      const token = await this.#tokens.get(signal);
      try {
        return await this.#api.getJson(path, params, { authorization: `Bearer ${token}` }, signal);
      } catch (err) {
        const status = err instanceof SyncError && err.cause instanceof HttpFailure ? err.cause.status : undefined;
        if (attempt === 1 && status === 401) {
          this.#tokens.invalidate(token);
          continue;
        }
        throw err;
      }
    }
  }
}
