import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SecretBox } from '../core/secret-box.js';
import { DeliveryAttemptSchema, NotificationDeliverySchema, WebhookEndpointSchema } from '../db/entities.js';
import type { Orm } from '../db/orm.js';
import { exec } from '../db/sql.js';
import type { OutboundGuard } from '../net/outbound-guard.js';
import { outboundRequest } from '../net/outbound-request.js';
import { webhookGuard, webhookUrl } from './address-guard.js';
import { DEFAULT_RECIPIENTS, raiseEvent, type NotificationEvent } from './events.js';
import type { Mailer } from './mailer.js';
import { GIVE_UP_AFTER_MS, retryDelayMs } from './retry.js';
import { eventMail } from './templates.js';
import { signWebhook } from './webhook-signature.js';

type Row = Record<string, any>;

export interface WorkerOptions {
  orm: Orm;
  clock: Clock;
  logger: Logger;
  mailer: Mailer;
  secretBox: () => SecretBox;
  publicUrl: string;
  supportEmail?: string;
  allowPrivateWebhooks: boolean;
  /** Where webhook deliveries may connect (default: by `allowPrivateWebhooks`, system DNS). */
  webhookGuard?: OutboundGuard;
  /** Per delivery attempt (webhooks); default 15 s. */
  timeoutMs?: number;
  /** How long a claimed delivery is ours before another replica may take it; default 60 s. */
  claimMs?: number;
  random?: () => number;
}

/** How long a claimed delivery is ours before another replica may take it (a crashed worker's). */
const CLAIM_MS = 60_000;
/**
 * The share of the claim a send may use. A send still running when the claim lapses could be
 * sent again by another worker, so each one is abandoned (its connection closed) well before, and
 * the rest of the claim is left for recording the outcome.
 */
const SEND_SHARE = 0.75;
/** Bytes of a webhook receiver's answer that are read; the rest is never downloaded. */
export const WEBHOOK_ANSWER_MAX_BYTES = 64 * 1024;

/** What one attempt to deliver came to. */
interface Outcome {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  /** 410 Gone: the receiver asks never to be called again. */
  gone?: boolean;
}

/**
 * Delivers notifications (product.md §10) from any replica: fans each new event out to one
 * delivery per recipient (admins' emails or the account's list, support, webhook endpoints), then
 * sends due deliveries, claimed with `skip locked` and a lease, so each is sent by one worker.
 * Failures are retried with back-off for a day; a webhook answering 410 is disabled at once, one
 * failing for a day is disabled, and the account's admins are told.
 */
export class NotificationWorker {
  #running: Promise<number> | null = null;
  readonly #guard: OutboundGuard;

  constructor(private readonly opts: WorkerOptions) {
    this.#guard = opts.webhookGuard ?? webhookGuard(opts.allowPrivateWebhooks);
  }

