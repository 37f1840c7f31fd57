import type { HttpObserver, HttpPolicy } from '../connector/http.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import type { Orm } from '../db/orm.js';
import type { ChangeView, RunTrigger, RunView } from '../db/views.js';
import type { SyncScope } from '../domain/scope.js';

/** What the sync engine's parts share: the database, the connectors, the clock, and who this process is. */
export interface EngineDeps {
  orm: Orm;
  registry: ConnectorRegistry;
  /** Opens stored connector settings; resolved lazily so read-only commands need no key. */
  secretBox: () => SecretBox;
  clock: Clock;
  logger: Logger;
  httpPolicy: HttpPolicy;
  observer?: HttpObserver;
  /** Who this process is, in run claims: host:pid or a replica name. */
  claimant: string;
  /** How long a claim lasts without a heartbeat. */
  leaseMs: number;
  /** How long a caller waits for a run it joined. */
  joinTimeoutMs?: number;
  /** Called once for every run that ends (succeeded, held or failed), e.g. for metrics. */
  onRunFinished?: (run: RunView) => void;
}

export interface SyncRequest {
  trigger: RunTrigger;
  requestedBy: string;
  dryRun?: boolean;
  signal?: AbortSignal;
  /** Load the run's change entries into the result (default true); the scheduler does not need them. */
  withChanges?: boolean;
  /** A dry run only: plan with this sync scope instead of the account's (what a scope change would do). */
  scope?: SyncScope;
}

/** A finished (or previewed, or joined) run with the change entries that belong to it. */
export interface SyncResult {
  run: RunView;
  changes: ChangeView[];
  /** True when this call joined a run that another caller had started. */
  joined: boolean;
}
