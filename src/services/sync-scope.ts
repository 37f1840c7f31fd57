import type { ScopeChoice } from '../connector/contract.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Clock } from '../core/clock.js';
import { InputError, NotFoundError, PsaUnavailableError, toSyncError } from '../core/errors.js';
import { newErrorId } from '../core/error-id.js';
import { requireId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { getAccount, lockAccount, setSyncScope, type AccountRecord } from '../db/account-repository.js';
import { recordAudit } from '../db/audit-repository.js';
import type { Orm } from '../db/orm.js';
import type { ChangeView, RunView } from '../db/views.js';
import { DIMENSION_WORDS, isNarrowed, parseScope, ScopeInputError, scopeInWords, scopeKey, SYNC_SCOPE_DIMENSIONS, type SyncScope, type SyncScopeDimension } from '../domain/scope.js';
import type { SyncEngine } from '../reconcile/engine.js';
import { effectiveScope, scopeDimensionsOf } from '../reconcile/plan-scope.js';

/** The choices of every dimension; a dimension the PSA has no scope for has none. */
export type ScopeChoiceLists = Record<SyncScopeDimension, ScopeChoice[]>;

/** An account's sync scope as `GET /api/v1/accounts/:id/scope` answers it (product.md §8). */
export interface SyncScopeView {
  /** The chosen ids per dimension; empty: everyone. */
  scope: SyncScope;
  /** The dimensions the account's PSA can narrow by (none for HaloPSA and snippet accounts). */
  dimensions: SyncScopeDimension[];
  /** The choices read live from the PSA, names and ids; null when they could not be read (see `choicesError`). */
  choices: ScopeChoiceLists | null;
  /** Why the choices could not be read; the stored scope is still answered. */
  choicesError: { code: 'psa_unavailable'; kind: string; message: string } | null;
  /** The scope in words, with the PSA's names where they were read. */
  words: string;
}

/** What saving a scope did. */
export interface SyncScopeChange {
  scope: SyncScope;
  changed: boolean;
  /** What the next sync will do, in words. */
  message: string;
}

const noChoices = (): ScopeChoiceLists => ({ memberTypes: [], departments: [], locations: [] });

/**
 * The sync scope of ConnectWise and Autotask accounts (product.md §2, §8): read with its choices
 * (live from the PSA), checked, stored with an audit entry. The scope itself is applied by the
 * planner at the next sync (reconcile/plan-scope.ts), under the same breaker as any run.
 */
export class SyncScopeService {
  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly engine: SyncEngine,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async get(accountId: string): Promise<SyncScopeView> {
    const account = await this.#account(accountId);
    const connector = this.registry.get(account.integration);
    const dimensions = [...scopeDimensionsOf(connector)];
    const scope = effectiveScope(connector, account.syncScope);
    if (dimensions.length === 0) return { scope, dimensions, choices: noChoices(), choicesError: null, words: 'everyone' };
    try {
      const choices = await this.#choices(account);
      return { scope, dimensions, choices, choicesError: null, words: scopeInWords(scope, choices, dimensions) };
    } catch (err) {
      if (!(err instanceof PsaUnavailableError)) throw err;
      return { scope, dimensions, choices: null, choicesError: { code: 'psa_unavailable', kind: err.kind, message: err.message }, words: scopeInWords(scope, null, dimensions) };
    }
  }

  /**
   * Stores a new scope: `raw` is `{memberTypes, departments, locations}` (lists of ids; empty or
   * absent: everyone). Each id newly chosen must be one the PSA lists now (so it is read first: a
   * PSA that cannot answer refuses the change with a 502, nothing stored); widening to everyone
   * needs no PSA. An unchanged scope records nothing. With `keepAbsent` (the CLI), a dimension
   * absent from `raw` keeps its current choice instead of becoming everyone.
   */
  async set(accountId: string, raw: unknown, actor: string, reason: string | null = null, options: { keepAbsent?: boolean } = {}): Promise<SyncScopeChange> {
    const account = await this.#account(accountId);
    const requested = options.keepAbsent && raw && typeof raw === 'object' ? { ...account.syncScope, ...(raw as object) } : raw;
    const { scope, choices } = await this.#checked(account, requested);
    const connector = this.registry.get(account.integration);
    const dimensions = scopeDimensionsOf(connector);
    if (scopeKey(effectiveScope(connector, account.syncScope)) === scopeKey(scope)) return { scope, changed: false, message: 'The sync scope is unchanged.' };
    // Names make the audit trail readable; when the PSA is down they are left out, never waited for.
    const named = choices ?? (isNarrowed(scope) || isNarrowed(account.syncScope) ? await this.#choices(account).catch(() => null) : null);
    const now = this.clock.now();
    const changed = await this.orm.em.fork().transactional(async (tem) => {
      const locked = await lockAccount(tem, accountId);
      if (!locked) throw new NotFoundError(`account ${accountId} not found`);
      const before = effectiveScope(connector, locked.syncScope);
      if (scopeKey(before) === scopeKey(scope)) return false;
      await setSyncScope(tem, accountId, scope, now);
      const audited = (s: SyncScope) => Object.fromEntries(dimensions.map((d) => [d, s[d].length === 0 ? 'all' : s[d].map((id) => nameOf(named, d, id))]));
      await recordAudit(tem, { accountId, actor, action: 'account.sync_scope', target: { type: 'account', id: accountId }, before: audited(before), after: audited(scope), reason }, now);
      return true;
    });
    const words = scopeInWords(scope, named, dimensions);
    this.logger.info({ accountId, actor, changed }, changed ? 'sync scope changed' : 'sync scope unchanged');
    return { scope, changed, message: changeWords(account, scope, words, changed) };
  }

  /** What the next sync would do with this scope, without storing it: a dry run of the account's sync under it. */
  async preview(accountId: string, raw: unknown, requestedBy: string, options: { keepAbsent?: boolean } = {}): Promise<{ scope: SyncScope; run: RunView; changes: ChangeView[] }> {
    const account = await this.#account(accountId);
    const requested = options.keepAbsent && raw && typeof raw === 'object' ? { ...account.syncScope, ...(raw as object) } : raw;
    const { scope } = await this.#checked(account, requested);
    const { run, changes } = await this.engine.sync(accountId, { trigger: 'manual', requestedBy, dryRun: true, scope });
    return { scope, run, changes };
  }

  /** The requested scope, checked: its shape, then every id newly chosen against the PSA's choices. */
  async #checked(account: AccountRecord, raw: unknown): Promise<{ scope: SyncScope; choices: ScopeChoiceLists | null }> {
    const connector = this.registry.get(account.integration);
    const dimensions = scopeDimensionsOf(connector);
    let scope: SyncScope;
    try {
      scope = parseScope(raw, dimensions, connector.displayName);
    } catch (err) {
      if (err instanceof ScopeInputError) throw new InputError(err.message, { cause: err });
      throw err;
    }
    // An id already chosen stays allowed even if the PSA no longer lists it: saving the form again must not fail on it.
    const fresh = SYNC_SCOPE_DIMENSIONS.flatMap((d) => scope[d].filter((id) => !account.syncScope[d].includes(id)).map((id) => ({ d, id })));
    if (fresh.length === 0) return { scope, choices: null };
    const choices = await this.#choices(account);
    const problems = fresh
      .filter(({ d, id }) => !choices[d].some((c) => c.id === id))
      .map(({ d, id }) => `${d}: ${id} is not one of the ${DIMENSION_WORDS[d].many} ${connector.displayName} lists${choices[d].length > 0 ? ` (${choices[d].slice(0, 10).map((c) => `${c.id} ${c.name}`).join(', ')}${choices[d].length > 10 ? ', …' : ''})` : ''}`);
    if (problems.length > 0) throw new InputError(problems.join('; '));
    return { scope, choices };
  }

  /** The PSA's choices now; a PsaUnavailableError (502) saying what failed, never a secret. */
  async #choices(account: AccountRecord): Promise<ScopeChoiceLists> {
    const psa = this.registry.get(account.integration).displayName;
    try {
      const read = await this.engine.scopeChoices(account.id);
      return { memberTypes: read.memberTypes ?? [], departments: read.departments ?? [], locations: read.locations ?? [] };
    } catch (err) {
      const e = toSyncError(err, newErrorId);
      if (e.errorId) this.logger.error({ accountId: account.id, errorId: e.errorId, err: e.cause }, 'reading the sync scope choices failed');
      throw new PsaUnavailableError(`could not read the sync scope's choices from ${psa} (${e.kind}): ${e.message}`, e.kind, { cause: err });
    }
  }

  async #account(accountId: string): Promise<AccountRecord> {
    requireId('account', accountId);
    const account = await getAccount(this.orm.em.fork(), accountId);
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    return account;
  }
}

function nameOf(choices: ScopeChoiceLists | null, d: SyncScopeDimension, id: string): string {
  const name = choices?.[d].find((c) => c.id === id)?.name;
  return name ? `${name} (${id})` : id;
}

/** What saving did, and what the next sync will do, for the API, the CLI and the console. */
function changeWords(account: AccountRecord, scope: SyncScope, words: string, changed: boolean): string {
  if (!changed) return 'The sync scope is unchanged.';
  if (!isNarrowed(scope)) {
    return 'Saved: every member of the PSA is in scope again. The next sync returns members that were outside the scope to All Staff, Active again unless an admin unchecked them, within the seat limit.';
  }
  return (
    `Saved: ${words}. The next sync moves members outside the scope to Inactive Synced Members and returns members back inside it to All Staff. ` +
    `If it would deactivate more than ${account.breakerPercent}% of the Active members and more than ${account.breakerMinMembers}, it is held for an admin's approval; a scope that matches nobody is never applied.`
  );
}
