import type { ConnectorContext } from '../../src/connector/contract.js';
import { HttpFailure, PsaHttp, type HttpObserver, type JsonResponse } from '../../src/connector/http.js';
import { SyncError } from '../../src/core/errors.js';
import type { Gate } from './gate.js';
import type { AtFilter, AutotaskSettings } from './types.js';
import type { ZoneCache } from './zone.js';

/** Autotask's largest page (psa-api-facts §5.3). */
export const PAGE_SIZE = 500;
/** A bound on paging (a million records), so a misbehaving server cannot keep a run reading forever. */
export const MAX_PAGES = 2_000;

/** "The Autotask API thread threshold of 3 threads has been exceeded", whatever status it comes with. */
export const THREAD_THRESHOLD = /thread threshold/i;

function statusOf(err: unknown): number | undefined {
  return err instanceof SyncError && err.cause instanceof HttpFailure ? err.cause.status : undefined;
}

function classifyAutotask(s: AutotaskSettings): (f: HttpFailure) => SyncError | undefined {
  return (f) => {
    if (f.status === 401) {
      return new SyncError('auth', `Autotask refused the API user "${s.userName}" (401: ${f.detail}); check secret, the API user's password`, { cause: f });
    }
    if (f.status === 403) {
      return new SyncError('auth', `Autotask refused ${f.method} ${f.path} (403: ${f.detail}); the API user's security level may not read it`, { cause: f });
    }
    return undefined;
  };
}

/** One page of a query walk: its records, sorted by id. */
export interface QueryPage<T> {
  items: T[];
}

/**
 * Autotask's REST API for one account and one run: the zone (cached by the connector, discovered
 * again once when a cached zone stops answering), header auth, at most 3 requests in flight (the
 * account's gate), threshold errors waited out like 429s, and a count of the requests made.
 */
export class AutotaskApi {
  readonly #settings: AutotaskSettings;
  readonly #ctx: ConnectorContext;
  readonly #zones: ZoneCache;
  readonly #gate: Gate;
  readonly #observer: HttpObserver;
  #http: PsaHttp | undefined;
  #zone: string | undefined;
  /** How the zone was found: configured, discovered by this run, or taken from the cache. */
  #zoneFrom: 'settings' | 'discovered' | 'cache' | undefined;
  /** Set once a request with the credentials succeeded: later failures are no longer about them. */
  #verified = false;
  #requests = 0;

