import type { ConnectorContext } from '../../src/connector/contract.js';
import { HttpFailure, PsaHttp, type HttpObserver } from '../../src/connector/http.js';
import { SyncError } from '../../src/core/errors.js';
import type { AutotaskSettings } from './types.js';

/**
 * The REST base of a zone's `url` (`https://webservices5.autotask.net/atservicesrest/`): it has no
 * version, may lack the trailing slash, and one client reports a doubled slash in its path.
 * Undefined when it is no http(s) URL.
 */
export function zoneBase(url: unknown): string | undefined {
  if (typeof url !== 'string' || url.trim() === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  const path = `${parsed.pathname.replace(/\/{2,}/g, '/').replace(/\/+$/, '')}/`;
  return `${parsed.origin}${path}`;
}

function discoveryFailure(s: AutotaskSettings): (f: HttpFailure) => SyncError | undefined {
  return (f) => {
    // A blank or unknown user answers 500 (psa-api-facts §5.1), not 404.
    if (f.status === 500 || f.status === 404 || f.status === 400) {
      return new SyncError('config', `Autotask could not find a zone for the API user "${s.userName}" (${f.message}); check userName (the API-only user's user name)`, { cause: f });
    }
    return undefined;
  };
}

/**
 * Zone URLs by account (discovery URL and user name), discovered once and reused by every run of
 * the account, and discovered again when the cached zone stops answering (a tenant moved zones).
 * Owned by the connector instance the composition root builds.
 */
export class ZoneCache {
  readonly #zones = new Map<string, string>();
  readonly #pending = new Map<string, Promise<string>>();

  static key(s: AutotaskSettings): string {
    return `${s.discoveryUrl}\n${s.userName.toLowerCase()}`;
  }

  /** The cached zone base of the account, if any. */
  cached(s: AutotaskSettings): string | undefined {
    return this.#zones.get(ZoneCache.key(s));
  }

  /** The zone base, from the cache or discovered (one discovery at a time per account). */
  async get(s: AutotaskSettings, ctx: ConnectorContext, observer: HttpObserver | undefined, signal?: AbortSignal): Promise<string> {
    return this.cached(s) ?? this.discover(s, ctx, observer, signal);
  }

  /** Discovers the zone now, replacing what the cache held. */
  discover(s: AutotaskSettings, ctx: ConnectorContext, observer: HttpObserver | undefined, signal?: AbortSignal): Promise<string> {
    const key = ZoneCache.key(s);
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#fetch(s, ctx, observer, signal)
        .then((base) => (this.#zones.set(key, base), base))
        .finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  async #fetch(s: AutotaskSettings, ctx: ConnectorContext, observer: HttpObserver | undefined, signal?: AbortSignal): Promise<string> {
    // Needs no credentials, and is exempt from the thread limit (psa-api-facts §5.1, §5.4).
    const http = new PsaHttp({ psa: 'Autotask', baseURL: s.discoveryUrl, headers: { accept: 'application/json' }, policy: ctx.policy, logger: ctx.logger, observer, throttle: ctx.throttle, classify: discoveryFailure(s) });
    const res = await http.getJson('v1.0/zoneInformation', { user: s.userName }, undefined, signal);
    const base = zoneBase((res.body as { url?: unknown } | null)?.url);
    if (!base) throw new SyncError('bad_response', `Autotask's zone information for "${s.userName}" has no usable url`);
    ctx.logger.debug({ zone: base }, 'discovered Autotask zone');
    return base;
  }
}
