import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { RateLimitedError } from '../core/errors.js';

/** scrypt at OWASP's parameters (N=2^17, r=8, p=1): about a quarter second and 128 MiB per hash. */
export const SCRYPT_PARAMS = { ln: 17, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, params: { ln: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: 256 * 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Hashes allowed to wait for a free slot; past that a sign-in is refused at once (see `#bounded`). */
export const DEFAULT_MAX_WAITING = 32;

/**
 * Slow, salted password hashes in a PHC-style string (`$scrypt$ln=17,r=8,p=1$salt$hash`). At most
 * `concurrency` hashes run at once: each takes 128 MiB and a core for a quarter second, so a burst
 * of sign-ins waits its turn instead of exhausting the machine. At most `maxWaiting` wait: beyond
 * that the queue would only grow (each waiter holds a request open), so a hash is refused at once
 * with a `RateLimitedError` (429) whose Retry-After is about how long the queue takes to drain.
 */
export class PasswordHasher {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  #peak = 0;
  /** A running average of one hash's duration, for Retry-After. */
  #averageMs = 250;

  constructor(
    private readonly concurrency = 2,
    private readonly params: { ln: number; r: number; p: number } = SCRYPT_PARAMS,
    private readonly maxWaiting = DEFAULT_MAX_WAITING,
  ) {}

  /** The most hashes that ever ran at once (for tests and metrics). */
  get peak(): number {
    return this.#peak;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.#bounded(() => derive(password, salt, this.params));
    const { ln, r, p } = this.params;
    return `$scrypt$ln=${ln},r=${r},p=${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  /** True when `password` matches `stored` (constant-time); false for any malformed hash. */
  async verify(password: string, stored: string): Promise<boolean> {
    const parsed = parse(stored);
    if (!parsed) return false;
    const key = await this.#bounded(() => derive(password, parsed.salt, parsed.params));
    return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
  }

  /** A hash made with other parameters: re-hash at the next successful sign-in. */
  needsRehash(stored: string): boolean {
    const parsed = parse(stored);
    return !parsed || parsed.params.ln !== this.params.ln || parsed.params.r !== this.params.r || parsed.params.p !== this.params.p;
  }

  /** Throws the `RateLimitedError` a hash would get now (the queue is full), so a caller can refuse before any other work. */
  assertRoom(): void {
    if (this.#running < this.concurrency || this.#waiting.length < this.maxWaiting) return;
    const retryAfterS = Math.max(1, Math.ceil(((this.#waiting.length / this.concurrency + 1) * this.#averageMs) / 1000));
    throw new RateLimitedError(`too many sign-ins are being checked at once; try again in ${retryAfterS} second${retryAfterS === 1 ? '' : 's'}`, retryAfterS);
  }

  async #bounded<T>(work: () => Promise<T>): Promise<T> {
    this.assertRoom();
    while (this.#running >= this.concurrency) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#running++;
    this.#peak = Math.max(this.#peak, this.#running);
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.#averageMs = 0.8 * this.#averageMs + 0.2 * (performance.now() - started);
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}

function parse(stored: string): { params: { ln: number; r: number; p: number }; salt: Buffer; key: Buffer } | undefined {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!m) return undefined;
  return { params: { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }, salt: Buffer.from(m[4]!, 'base64url'), key: Buffer.from(m[5]!, 'base64url') };
}