  constructor(settings: AutotaskSettings, ctx: ConnectorContext, zones: ZoneCache, gate: Gate) {
    this.#settings = settings;
    this.#ctx = ctx;
    this.#zones = zones;
    this.#gate = gate;
    this.#observer = {
      onRequest: (psa, status) => {
        this.#requests++;
        ctx.observer?.onRequest?.(psa, status);
      },
    };
  }

  /** Every HTTP request this client made, zone lookups and retries included. */
  get requests(): number {
    return this.#requests;
  }

  /** `POST {Entity}/query` with a filter and the fields to return. */
  async query(entity: string, filter: AtFilter[], fields: readonly string[], signal?: AbortSignal): Promise<JsonResponse> {
    return this.#call((http) => http.postJson(`${entity}/query`, { MaxRecords: PAGE_SIZE, IncludeFields: fields, filter }, signal), signal);
  }

  /** `POST {Entity}/query/count` with a filter. */
  async count(entity: string, filter: AtFilter[], signal?: AbortSignal): Promise<number> {
    const res = await this.#call((http) => http.postJson(`${entity}/query/count`, { filter }, signal), signal);
    const body = res.body as { queryCount?: unknown } | null;
    const count = body?.queryCount;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw new SyncError('bad_response', `Autotask answered POST ${entity}/query/count without a numeric queryCount`);
    }
    return count;
  }

  /** `GET {path}` relative to the zone's `v1.0/`. */
  async get(path: string, signal?: AbortSignal): Promise<JsonResponse> {
    return this.#call((http) => http.getJson(path, undefined, undefined, signal), signal);
  }

  /**
   * Reads every record of `entity` matching `filter`, walking by id (psa-api-facts §5.3): each
   * query asks for ids above the largest of the previous page, since Autotask documents no order.
   * Yields each page sorted by id.
   */
  async *walk<T extends { id: number }>(entity: string, filter: AtFilter[], fields: readonly string[], signal?: AbortSignal): AsyncGenerator<QueryPage<T>> {
    let after = -1;
    for (let pageNo = 1; ; pageNo++) {
      if (pageNo > MAX_PAGES) throw new SyncError('bad_response', `Autotask kept returning full pages of ${entity} past page ${MAX_PAGES}; the read was stopped`);
      const res = await this.query(entity, [{ op: 'gt', field: 'id', value: after }, ...filter], fields, signal);
      const body = res.body as { items?: unknown; pageDetails?: { nextPageUrl?: unknown } } | null;
      if (!body || !Array.isArray(body.items)) throw new SyncError('bad_response', `Autotask answered POST ${entity}/query without a list of items`);
      const items = body.items as T[];
      for (const item of items) {
        if (!item || typeof item !== 'object' || typeof item.id !== 'number' || !Number.isInteger(item.id)) {
          throw new SyncError('bad_response', `Autotask returned a record of ${entity} without a numeric id`);
        }
        // The server must have honoured "id > after"; one that ignores it would page forever.
        if (item.id <= after) throw new SyncError('bad_response', `Autotask returned ${entity} id ${item.id} for a query of ids above ${after}; the read was stopped`);
      }
      items.sort((a, b) => a.id - b.id);
      if (items.length > 0) yield { items };
      // A full page with no next page is the last one (a wrong "no more" is caught by the count).
      const lastPage = items.length < PAGE_SIZE || body.pageDetails?.nextPageUrl === null;
      if (lastPage) return;
      after = items.at(-1)!.id;
    }
  }

  /** Runs one request through the account's gate, with the first-request rules. */
  async #call(send: (http: PsaHttp) => Promise<JsonResponse>, signal?: AbortSignal): Promise<JsonResponse> {
    const http = await this.#client(signal);
    try {
      const res = await this.#gate.run(() => send(http), signal);
      this.#verified = true;
      return res;
    } catch (err) {
      if (this.#verified) throw err;
      const status = statusOf(err);
      if (status === undefined || (status !== 404 && status < 500)) throw err;
      // The first request failed as if the zone were wrong: a zone remembered from an earlier run
      // may be stale (the tenant moved), so discover it again, once.
      if (this.#zoneFrom === 'cache') {
        const before = this.#zone;
        this.#useZone(await this.#zones.discover(this.#settings, this.#ctx, this.#observer, signal), 'discovered');
        if (this.#zone !== before) {
          this.#ctx.logger.info({ from: before, to: this.#zone }, 'Autotask zone changed; using the new one');
          return this.#call(send, signal);
        }
      }
      throw this.#firstRequestFailure(err as SyncError, status);
    }
  }

  /** What a failing first request means: Autotask's answers to unknown users and codes. */
  #firstRequestFailure(err: SyncError, status: number): SyncError {
    const s = this.#settings;
    const what = (err.cause as HttpFailure).message;
    if (status === 404) {
      const check = this.#zoneFrom === 'settings' ? 'check zoneUrl (or remove it to discover the zone)' : `the zone discovered for "${s.userName}" has no REST API there; check userName, or set zoneUrl`;
      return new SyncError('config', `Autotask answered 404 to the first request (${what}); ${check}`, { cause: err.cause });
    }
    if (status === 500) {
      return new SyncError(
        'auth',
        `Autotask answered 500 to the first request (${what}), which is how it refuses an unknown API user or integration code; check userName ("${s.userName}") and integrationCode`,
        { cause: err.cause },
      );
    }
    return err;
  }

  async #client(signal?: AbortSignal): Promise<PsaHttp> {
    if (this.#http) return this.#http;
    const s = this.#settings;
    if (s.zoneUrl) this.#useZone(s.zoneUrl, 'settings');
    else {
      const cached = this.#zones.cached(s);
      this.#useZone(cached ?? (await this.#zones.discover(s, this.#ctx, this.#observer, signal)), cached ? 'cache' : 'discovered');
    }
    return this.#http!;
  }

  #useZone(base: string, from: 'settings' | 'discovered' | 'cache'): void {
    const s = this.#settings;
    this.#zone = base;
    this.#zoneFrom = from;
    this.#http = new PsaHttp({
      psa: 'Autotask',
      baseURL: `${base}v1.0/`,
      headers: { ApiIntegrationCode: s.integrationCode, UserName: s.userName, Secret: s.secret, 'Content-Type': 'application/json', Accept: 'application/json' },
      policy: this.#ctx.policy,
      logger: this.#ctx.logger,
      observer: this.#observer,
      throttle: this.#ctx.throttle,
      classify: classifyAutotask(s),
      throttled: (f) => THREAD_THRESHOLD.test(f.detail),
    });
  }
}
