import type { Orm } from '../db/orm.js';
import { NotFoundError } from '../core/errors.js';
import { getAccount } from '../db/account-repository.js';
import { listRunChanges } from '../db/change-repository.js';
import { getRun, listRuns } from '../db/run-repository.js';
import type { ChangeView, RunView } from '../db/views.js';
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

  async show(runId: string): Promise<{ run: RunView; changes: ChangeView[] }> {
    requireId('run', runId);
    const em = this.orm.em.fork();
    const run = await getRun(em, runId);
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    return { run, changes: await listRunChanges(em, runId) };
  }
}
