/**
 * At most `limit` tasks at once, the rest waiting in arrival order. Autotask allows 3 concurrent
 * requests per integration and endpoint (psa-api-facts §5.4); one gate per account keeps every
 * reader of that account (a sync, a connection test, a scope lookup) within it together.
 */
export class Gate {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** How many tasks hold a slot now. */
  get running(): number {
    return this.#running;
  }

  /** Runs `task` once a slot is free; a signal aborted while waiting gives the place up. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#running < this.limit) {
      this.#running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#running++;
        resolve();
      };
      const onAbort = () => {
        const at = this.#waiting.indexOf(grant);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  #release(): void {
    this.#running--;
    this.#waiting.shift()?.();
  }
}
