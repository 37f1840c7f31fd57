import type { HttpObserver } from '../connector/http.js';
import type { RunView } from '../db/views.js';

const DURATION_BUCKETS_S = [1, 5, 15, 60, 300, 900, 3600];

type Labels = Record<string, string>;
const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort());
const render = (labels: Labels) => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

class Counter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = key(labels);
    const cur = this.#values.get(k) ?? { labels, value: 0 };
    cur.value += by;
    this.#values.set(k, cur);
  }
  text(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values()) lines.push(`${this.name}${render(labels)} ${value}`);
    return lines.join('\n');
  }
}

/**
 * This replica's Prometheus metrics (product.md §8 `/metrics`): runs by status, run duration,
 * members changed, PSA requests and 429s. Hand-rolled: a few counters need no dependency.
 */
export class Metrics {
  readonly runs = new Counter('psa_sync_runs_total', 'Sync runs that ended, by status and trigger');
  readonly membersChanged = new Counter('psa_sync_members_changed_total', 'Members changed by applied runs, by kind of change');
  readonly psaRequests = new Counter('psa_sync_psa_requests_total', 'HTTP requests to PSAs, by PSA and status class');
  readonly rateLimited = new Counter('psa_sync_psa_rate_limited_total', 'PSA answers 429 Too Many Requests');
  readonly #buckets = DURATION_BUCKETS_S.map(() => 0);
  #durationSum = 0;
  #durationCount = 0;

  /** Engine hook: one call per run that ends. */
  readonly onRunFinished = (run: RunView): void => {
    this.runs.inc({ status: run.status, trigger: run.trigger });
    if (run.startedAt && run.finishedAt) {
      const seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
      DURATION_BUCKETS_S.forEach((b, i) => {
        if (seconds <= b) this.#buckets[i]!++;
      });
      this.#durationSum += seconds;
      this.#durationCount++;
    }
    if (run.status === 'succeeded' && run.counts) {
      for (const kind of ['added', 'updated', 'movedToInactive', 'reactivated'] as const) {
        if (run.counts[kind] > 0) this.membersChanged.inc({ kind }, run.counts[kind]);
      }
    }
  };

  /** PSA HTTP client hook. */
  readonly httpObserver: HttpObserver = {
    onRequest: (psa, status) => {
      this.psaRequests.inc({ psa, status: status === undefined ? 'network_error' : `${Math.floor(status / 100)}xx` });
      if (status === 429) this.rateLimited.inc({ psa });
    },
  };

  /** Gauges read from the database at scrape time, so every replica reports the same fleet. */
  static fleetText(h: { total: number; backingOff: number; waitingForConfiguration: number; stale: number }): string {
    return [
      '# HELP psa_sync_accounts Accounts, by scheduling state',
      '# TYPE psa_sync_accounts gauge',
      `psa_sync_accounts{state="all"} ${h.total}`,
      `psa_sync_accounts{state="backing_off"} ${h.backingOff}`,
      `psa_sync_accounts{state="waiting_for_configuration"} ${h.waitingForConfiguration}`,
      '# HELP psa_sync_accounts_stale Accounts whose PSA has not been read completely for more than 48 hours',
      '# TYPE psa_sync_accounts_stale gauge',
      `psa_sync_accounts_stale ${h.stale}`,
    ].join('\n') + '\n';
  }

  text(): string {
    const h = 'psa_sync_run_duration_seconds';
    const histogram = [
      `# HELP ${h} Wall time of runs from start to end`,
      `# TYPE ${h} histogram`,
      ...DURATION_BUCKETS_S.map((b, i) => `${h}_bucket{le="${b}"} ${this.#buckets[i]}`),
      `${h}_bucket{le="+Inf"} ${this.#durationCount}`,
      `${h}_sum ${this.#durationSum}`,
      `${h}_count ${this.#durationCount}`,
    ].join('\n');
    return [this.runs.text(), histogram, this.membersChanged.text(), this.psaRequests.text(), this.rateLimited.text()].join('\n') + '\n';
  }
}
