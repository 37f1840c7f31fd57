import type { Principal } from '../access/principal.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Orm } from '../db/orm.js';
import type { EmployeeDashboard, RatingImportResult, RatingImportRow, RatingPage, RatingQueryInput, RatingScope, RatingSummary } from '../domain/ratings.js';

/** An import's body: JSON rows, or CSV text with the header `at,rating,ticket,respondent,client,comment,agent_id,agent_email,agent_name`. */
export type RatingImportBody = { format: 'json'; rows: readonly unknown[] } | { format: 'csv'; text: string };

/**
 * Ratings (product.md §12): reports (count, average, positive share per engineer, per client, per
 * day or week), the individual ratings, CSV, the employee dashboard and the history import.
 *
 * Every read takes the caller (`undefined`: the operator's CLI, which sees everything) and applies
 * its scope: an employee sees only their own ratings, a narrowed account manager only the chosen
 * engineers and clients, in every figure, list and export; filters narrow within that, never
 * beyond it. Reports read a per-day rollup kept current by the database in the transaction that
 * records, re-rates, matches or imports an event.
 */
export class RatingsService {
  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** What `caller` may see of `accountId`'s ratings (throws NotFound for another account, Forbidden where its role stops it). */
  scopeOf(accountId: string, caller?: Principal): RatingScope {
    throw new Error(`not implemented ${accountId} ${caller?.id}`);
  }

  /** `GET …/ratings/summary`: figures over the range, overall and per group (`groupBy`, default member). */
  async summary(accountId: string, input: RatingQueryInput, caller?: Principal): Promise<RatingSummary> {
    throw new Error(`not implemented ${accountId} ${JSON.stringify(input)} ${caller?.id}`);
  }

  /** `GET …/ratings`: the individual ratings in the range, newest first, in pages (`limit` 1–500, default 50; `cursor`). */
  async page(accountId: string, input: RatingQueryInput, caller?: Principal): Promise<RatingPage> {
    throw new Error(`not implemented ${accountId} ${JSON.stringify(input)} ${caller?.id}`);
  }

  /**
   * `GET …/ratings.csv`: every rating the list would show, as CSV text in chunks (header
   * `at,rating,sentiment,member_id,member_name,client,ticket,comment`); cells a spreadsheet would
   * run as a formula (starting with = + - @, tab or carriage return) are prefixed with `'`.
   */
  csv(accountId: string, input: RatingQueryInput, caller?: Principal): AsyncIterable<string> {
    throw new Error(`not implemented ${accountId} ${JSON.stringify(input)} ${caller?.id}`);
  }

  /**
   * The employee dashboard (`/me`): `caller`'s own figures, 90-day trend and ratings newest first.
   * Others (admin, support, an account manager) may name a member in their scope with `memberId`.
   */
  async dashboard(accountId: string, caller: Principal | undefined, options: { memberId?: string; limit?: string; cursor?: string } = {}): Promise<EmployeeDashboard> {
    throw new Error(`not implemented ${accountId} ${caller?.id} ${JSON.stringify(options)}`);
  }

  /** The clients named on the account's ratings that `caller` may see, by name (filter pickers, the People page's scope editor). */
  async clients(accountId: string, caller?: Principal): Promise<{ name: string; count: number }[]> {
    throw new Error(`not implemented ${accountId} ${caller?.id}`);
  }

  /**
   * History import (admin; `caller` undefined: the CLI): all rows or none — the first bad row is
   * named (row number and field) and nothing is stored. Rows are matched like live events; the same
   * rows imported again change nothing.
   */
  async import(accountId: string, body: RatingImportBody, actor: string, caller?: Principal): Promise<RatingImportResult> {
    throw new Error(`not implemented ${accountId} ${body.format} ${actor} ${caller?.id}`);
  }
}

export type { RatingImportRow };
