import type { MemberScope } from '../access/principal.js';
import type { Orm } from '../db/orm.js';
import { InputError, NotFoundError } from '../core/errors.js';
import { getAccount } from '../db/account-repository.js';
import { listRunChanges, pageRunChanges, runTallies } from '../db/change-repository.js';
import { parsePageRequest, parseSerialPage, unknownParams } from '../db/paging.js';
import { getRun, listRuns, pageRuns, type RunFilter } from '../db/run-repository.js';
import type { ChangeView, RunTally, RunView } from '../db/views.js';

const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'held', 'rejected', 'expired'] as const;
const RUN_TRIGGERS = ['schedule', 'manual', 'setup', 'retry', 'callback'] as const;
import { requireId } from '../core/ids.js';

/** Read access to runs and their change entries, for support and admins. */
export class RunService {
  constructor(private readonly orm: Orm) {}

  async list(accountId: string, limit = 50): Promise<RunView[]> {
    requireId('account', accountId);
    const em = this.orm.em.fork();
    if (!(await getAccount(em, accountId))) throw new NotFoundError(`account ${accountId} not found`);
    return listRuns(em, accountId, limit);
  }

  /** A page of runs, newest first, filtered by status, trigger and creation time (URL values). */
  async page(accountId: string, raw: Record<string, string | undefined>): Promise<{ runs: RunView[]; nextCursor: string | null }> {
    requireId('account', accountId);
    const problems: string[] = [];
    unknownParams(raw, ['status', 'trigger', 'since', 'until', 'limit', 'cursor'], problems);
    const oneOf = (name: string, value: string | undefined, allowed: readonly string[]) => {
      if (value && !allowed.includes(value)) problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value.slice(0, 40)}")`);
      return value || undefined;
    };
    const time = (name: string, value: string | undefined) => {
      if (!value) return undefined;
      const d = new Date(value);
      if (Number.isNaN(d.getTime())) problems.push(`${name} must be a date or time such as 2026-11-30 or 2026-11-30T08:00:00Z (got "${value.slice(0, 40)}")`);
      return d;
    };
    const filter: RunFilter = {
      status: oneOf('status', raw.status, RUN_STATUSES) as RunFilter['status'],
      trigger: oneOf('trigger', raw.trigger, RUN_TRIGGERS) as RunFilter['trigger'],
      since: time('since', raw.since),
      until: time('until', raw.until),
    };
    const page = parsePageRequest(raw, 2, problems);
    if (problems.length > 0) throw new InputError(problems.join('; '));
    const em = this.orm.em.fork();
    if (!(await getAccount(em, accountId))) throw new NotFoundError(`account ${accountId} not found`);
    return pageRuns(em, accountId, filter, page);
  }

  /** One run without its changes (for an access check before the real work). */
  async get(runId: string): Promise<RunView> {
    requireId('run', runId);
    const run = await getRun(this.orm.em.fork(), runId);
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    return run;
  }

  /** A run with one page of its change entries (`limit`, `cursor`). */
  async showPage(runId: string, raw: Record<string, string | undefined>, memberScope: MemberScope | null = null): Promise<{ run: RunView; changes: ChangeView[]; nextCursor: string | null }> {
    requireId('run', runId);
    const page = parseSerialPage(raw);
    const em = this.orm.em.fork();
    const run = await getRun(em, runId);
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    return { run, ...(await pageRunChanges(em, runId, page, memberScope)) };
  }

  /** What each run's entries do to the Active box (`RunTally`), by run id; runs without entries are absent. */
  async tallies(runIds: readonly (string | null)[]): Promise<Map<string, RunTally>> {
    const ids = runIds.filter((id): id is string => id !== null).map((id) => requireId('run', id));
    return runTallies(this.orm.em.fork(), ids);
  }

  async show(runId: string): Promise<{ run: RunView; changes: ChangeView[] }> {
    requireId('run', runId);
    const em = this.orm.em.fork();
    const run = await getRun(em, runId);
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    return { run, changes: await listRunChanges(em, runId) };
  }
}
