import type { EntityManager } from '@mikro-orm/postgresql';
import { NotificationSchema } from '../db/entities.js';
import { exec } from '../db/sql.js';

/** The events of product.md §10, and two of the webhooks' own. */
export const EVENTS = ['run.held', 'run.failed', 'account.auth_blocked', 'account.stale', 'account.no_admin', 'seats.limit_reached', 'members.auto_added', 'webhook.disabled', 'webhook.test'] as const;
export type NotificationEvent = (typeof EVENTS)[number];

/** Who hears of each event by email when the account names nobody else (product.md §10). */
export const DEFAULT_RECIPIENTS: Record<NotificationEvent, { admins: boolean; support: boolean }> = {
  'run.held': { admins: true, support: false },
  'run.failed': { admins: true, support: false },
  'account.auth_blocked': { admins: true, support: true },
  'account.stale': { admins: false, support: true },
  'account.no_admin': { admins: false, support: true },
  'seats.limit_reached': { admins: true, support: false },
  'members.auto_added': { admins: true, support: false },
  'webhook.disabled': { admins: true, support: false },
  'webhook.test': { admins: false, support: false },
};

/**
 * Records an event in the caller's transaction, so it exists exactly when its cause does. The
 * dedupe key makes raising idempotent: a second raise of the same key does nothing.
 */
export async function raiseEvent(em: EntityManager, e: { accountId: string | null; event: NotificationEvent; dedupeKey: string; payload: Record<string, unknown> }, now: Date): Promise<void> {
  await em
    .createQueryBuilder(NotificationSchema)
    .insert({ account: e.accountId, event: e.event, dedupeKey: e.dedupeKey, payload: e.payload, createdAt: now, fannedOutAt: null })
    .onConflict('dedupe_key')
    .ignore()
    .execute();
}

/**
 * Once per failure streak: raised unless the same event was raised for the account since its last
 * successful run (a retry, or the next failure of the streak, says nothing new).
 */
export async function raiseOncePerStreak(em: EntityManager, e: { accountId: string; event: NotificationEvent; runId: string; payload: Record<string, unknown> }, now: Date): Promise<void> {
  const [already] = await exec<{ n: number }>(
    em,
    `select count(*)::int as n from notification
      where account_id = ? and event = ?
        and created_at > coalesce((select max(finished_at) from sync_run where account_id = ? and status = 'succeeded'), '-infinity'::timestamptz)`,
    [e.accountId, e.event, e.accountId],
  );
  if ((already?.n ?? 0) > 0) return;
  await raiseEvent(em, { accountId: e.accountId, event: e.event, dedupeKey: `${e.event}:${e.runId}`, payload: e.payload }, now);
}

/** `account.stale` for each scheduled account without a complete read for 48 hours: once per stale spell. */
export async function raiseStale(em: EntityManager, now: Date, scheduledIntegrations: string[]): Promise<void> {
  await exec(
    em,
    `insert into notification (account_id, event, dedupe_key, payload, created_at)
     select a.id, 'account.stale', 'account.stale:' || a.id || ':' || coalesce(a.last_full_read_at::text, 'never'),
            jsonb_build_object('lastCompleteSyncAt', a.last_full_read_at), ?
       from account a
      where a.integration = any(?::text[]) and coalesce(a.last_full_read_at, a.created_at) < ?::timestamptz - interval '48 hours'
     on conflict (dedupe_key) do nothing`,
    [now, scheduledIntegrations, now],
  );
}

/**
 * `members.auto_added`: one digest per account for each day (in its time zone) in which survey
 * activity added members, raised once that day is over. Every finished day of the last three is
 * considered, not only yesterday, so a daemon that was down over midnight still sends each day's
 * digest; the dedupe key (account, day) keeps it to one.
 */
export async function raiseAutoAddDigests(em: EntityManager, now: Date): Promise<void> {
  await exec(
    em,
    `insert into notification (account_id, event, dedupe_key, payload, created_at)
     select a.id, 'members.auto_added', 'members.auto_added:' || a.id || ':' || d.day,
            jsonb_build_object('day', d.day, 'count', count(*), 'members', (jsonb_agg(jsonb_build_object('id', c.member_id, 'name', c.name, 'email', c.email) order by c.id))),
            ?
       from account a
       join member_change c on c.account_id = a.id and c.survey_event_id is not null and c.action = 'added'
        and c.created_at >= ?::timestamptz - interval '3 days' and c.created_at <= ?::timestamptz
       cross join lateral (select (c.created_at at time zone a.timezone)::date as day) d
      where d.day < (?::timestamptz at time zone a.timezone)::date
      group by a.id, d.day
     on conflict (dedupe_key) do nothing`,
    [now, now, now, now],
  );
}
