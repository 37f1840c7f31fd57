import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ConnectorRegistry } from '../connector/registry.js';
import { psaGuard, type HttpPolicy } from '../connector/http.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, InputError, NotFoundError, UnauthenticatedError } from '../core/errors.js';
import { requireId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import { getAccount, getAccountByPublicKey, type AccountRecord } from '../db/account-repository.js';
import { recordAudit } from '../db/audit-repository.js';
import type { Orm } from '../db/orm.js';
import { exec } from '../db/sql.js';
import type { SyncEngine } from '../reconcile/engine.js';
import type { CallbackApi, PsaCallback } from '../connector/contract.js';
import { CallbackKeys } from './callback-keys.js';

const ACTIONS = new Set(['added', 'updated', 'deleted']);

/** What a callback POST came to. */
export type CallbackOutcome = { status: 'queued' | 'duplicate' | 'ignored'; memberId?: string };

/**
 * ConnectWise callbacks (product.md §11): register psa-sync's own member callback, take signed
 * callbacks in, and turn each burst into one coalesced run per account. A callback is a hint: it
 * names a member to re-read; the daily full sync stays the judge.
 */
export class CallbackService {
  readonly #keys: CallbackKeys;
  #auto = false;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;

  constructor(
    private readonly orm: Orm,
    private readonly registry: ConnectorRegistry,
    private readonly secretBox: () => SecretBox,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly engine: SyncEngine,
    private readonly policy: HttpPolicy,
  ) {
    this.#keys = new CallbackKeys(() => psaGuard(this.policy), clock);
  }

  /**
   * In a daemon, a callback is acted on within a fraction of a second by the replica that took it
   * in (a short pause gathers a burst into one run), not only at the next scheduler tick.
   */
  setAutoProcessing(on: boolean): void {
    this.#auto = on;
    if (!on && this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #kick(delayMs = 200): void {
    if (!this.#auto || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#busy) return this.#kick();
      this.#busy = true;
      this.processQueue()
        .then((left) => {
          if (left.waiting > 0) this.#kick(500);
        })
        .catch((err: unknown) => this.logger.warn({ err }, 'processing callbacks failed; the next tick tries again'))
        .finally(() => (this.#busy = false));
    }, delayMs);
    this.#timer.unref();
  }

  /** The callback URL of an account: `PUBLIC_URL/hooks/connectwise/:accountKey`. */
  static urlFor(publicUrl: string, account: Pick<AccountRecord, 'publicKey'>): string {
    return `${publicUrl.replace(/\/+$/, '')}/hooks/connectwise/${account.publicKey}`;
  }

  /**
   * Registers psa-sync's member callback on the account's ConnectWise. Idempotent: finds and
   * reuses its own entry (by its URL or description); never touches anyone else's.
   */
  async register(accountId: string, publicUrl: string, actor: string): Promise<{ callback: PsaCallback; reused: boolean }> {
    const { account, api } = await this.#api(accountId);
    const url = CallbackService.urlFor(publicUrl, account);
    const description = `psa-sync ${account.id}`.slice(0, 100);
    const existing = (await api.list()).find((c) => c.type.toLowerCase() === 'member' && (c.url === url || c.description === description));
    const callback = existing ?? (await api.create({ url, description }));
    await this.orm.em.fork().transactional(async (tem) => {
      await exec(tem, 'update account set cw_callback_id = ?, cw_callback_url = ? where id = ?', [callback.id, callback.url, account.id]);
      await recordAudit(tem, { accountId: account.id, actor, action: 'callback.registered', target: { type: 'account', id: account.id }, before: null, after: { callbackId: callback.id, url: callback.url, reused: Boolean(existing) }, reason: null }, this.clock.now());
    });
    return { callback, reused: Boolean(existing) };
  }

  /** Removes only psa-sync's own callback for the account. */
  async unregister(accountId: string, actor: string): Promise<{ removed: number[] }> {
    const { account, api } = await this.#api(accountId);
    const description = `psa-sync ${account.id}`.slice(0, 100);
    const own = (await api.list()).filter((c) => c.description === description || (account.cwCallbackId !== null && c.id === account.cwCallbackId && c.url === account.cwCallbackUrl));
    for (const c of own) await api.remove(c.id);
    await this.orm.em.fork().transactional(async (tem) => {
      await exec(tem, 'update account set cw_callback_id = null, cw_callback_url = null where id = ?', [account.id]);
      await recordAudit(tem, { accountId: account.id, actor, action: 'callback.unregistered', target: { type: 'account', id: account.id }, before: { callbackIds: own.map((c) => c.id) }, after: null, reason: null }, this.clock.now());
    });
    return { removed: own.map((c) => c.id) };
  }

  /**
   * Takes one callback in. Before any key is fetched: the payload must be JSON naming this
   * account's ConnectWise company (`CompanyId`, any case) and a `Metadata.key_url` on the account's
   * own ConnectWise host. Then the signature is checked against that key (cached, and fetched
   * within a per-account budget: see CallbackKeys); a message id already seen is dropped; the
   * member is queued for a coalesced run. Nothing is read from the PSA here, so the answer is fast.
   * Every refusal is a 4xx naming its reason.
   */
  async receive(accountKey: string, rawBody: string, signature: string): Promise<CallbackOutcome> {
    const account = /^[A-Za-z0-9_-]{8,64}$/.test(accountKey) ? await getAccountByPublicKey(this.orm.em.fork(), accountKey) : undefined;
    if (!account || account.integration !== 'connectwise') throw new NotFoundError('no ConnectWise account has this callback address');
    let payload: Record<string, any>;
    try {
      payload = JSON.parse(rawBody) as Record<string, any>;
    } catch {
      throw new InputError('the callback body is not JSON');
    }
    if (!payload || typeof payload !== 'object') throw new InputError('the callback body is not a JSON object');
    const settings = JSON.parse(this.secretBox().open(account.settingsSealed)) as { site: string; companyId: string };
    const companyId = typeof payload.CompanyId === 'string' || typeof payload.CompanyId === 'number' ? String(payload.CompanyId) : '';
    if (companyId === '') throw new InputError('the callback has no CompanyId');
    // On a shared ConnectWise host anyone's tenant can have keys served; the company must be ours.
    if (companyId.trim().toLowerCase() !== settings.companyId.trim().toLowerCase()) {
      throw new UnauthenticatedError("the callback's CompanyId is not this account's ConnectWise company; no key was fetched");
    }
    const keyUrl = payload.Metadata?.key_url;
    if (typeof keyUrl !== 'string') throw new InputError('the callback has no Metadata.key_url');
    const key = await this.#keys.get(account.id, keyUrl, settings.site);
    const expected = createHmac('sha256', createHash('sha256').update(key).digest()).update(rawBody, 'utf8').digest();
    const given = Buffer.from(signature, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new UnauthenticatedError('the callback signature does not match');
    if (String(payload.Type ?? '').toLowerCase() !== 'member') return { status: 'ignored' };
    const action = String(payload.Action ?? '').toLowerCase();
    const id = payload.ID;
    if (!ACTIONS.has(action) || !(typeof id === 'number' || (typeof id === 'string' && /^\d+$/.test(id)))) throw new InputError('the callback needs Action (added, updated or deleted) and a numeric ID');
    const messageId = typeof payload.MessageId === 'string' && payload.MessageId ? payload.MessageId.slice(0, 200) : createHash('sha256').update(rawBody).digest('hex');
    const now = this.clock.now();
    const outcome = await this.orm.em.fork().transactional(async (tem) => {
      const fresh = await exec(tem, 'insert into callback_message (account_id, message_id, received_at) values (?, ?, ?) on conflict do nothing returning message_id', [account.id, messageId, now]);
      if (fresh.length === 0) return { status: 'duplicate' as const };
      await exec(tem, 'insert into callback_request (account_id, external_id, action, received_at) values (?, ?, ?, ?)', [account.id, String(id), action, now]);
      await exec(tem, 'update account set callback_last_at = ? where id = ?', [now, account.id]);
      return { status: 'queued' as const, memberId: String(id) };
    });
    if (outcome.status === 'queued') this.#kick();
    return outcome;
  }

  /**
   * One pass over queued callbacks: per account, every member named since the last pass in one
   * run (a burst of 500 callbacks is a handful of runs). An account another run holds waits.
   */
  async processQueue(): Promise<{ runs: number; waiting: number }> {
    const em = this.orm.em.fork();
    const groups = await exec<{ account_id: string; max_id: string }>(em, 'select account_id, max(id)::text as max_id from callback_request group by account_id');
    let runs = 0;
    let waiting = 0;
    await Promise.all(
      groups.map(async (g) => {
        const rows = await exec<{ external_id: string }>(em, 'select distinct external_id from callback_request where account_id = ? and id <= ?::bigint', [g.account_id, g.max_id]);
        const run = await this.engine.syncCallbackMembers(g.account_id, rows.map((r) => r.external_id), 'callback');
        if (!run) return void waiting++;
        runs++;
        await exec(this.orm.em.fork(), 'delete from callback_request where account_id = ? and id <= ?::bigint', [g.account_id, g.max_id]);
      }),
    );
    return { runs, waiting };
  }

  async #api(accountId: string): Promise<{ account: AccountRecord; api: CallbackApi }> {
    requireId('account', accountId);
    const account = await getAccount(this.orm.em.fork(), accountId);
    if (!account) throw new NotFoundError(`account ${accountId} not found`);
    const connector = this.registry.get(account.integration);
    if (!connector.callbacks) throw new ConflictError(`${connector.displayName} accounts have no callbacks; only ConnectWise accounts do`);
    const settings = connector.parseSettings(JSON.parse(this.secretBox().open(account.settingsSealed)));
    return { account, api: connector.callbacks(settings, { logger: this.logger, policy: this.policy }) };
  }
}
