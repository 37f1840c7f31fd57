import type { Clock } from '../core/clock.js';
import { RateLimitedError, UnauthenticatedError } from '../core/errors.js';
import type { OutboundGuard } from '../net/outbound-guard.js';
import { refusedAddress } from '../net/outbound-guard.js';
import { BodyCutOffError, outboundRequest } from '../net/outbound-request.js';

/** How a ConnectWise callback's signing key is fetched, cached and rationed. */
export interface KeyFetchLimits {
  /** How long a fetched key is reused. */
  ttlMs: number;
  timeoutMs: number;
  maxBytes: number;
  /** Fetches one account may start in a burst… */
  burst: number;
  /** …and then one per this many ms. */
  refillMs: number;
  /** Fetches in flight for one account at once. */
  concurrent: number;
  /** Keys kept per account (distinct key URLs). */
  cachedPerAccount: number;
}

export const KEY_FETCH_LIMITS: KeyFetchLimits = { ttlMs: 5 * 60_000, timeoutMs: 10_000, maxBytes: 64 * 1024, burst: 5, refillMs: 12_000, concurrent: 2, cachedPerAccount: 20 };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * The key URL of a callback, if it is on the account's own ConnectWise host: same scheme, host and
 * port as the `site` setting, https unless that site is loopback (tests), no user info or fragment.
 * Anything else is refused before any request is made.
 */
export function ownKeyUrl(keyUrl: string, site: string): URL {
  let url: URL;
  try {
    url = new URL(keyUrl);
  } catch {
    throw new UnauthenticatedError('the callback key_url is not a URL');
  }
  const own = new URL(site);
  const loopback = LOOPBACK.has(own.hostname);
  if (url.host !== own.host || url.username || url.password || url.hash || url.protocol !== own.protocol || (url.protocol !== 'https:' && !loopback)) {
    throw new UnauthenticatedError("the callback's key_url is not on this account's ConnectWise host; it was not fetched");
  }
  return url;
}

interface Budget {
  tokens: number;
  at: number;
  inFlight: number;
}

/**
 * Signing keys for ConnectWise callbacks (psa-api-facts §1.7). A key is fetched only from the
 * account's own host, through the PSA address guard, with no redirects, a timeout and a size cap;
 * kept for a few minutes; and fetched at most a small budget of times per account (a burst, then
 * one every few seconds, two at a time), so a flood of forged callbacks cannot make psa-sync
 * hammer a ConnectWise host. Every failure is a 4xx with its reason: a bad callback is never a
 * 5xx, and ConnectWise does not retry these.
 */
export class CallbackKeys {
  readonly #cache = new Map<string, Map<string, { key: string; until: number }>>();
  readonly #pending = new Map<string, Promise<string>>();
  readonly #budgets = new Map<string, Budget>();

  constructor(
    private readonly guard: () => OutboundGuard,
    private readonly clock: Clock,
    private readonly limits: KeyFetchLimits = KEY_FETCH_LIMITS,
  ) {}

  /** The signing key at `keyUrl` for `accountId`, whose ConnectWise is at `site`. */
  async get(accountId: string, keyUrl: string, site: string): Promise<string> {
    const url = ownKeyUrl(keyUrl, site);
    const now = this.clock.now().getTime();
    const cached = this.#cache.get(accountId)?.get(url.href);
    if (cached && cached.until > now) return cached.key;
    const flightKey = `${accountId} ${url.href}`;
    const pending = this.#pending.get(flightKey);
    if (pending) return pending;
    const budget = this.#take(accountId, now);
    const fetching = this.#fetch(url)
      .then((key) => {
        this.#remember(accountId, url.href, key, this.clock.now().getTime());
        return key;
      })
      .finally(() => {
        budget.inFlight--;
        this.#pending.delete(flightKey);
      });
    this.#pending.set(flightKey, fetching);
    return fetching;
  }

  /** Spends one fetch of the account's budget, or refuses with 429 and when to try again. */
  #take(accountId: string, now: number): Budget {
    const { burst, refillMs, concurrent } = this.limits;
    const b = this.#budgets.get(accountId) ?? { tokens: burst, at: now, inFlight: 0 };
    this.#budgets.set(accountId, b);
    const refilled = Math.floor((now - b.at) / refillMs);
    if (refilled > 0) {
      b.tokens = Math.min(burst, b.tokens + refilled);
      b.at = b.tokens === burst ? now : b.at + refilled * refillMs;
    }
    if (b.inFlight >= concurrent) throw new RateLimitedError('too many callback signing-key fetches in flight for this account; try again shortly', 1);
    if (b.tokens < 1) {
      const retryAfterS = Math.max(1, Math.ceil((b.at + refillMs - now) / 1000));
      throw new RateLimitedError(`too many callback signing-key fetches for this account; try again in ${retryAfterS} s`, retryAfterS);
    }
    b.tokens--;
    b.inFlight++;
    return b;
  }

  #remember(accountId: string, href: string, key: string, now: number): void {
    const keys = this.#cache.get(accountId) ?? new Map<string, { key: string; until: number }>();
    this.#cache.set(accountId, keys);
    keys.delete(href);
    keys.set(href, { key, until: now + this.limits.ttlMs });
    while (keys.size > this.limits.cachedPerAccount) keys.delete(keys.keys().next().value!);
  }

  async #fetch(url: URL): Promise<string> {
    const unreadable = (why: string, cause?: unknown) => new UnauthenticatedError(`the callback signing key could not be read from ${url.host}: ${why}`, { cause });
    const res = await outboundRequest(this.guard(), url, { signal: AbortSignal.timeout(this.limits.timeoutMs), maxBytes: this.limits.maxBytes }).catch((err: unknown) => {
      const refused = refusedAddress(err);
      if (refused) throw unreadable(`psa-sync refused to connect: ${refused.reason}`, refused);
      if (err instanceof BodyCutOffError) throw unreadable('the answer was cut off before its end', err);
      if ((err as Error).name === 'TimeoutError') throw unreadable(`no answer within ${this.limits.timeoutMs / 1000} s`, err);
      throw unreadable(`the request failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).name})`, err);
    });
    if (res.status < 200 || res.status >= 300) throw unreadable(`it answered ${res.status}`);
    if (res.truncated) throw unreadable(`the answer is larger than ${this.limits.maxBytes / 1024} KB`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body.toString('utf8'));
    } catch (cause) {
      throw unreadable('the answer is not JSON', cause);
    }
    const key = (parsed as { signing_key?: unknown } | null)?.signing_key;
    if (typeof key !== 'string' || key === '') throw unreadable('the answer has no signing_key');
    return key;
  }
}
