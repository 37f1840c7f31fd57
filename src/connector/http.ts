import axios, { type AxiosInstance } from 'axios';
import pRetry, { AbortError } from 'p-retry';
import { SyncError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { PSA_HOSTS } from '../net/address-policy.js';
import { OutboundGuard, refusedAddress } from '../net/outbound-guard.js';
import { retryAfterMs, throttleWaitMs, ThrottleBudget, type ThrottlePolicy } from './throttle.js';

export { retryAfterMs } from './throttle.js';

/**
 * How hard a connector tries before a run fails. Every figure is a bound, so a run always ends:
 * timeouts bound each request, `retries` bounds 5xx and network faults, and the throttle budget
 * bounds the time spent on 429s, whatever Retry-After says or omits.
 */
export interface HttpPolicy extends ThrottlePolicy {
  /** Per-request timeout. */
  timeoutMs: number;
  /** Retries for 5xx, 408 and network faults (429s do not use these up). */
  retries: number;
  /** First backoff between retries; doubles each time, with jitter. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /**
   * Where a connector may connect, checked on every connection (default: the PSA host policy with
   * the system resolver). Tests inject one with their own resolver.
   */
  connectGuard?: OutboundGuard;
  /**
   * How the client waits out a throttle (429, Retry-After, a busy answer); default: a timer.
   * Tests inject one that records the waits, so they assert what was waited, not how long a run took.
   */
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultPsaGuard = new OutboundGuard(PSA_HOSTS);

/** The guard PSA requests (and callback key fetches) connect through under `policy`. */
export function psaGuard(policy: Pick<HttpPolicy, 'connectGuard'>): OutboundGuard {
  return policy.connectGuard ?? defaultPsaGuard;
}

export const DEFAULT_HTTP_POLICY: HttpPolicy = {
  timeoutMs: 30_000,
  retries: 4,
  minBackoffMs: 1_000,
  maxBackoffMs: 30_000,
  rateLimitBackoffMs: 1_000,
  rateLimitBackoffMaxMs: 60_000,
  rateLimitBudgetMs: 180_000,
};

/** What a failed HTTP exchange looked like, with no request headers and so no credentials. */
export class HttpFailure extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number | undefined,
    readonly detail: string,
    readonly retryAfterMs?: number,
  ) {
    super(status === undefined ? `${method} ${path}: ${detail}` : `${method} ${path} answered ${status}: ${detail}`);
    this.name = 'HttpFailure';
  }
}

/** Observes PSA traffic (for metrics and benchmarks). */
export interface HttpObserver {
  onRequest?(psa: string, status: number | undefined): void;
}

export interface PsaHttpOptions {
  /** The PSA's product name, used in messages: "ConnectWise answered 401…". */
  psa: string;
  baseURL: string;
  headers: Record<string, string>;
  policy: HttpPolicy;
  logger: Logger;
  observer?: HttpObserver;
  /** The run's throttle budget, shared by all its clients; a client without one gets its own. */
  throttle?: ThrottleBudget;
  /** Connector-specific classification; return undefined to fall back to the generic one. */
  classify?: (failure: HttpFailure) => SyncError | undefined;
  /**
   * Answers the PSA uses to say "too busy" with a status other than 429 (Autotask's thread
   * threshold error): they are waited out like a 429, on the run's throttle budget.
   */
  throttled?: (failure: HttpFailure) => boolean;
}

export interface JsonResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
  /** The body as the PSA sent it, before parsing. */
  text: string;
}

