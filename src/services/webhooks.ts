import { randomUUID } from 'node:crypto';
import type { Principal } from '../access/principal.js';
import type { Clock } from '../core/clock.js';
import { NotFoundError } from '../core/errors.js';
import { requireId } from '../core/ids.js';
import type { SecretBox } from '../core/secret-box.js';
import { getAccount } from '../db/account-repository.js';
import { recordAudit } from '../db/audit-repository.js';
import { WebhookEndpointSchema } from '../db/entities.js';
import type { Orm } from '../db/orm.js';
import { exec } from '../db/sql.js';
import { assertCanChange, assertCanRead } from '../access/policy.js';
import type { OutboundGuard } from '../net/outbound-guard.js';
import { assertDeliverableUrl } from '../notify/address-guard.js';
import { raiseEvent } from '../notify/events.js';
import { newWebhookSecret } from '../notify/webhook-signature.js';

/** A webhook endpoint as shown: never its secret. */
export interface WebhookView {
  id: string;
  accountId: string;
  url: string;
  state: 'enabled' | 'disabled';
  disabledReason: string | null;
  disabledAt: string | null;
  createdBy: string;
  createdAt: string;
  /** The latest attempts, newest first. */
  attempts: { at: string; event: string; ok: boolean; statusCode: number | null; error: string | null; ms: number }[];
}

type Row = Record<string, any>;

/** Webhooks of an account (product.md §10): added by admins, signed the Standard Webhooks way. */
export class WebhookService {
  constructor(
    private readonly orm: Orm,
    private readonly clock: Clock,
    private readonly secretBox: () => SecretBox,
    private readonly allowPrivate: boolean,
    /** The guard deliveries connect through (see notify/address-guard.ts). */
    private readonly guard: OutboundGuard,
  ) {}

  /** Adds an endpoint; answers its signing secret (`whsec_…`), shown this once. */
  async add(accountId: string, url: string, actor: string, caller?: Principal): Promise<{ endpoint: WebhookView; secret: string }> {
    requireId('account', accountId);
    if (caller) assertCanChange(caller, accountId, `account ${accountId}`, 'add webhooks');
    const checked = await assertDeliverableUrl(url, this.guard, this.allowPrivate);
    const em = this.orm.em.fork();
    if (!(await getAccount(em, accountId))) throw new NotFoundError(`account ${accountId} not found`);
    const secret = newWebhookSecret();
    const id = randomUUID();
    const now = this.clock.now();
    await em.transactional(async (tem) => {
      await tem.insert(WebhookEndpointSchema, { id, account: accountId, url: checked.toString(), secretSealed: this.secretBox().seal(secret), enabled: true, disabledReason: null, disabledAt: null, createdBy: actor, createdAt: now });
      await recordAudit(tem, { accountId, actor, action: 'webhook.added', target: { type: 'webhook', id }, before: null, after: { url: checked.toString() }, reason: null }, now);
    });
    return { endpoint: (await this.list(accountId)).find((e) => e.id === id)!, secret };
  }

  /** Endpoints with their state (enabled, or disabled and why) and latest attempts. */
  async list(accountId: string, caller?: Principal): Promise<WebhookView[]> {
    requireId('account', accountId);
    if (caller) assertCanRead(caller, accountId, `account ${accountId}`, 'audit');
    const em = this.orm.em.fork();
    if (!(await getAccount(em, accountId))) throw new NotFoundError(`account ${accountId} not found`);
    const endpoints = await exec<Row>(em, 'select * from webhook_endpoint where account_id = ? order by created_at, id', [accountId]);
    const attempts = await exec<Row>(
      em,
      `select d.target, a.at, a.ok, a.status_code, a.error, a.ms, n.event
         from delivery_attempt a join notification_delivery d on d.id = a.delivery_id join notification n on n.id = d.notification_id
        where d.channel = 'webhook' and d.target = any(?::text[]) order by a.id desc limit 200`,
      [endpoints.map((e) => e.id)],
    );
    return endpoints.map((e) => ({
      id: e.id,
      accountId: e.account_id,
      url: e.url,
      state: e.enabled ? 'enabled' : 'disabled',
      disabledReason: e.disabled_reason,
      disabledAt: e.disabled_at ? new Date(e.disabled_at).toISOString() : null,
      createdBy: e.created_by,
      createdAt: new Date(e.created_at).toISOString(),
      attempts: attempts.filter((a) => a.target === e.id).slice(0, 20).map((a) => ({ at: new Date(a.at).toISOString(), event: a.event, ok: a.ok, statusCode: a.status_code, error: a.error, ms: a.ms })),
    }));
  }

  /** Queues a `webhook.test` event for one endpoint ("send test event"). */
  async test(accountId: string, endpointId: string, actor: string, caller?: Principal): Promise<void> {
    requireId('account', accountId);
    requireId('webhook', endpointId);
    if (caller) assertCanChange(caller, accountId, `account ${accountId}`, 'send test events');
    const em = this.orm.em.fork();
    const found = await em.findOne(WebhookEndpointSchema, { id: endpointId, account: accountId });
    if (!found) throw new NotFoundError(`webhook ${endpointId} not found in account ${accountId}`);
    const now = this.clock.now();
    await em.transactional((tem) => raiseEvent(tem, { accountId, event: 'webhook.test', dedupeKey: `webhook.test:${endpointId}:${randomUUID()}`, payload: { endpointId, requestedBy: actor } }, now));
  }

  async remove(accountId: string, endpointId: string, actor: string, caller?: Principal): Promise<void> {
    requireId('account', accountId);
    requireId('webhook', endpointId);
    if (caller) assertCanChange(caller, accountId, `account ${accountId}`, 'remove webhooks');
    const now = this.clock.now();
    await this.orm.em.fork().transactional(async (tem) => {
      const removed = await tem.nativeDelete(WebhookEndpointSchema, { id: endpointId, account: accountId });
      if (removed === 0) throw new NotFoundError(`webhook ${endpointId} not found in account ${accountId}`);
      await recordAudit(tem, { accountId, actor, action: 'webhook.removed', target: { type: 'webhook', id: endpointId }, before: null, after: null, reason: null }, now);
    });
  }
}
