import { createHash } from 'node:crypto';
import type { ConnectorContext } from '../../src/connector/contract.js';
import { HttpFailure, PsaHttp } from '../../src/connector/http.js';
import { SyncError } from '../../src/core/errors.js';
import type { HaloSettings } from './types.js';

interface CachedToken {
  value: string;
  expiresAt: number;
}

/** The token endpoint: {authUrl}/token for Halo-hosted tenants, else {baseUrl}/auth/token. */
export function tokenEndpoint(s: HaloSettings): { base: string; path: string } {
  const base = s.authUrl ?? `${s.baseUrl}/auth`;
  return { base, path: s.tenant ? `/token?tenant=${encodeURIComponent(s.tenant)}` : '/token' };
}

function classifyTokenFailure(failure: HttpFailure): SyncError | undefined {
  if (failure.status === 400 || failure.status === 401 || failure.status === 403) {
    return new SyncError('auth', `HaloPSA refused the client credentials (${failure.status}: ${failure.detail}); check clientId, clientSecret and tenant`, { cause: failure });
  }
  if (failure.status === 404) {
    return new SyncError('config', `HaloPSA has no token endpoint at ${failure.path}; check baseUrl, authUrl and tenant`, { cause: failure });
  }
  return undefined;
}

/**
 * OAuth2 client-credentials tokens for one Halo client: cached until shortly before expiry, and
 * fetched one at a time (a new token may invalidate the previous one, psa-api-facts §2.1).
 */
export class HaloTokenSource {
  readonly #settings: HaloSettings;
  #ctx: ConnectorContext;
  readonly #now: () => number;
  #token: CachedToken | undefined;
  #pending: Promise<string> | undefined;

  constructor(settings: HaloSettings, ctx: ConnectorContext, now: () => number = Date.now) {
    this.#settings = settings;
    this.#ctx = ctx;
    this.#now = now;
  }

  /** A valid access token, fetching one if none is cached or it is about to expire. */
  async get(signal?: AbortSignal): Promise<string> {
    if (this.#token && this.#now() < this.#token.expiresAt) return this.#token.value;
    this.#pending ??= this.#fetch(signal).finally(() => (this.#pending = undefined));
    return this.#pending;
  }

  /** Token requests log and count under the run that uses the source now. */
  useContext(ctx: ConnectorContext): this {
    this.#ctx = ctx;
    return this;
  }

  /** Forgets `token` after the API refused it (401), unless a newer one has replaced it already. */
  invalidate(token: string): void {
    if (this.#token?.value === token) this.#token = undefined;
  }

  async #fetch(signal?: AbortSignal): Promise<string> {
    const { base, path } = tokenEndpoint(this.#settings);
    const http = new PsaHttp({ psa: 'HaloPSA', baseURL: base, headers: { accept: 'application/json' }, policy: this.#ctx.policy, logger: this.#ctx.logger, observer: this.#ctx.observer, throttle: this.#ctx.throttle, classify: classifyTokenFailure });
    const fetchedAt = this.#now();
    const res = await http.postForm(path, { grant_type: 'client_credentials', client_id: this.#settings.clientId, client_secret: this.#settings.clientSecret, scope: 'all' }, signal);
    const body = res.body as { access_token?: unknown; expires_in?: unknown } | null;
    if (!body || typeof body.access_token !== 'string' || body.access_token === '') {
      throw new SyncError('bad_response', 'HaloPSA answered the token request without an access_token');
    }
    const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600) * 1000;
    // Renew a minute early (or halfway through a very short lifetime).
    const margin = Math.min(60_000, lifetimeMs / 2);
    this.#token = { value: body.access_token, expiresAt: fetchedAt + lifetimeMs - margin };
    return body.access_token;
  }
}

/**
 * Token sources by Halo client, so every run of one client shares a cached token. Owned by the
 * connector instance the composition root builds (no module-level state).
 */
export class HaloTokenCache {
  readonly #sources = new Map<string, HaloTokenSource>();

  sourceFor(settings: HaloSettings, ctx: ConnectorContext): HaloTokenSource {
    const { base, path } = tokenEndpoint(settings);
    const key = createHash('sha256').update(`${base}${path}\n${settings.clientId}\n${settings.clientSecret}`).digest('hex');
    let source = this.#sources.get(key);
    if (!source) this.#sources.set(key, (source = new HaloTokenSource(settings, ctx)));
    return source.useContext(ctx);
  }
}