  /** One pass: fan out, then deliver what is due. Overlapping calls share one pass. */
  runOnce(): Promise<number> {
    this.#running ??= (async () => {
      try {
        await this.fanOut();
        return await this.deliverDue();
      } finally {
        this.#running = null;
      }
    })();
    return this.#running;
  }

  async fanOut(): Promise<number> {
    const { orm, clock } = this.opts;
    return orm.em.fork().transactional(async (tem) => {
      const events = await exec<Row>(tem, 'select * from notification where fanned_out_at is null order by id limit 100 for update skip locked');
      const now = clock.now();
      for (const n of events) {
        const rec = DEFAULT_RECIPIENTS[n.event as NotificationEvent] ?? { admins: true, support: false };
        const emails = new Set<string>();
        if (n.account_id && rec.admins) {
          const [account] = await exec<Row>(tem, 'select notify_emails from account where id = ?', [n.account_id]);
          const list: string[] | null = account?.notify_emails ?? null;
          if (list) for (const e of list) emails.add(e.toLowerCase());
          else
            for (const r of await exec<Row>(tem, 'select p.email from person p join signin_admin a on a.id = p.id where a.account_id = ?', [n.account_id])) emails.add(r.email);
        }
        if (rec.support && this.opts.supportEmail) emails.add(this.opts.supportEmail.toLowerCase());
        const hooks = n.account_id && n.event !== 'webhook.disabled' ? await exec<Row>(tem, 'select id from webhook_endpoint where account_id = ? and enabled', [n.account_id]) : [];
        const targets = [...[...emails].map((e) => ({ channel: 'email', target: e })), ...hooks.map((h) => ({ channel: 'webhook', target: h.id as string }))];
        if (n.event === 'webhook.test' && n.payload?.endpointId) targets.splice(0, targets.length, { channel: 'webhook', target: n.payload.endpointId });
        for (const t of targets) {
          await exec(tem, `insert into notification_delivery (notification_id, channel, target, status, attempts, next_attempt_at, created_at) values (?, ?, ?, 'pending', 0, ?, ?) on conflict do nothing`, [n.id, t.channel, t.target, now, now]);
        }
        await exec(tem, 'update notification set fanned_out_at = ? where id = ?', [now, n.id]);
      }
      return events.length;
    });
  }

  async deliverDue(limit = 20): Promise<number> {
    const { orm, clock } = this.opts;
    const claimMs = this.opts.claimMs ?? CLAIM_MS;
    const now = clock.now();
    const claimedAt = Date.now();
    const claimed = await exec<Row>(
      orm.em.fork(),
      `update notification_delivery d set locked_until = ?::timestamptz + interval '${Math.round(claimMs)} milliseconds', attempts = d.attempts + 1
        where d.id in (select id from notification_delivery
                        where status = 'pending' and next_attempt_at <= ? and (locked_until is null or locked_until < ?)
                        order by next_attempt_at, id limit ? for update skip locked)
        returning d.*`,
      [now, now, now, limit],
    );
    const sendBy = claimedAt + claimMs * SEND_SHARE;
    await Promise.all(claimed.map((d) => this.#deliver(d, sendBy)));
    return claimed.length;
  }

  /** Delivers one claimed delivery; the send is abandoned at `sendBy` (wall-clock ms), inside the claim. */
  async #deliver(d: Row, sendBy: number): Promise<void> {
    const { orm, clock, logger } = this.opts;
    const em = orm.em.fork();
    const [n] = await exec<Row>(em, `select n.*, a.name as account_name from notification n left join account a on a.id = n.account_id where n.id = ?`, [d.notification_id]);
    if (!n) return;
    const started = Date.now();
    const signal = AbortSignal.timeout(Math.max(0, sendBy - started));
    let outcome: Outcome;
    let endpoint: Row | undefined;
    try {
      if (d.channel === 'email') {
        await this.opts.mailer.send(d.target, eventMail({ event: n.event, accountName: n.account_name, accountId: n.account_id, payload: n.payload, publicUrl: this.opts.publicUrl }), { signal });
        outcome = { ok: true, statusCode: null, error: null };
      } else {
        [endpoint] = await exec<Row>(em, 'select * from webhook_endpoint where id = ?', [d.target]);
        outcome = endpoint && endpoint.enabled ? await this.#post(endpoint, n, signal) : { ok: false, statusCode: null, error: 'the endpoint is disabled or removed', gone: true };
      }
    } catch (err) {
      const e = err as Error;
      const late = signal.aborted ? 'abandoned before its claim lapsed, to be retried' : e.name === 'TimeoutError' ? 'timed out' : undefined;
      outcome = { ok: false, statusCode: null, error: late ? `no answer within ${Date.now() - started} ms; ${late}` : e.message };
    }
    const now = clock.now();
    await em.fork().transactional(async (tem) => {
      await tem.insert(DeliveryAttemptSchema, { delivery: String(d.id), at: now, ok: outcome.ok, statusCode: outcome.statusCode, error: outcome.error?.slice(0, 500) ?? null, ms: Date.now() - started });
      if (outcome.ok) {
        await tem.nativeUpdate(NotificationDeliverySchema, { id: String(d.id) }, { status: 'delivered', deliveredAt: now, lockedUntil: null, lastError: null });
        return;
      }
      const expired = now.getTime() - new Date(d.created_at).getTime() >= GIVE_UP_AFTER_MS;
      if (outcome.gone || expired) {
        await tem.nativeUpdate(NotificationDeliverySchema, { id: String(d.id) }, { status: 'dead', lockedUntil: null, lastError: outcome.error });
        if (endpoint?.enabled) await this.#disable(tem, endpoint, outcome.gone ? `it answered 410 Gone` : `deliveries failed for 24 hours (last: ${outcome.error ?? 'error'})`, now);
        return;
      }
      const next = new Date(now.getTime() + retryDelayMs(Number(d.attempts), (this.opts.random ?? Math.random)()));
      await tem.nativeUpdate(NotificationDeliverySchema, { id: String(d.id) }, { nextAttemptAt: next, lockedUntil: null, lastError: outcome.error });
    });
    logger.info({ deliveryId: d.id, channel: d.channel, event: n.event, ok: outcome.ok, status: outcome.statusCode, attempt: d.attempts }, outcome.ok ? 'notification delivered' : 'notification delivery failed');
  }

  /**
   * POSTs a Standard Webhooks message through the webhook guard (every address connected to is
   * checked), with no redirects, bounded time, and at most 64 KB of the answer read.
   */
  async #post(endpoint: Row, n: Row, deadline: AbortSignal): Promise<Outcome> {
    const url = webhookUrl(endpoint.url, this.opts.allowPrivateWebhooks);
    const id = `msg_${n.id}`;
    const timestamp = Math.floor(this.opts.clock.now().getTime() / 1000);
    const body = JSON.stringify({ type: n.event, timestamp: new Date(n.created_at).toISOString(), data: { accountId: n.account_id, accountName: n.account_name, ...n.payload } });
    const secret = this.opts.secretBox().open(endpoint.secret_sealed);
    const res = await outboundRequest(this.#guard, url, {
      method: 'POST',
      signal: AbortSignal.any([deadline, AbortSignal.timeout(this.opts.timeoutMs ?? 15_000)]),
      maxBytes: WEBHOOK_ANSWER_MAX_BYTES,
      headers: { 'content-type': 'application/json', 'user-agent': 'psa-sync-webhooks', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(secret, id, timestamp, body) },
      body,
    });
    if (res.status >= 200 && res.status < 300) return { ok: true, statusCode: res.status, error: null };
    return { ok: false, statusCode: res.status, error: `HTTP ${res.status}`, gone: res.status === 410 };
  }

  async #disable(tem: Parameters<typeof raiseEvent>[0], endpoint: Row, reason: string, now: Date): Promise<void> {
    await tem.nativeUpdate(WebhookEndpointSchema, { id: endpoint.id }, { enabled: false, disabledReason: reason, disabledAt: now });
    await raiseEvent(tem, { accountId: endpoint.account_id, event: 'webhook.disabled', dedupeKey: `webhook.disabled:${endpoint.id}:${now.getTime()}`, payload: { endpointId: endpoint.id, url: endpoint.url, reason } }, now);
    this.opts.logger.warn({ endpointId: endpoint.id, reason }, 'webhook endpoint disabled');
  }
}