function briefDetail(body: string): string {
  const text = body.trim();
  if (text === '') return 'empty body';
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'string') return parsed.slice(0, 200);
    if (parsed && typeof parsed === 'object') {
      const o = parsed as Record<string, unknown>;
      // Autotask answers {"errors": ["…"]}.
      const listed = Array.isArray(o.errors) ? o.errors.filter((v): v is string => typeof v === 'string') : [];
      const parts = [o.code, o.error, o.message, o.Message, o.error_description, ...listed].filter((v) => typeof v === 'string');
      if (parts.length > 0) return parts.join(': ').slice(0, 200);
      // A one-key validation body such as {"[0].id": "is required"}.
      const entries = Object.entries(o);
      if (entries.length === 1 && typeof entries[0]![1] === 'string') return `${entries[0]![0]}: ${entries[0]![1]}`.slice(0, 200);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

/** Header and form field names that carry credentials. */
const CREDENTIAL_NAME = /authorization|client_?id|secret|password|token|api-?key|integration_?code|cookie/i;

/**
 * Removes credentials a PSA echoed back in an error body (a debugging proxy, a verbose gateway),
 * so they cannot reach a run's error message. Short values (a content type, "all") are left alone.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...new Set(secrets)].filter((v) => v.length >= 8).sort((a, b) => b.length - a.length)) out = out.split(s).join('[redacted]');
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A JSON-over-HTTP client with the retry rules every PSA shares: backoff with jitter for 5xx and
 * network faults, Retry-After honoured on 429 within a bounded budget, no retry on other 4xx.
 * Failures come out as SyncErrors whose messages name method, path and status, never credentials.
 */
export class PsaHttp {
  readonly #axios: AxiosInstance;
  readonly #options: PsaHttpOptions;
  readonly #throttle: ThrottleBudget;

  constructor(options: PsaHttpOptions) {
    this.#options = options;
    this.#throttle = options.throttle ?? new ThrottleBudget(options.policy.rateLimitBudgetMs);
    const guard = psaGuard(options.policy);
    this.#axios = axios.create({
      // Every address connected to is checked: never link-local or cloud metadata (DNS rebinding included).
      httpAgent: guard.agents.http,
      httpsAgent: guard.agents.https,
      baseURL: options.baseURL,
      headers: options.headers,
      timeout: options.policy.timeoutMs,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      validateStatus: () => true,
      maxRedirects: 0,
    });
  }

  /** GETs a JSON document; `path` is relative to the base URL. */
  getJson(path: string, params?: Record<string, string | number>, extraHeaders?: Record<string, string>, signal?: AbortSignal): Promise<JsonResponse> {
    return this.#send({ method: 'GET', path, params, headers: extraHeaders, signal });
  }

  /** POSTs an `application/x-www-form-urlencoded` body (OAuth token requests) and reads JSON back. */
  postForm(path: string, fields: Record<string, string>, signal?: AbortSignal): Promise<JsonResponse> {
    return this.#send({
      method: 'POST',
      path,
      data: new URLSearchParams(fields).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      signal,
    });
  }

  /** POSTs a JSON body and reads JSON back. */
  postJson(path: string, body: unknown, signal?: AbortSignal): Promise<JsonResponse> {
    return this.#send({ method: 'POST', path, data: JSON.stringify(body), headers: { 'content-type': 'application/json' }, signal });
  }

  /** DELETEs a resource. */
  delete(path: string, signal?: AbortSignal): Promise<JsonResponse> {
    return this.#send({ method: 'DELETE', path, signal });
  }

  async #send(req: {
    method: 'GET' | 'POST' | 'DELETE';
    path: string;
    params?: Record<string, string | number>;
    headers?: Record<string, string>;
    data?: string;
    signal?: AbortSignal;
  }): Promise<JsonResponse> {
    const { path, signal, method } = req;
    const { policy, logger } = this.#options;
    let throttled = 0;
    const attempt = async (): Promise<JsonResponse> => {
      let res;
      try {
        res = await this.#axios.request<string>({ url: path, method, params: req.params, headers: req.headers, data: req.data, signal });
      } catch (err) {
        this.#options.observer?.onRequest?.(this.#options.psa, undefined);
        if (signal?.aborted) throw new AbortError(new SyncError('interrupted', 'the run was cancelled'));
        const refused = refusedAddress(err);
        if (refused) throw new AbortError(new SyncError('config', `psa-sync refused to connect to ${this.#options.psa}: ${refused.reason}; check the address in the account's settings`, { cause: refused }));
        const e = err as { code?: string; message?: string };
        const detail = e.code === 'ECONNABORTED' ? `no answer within ${policy.timeoutMs} ms` : (e.code ?? e.message ?? 'network error');
        throw new HttpFailure(method, path, undefined, detail);
      }
      this.#options.observer?.onRequest?.(this.#options.psa, res.status);
      const body = typeof res.data === 'string' ? res.data : '';
      const headers = res.headers as Record<string, string | undefined>;
      if (res.status >= 200 && res.status < 300) {
        try {
          return { status: res.status, headers, body: body === '' ? null : JSON.parse(body), text: body };
        } catch (cause) {
          throw new AbortError(
            new SyncError('bad_response', `${this.#options.psa} sent a response to ${method} ${path} that is not valid JSON`, { cause }),
          );
        }
      }
      const detail = scrubSecrets(briefDetail(body), this.#secretsOf(req));
      const refused = new HttpFailure(method, path, res.status, detail);
      const busy = res.status === 429 || this.#options.throttled?.(refused) === true;
      const failure = busy ? new HttpFailure(method, path, res.status, detail, retryAfterMs(headers['retry-after']) ?? 0) : refused;
      if (busy || res.status === 408 || res.status >= 500) throw failure;
      throw new AbortError(this.#classify(failure));
    };

    try {
      return await pRetry(attempt, {
        retries: policy.retries,
        minTimeout: policy.minBackoffMs,
        maxTimeout: policy.maxBackoffMs,
        factor: 2,
        randomize: true,
        signal,
        onFailedAttempt: async ({ error, attemptNumber }) => {
          const failure = error as HttpFailure;
          logger.warn({ psa: this.#options.psa, path, status: failure.status, attemptNumber }, 'PSA request failed');
          if (failure.retryAfterMs === undefined) return;
          throttled++;
          // No usable Retry-After (absent, 0, a past date) is 0 here: back off instead of retrying at once.
          const wait = throttleWaitMs(failure.retryAfterMs > 0 ? failure.retryAfterMs : undefined, throttled, policy);
          this.#throttle.take(wait, this.#options.psa);
          await (policy.wait ?? sleep)(wait, signal);
        },
        shouldConsumeRetry: ({ error }) => (error as HttpFailure).retryAfterMs === undefined,
      });
    } catch (err) {
      if (err instanceof SyncError) throw err;
      if (err instanceof HttpFailure) throw this.#classify(err);
      throw new SyncError('internal', `unexpected failure calling ${this.#options.psa}`, { cause: err });
    }
  }

  /** Every credential this request carried: header values, the parts of Basic credentials, form fields. */
  #secretsOf(req: { headers?: Record<string, string>; data?: string }): string[] {
    const values = Object.entries({ ...this.#options.headers, ...req.headers })
      .filter(([name]) => CREDENTIAL_NAME.test(name))
      .map(([, value]) => value);
    for (const v of [...values]) {
      const basic = /^Basic\s+(\S+)$/i.exec(v);
      if (basic) values.push(...Buffer.from(basic[1]!, 'base64').toString('utf8').split(/[:+]/));
      const bearer = /^Bearer\s+(\S+)$/i.exec(v);
      if (bearer) values.push(bearer[1]!);
    }
    if (req.data) for (const [name, value] of new URLSearchParams(req.data)) if (CREDENTIAL_NAME.test(name)) values.push(value);
    return values;
  }

  #classify(failure: HttpFailure): SyncError {
    const custom = this.#options.classify?.(failure);
    if (custom) return custom;
    const psa = this.#options.psa;
    const { status } = failure;
    if (status === undefined) {
      return new SyncError('network', `could not reach ${psa} (${failure.message}) after retries; check the site address and network`, { cause: failure });
    }
    if (status === 401) return new SyncError('auth', `${psa} rejected the credentials (401); check the API keys`, { cause: failure });
    if (status === 403) return new SyncError('auth', `${psa} refused access (403); the API member's security role lacks permission`, { cause: failure });
    if (status === 429) return new SyncError('rate_limited', `${psa} kept answering 429 Too Many Requests`, { cause: failure });
    if (status >= 500) return new SyncError('remote_error', `${psa} had a server error (${failure.message}) after retries`, { cause: failure });
    return new SyncError('remote_error', `${psa} refused the request (${failure.message})`, { cause: failure });
  }
}
