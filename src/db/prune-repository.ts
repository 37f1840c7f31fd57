import type { EntityManager } from '@mikro-orm/postgresql';
import { LINK_TTL_MS } from '../people/links.js';
import { exec } from './sql.js';

/**
 * How long rows that only ever grow are kept once they are of no use. Their rows are judged by
 * the injected clock (`now`), never the database's, so tests move time the way the app sees it.
 */
export interface PruneAges {
  /** Callback message ids, kept to drop duplicates; ConnectWise retries within hours. */
  callbackMessageMs: number;
  /** A sign-in throttle row counts failures of one 15-minute window; long after, it counts nothing. */
  signinThrottleMs: number;
  /** Sessions ended (signed out, replaced, deprovisioned) or expired, kept a while for questions. */
  sessionMs: number;
  /** A session ends after this long without a request (PSA_SYNC_SESSION_IDLE_MINUTES). */
  sessionIdleMs: number;
}

export const DEFAULT_PRUNE_AGES: Omit<PruneAges, 'sessionIdleMs'> = {
  callbackMessageMs: 7 * 86_400_000,
  signinThrottleMs: 86_400_000,
  sessionMs: 30 * 86_400_000,
};

/** Rows per statement, and statements per table per pass: a backlog is worked off over several passes, never in one long lock. */
export const PRUNE_BATCH = 1000;
export const PRUNE_MAX_BATCHES = 10;

/** Rows removed (or, in the outbox, links redacted) by one pass. */
export interface PruneCounts {
  callbackMessages: number;
  signinThrottles: number;
  sessions: number;
  outboxLinks: number;
}

/** A raw activation or reset link in a held message: `/activate/<token>` or `/reset/<token>` (tokens are 43 characters). */
const LINK_PATTERN = '/(activate|reset)/[A-Za-z0-9_-]{20,}';
/** What an expired link becomes: the page it opened, without the secret. */
const LINK_REDACTED = '/\\1/link-expired';

/**
 * One batch of at most `batch` rows, by a statement that repeats its age condition outside the
 * sub-select: a row renewed meanwhile (a throttle window restarted) is re-checked and kept.
 */
async function batchOf(em: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const [row] = await exec<{ n: number }>(em, `with done as (${sql} returning 1) select count(*)::int as n from done`, params);
  return row?.n ?? 0;
}

async function repeat(batches: number, work: () => Promise<number>, batch: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < batches; i++) {
    const n = await work();
    total += n;
    if (n < batch) break;
  }
  return total;
}

/**
 * One pruning pass: callback message ids past their dedup window, sign-in throttle rows of long
 * past windows, sessions ended or expired long ago, and the raw links in outbox messages whose
 * activation (7 days) or reset (1 hour) link has expired (the message stays, its secret is gone).
 * Each statement touches at most `batch` rows; each table gets at most `maxBatches` statements.
 */
export async function pruneOnce(em: EntityManager, now: Date, ages: PruneAges, options: { batch?: number; maxBatches?: number } = {}): Promise<PruneCounts> {
  const batch = options.batch ?? PRUNE_BATCH;
  const maxBatches = options.maxBatches ?? PRUNE_MAX_BATCHES;
  const before = (ms: number) => new Date(now.getTime() - ms);

  const callbackCutoff = before(ages.callbackMessageMs);
  const callbackMessages = await repeat(
    maxBatches,
    () =>
      batchOf(
        em,
        `delete from callback_message where (account_id, message_id) in (select account_id, message_id from callback_message where received_at < ? limit ?) and received_at < ?`,
        [callbackCutoff, batch, callbackCutoff],
      ),
    batch,
  );

  const throttleCutoff = before(ages.signinThrottleMs);
  const signinThrottles = await repeat(
    maxBatches,
    () => batchOf(em, `delete from signin_throttle where key in (select key from signin_throttle where window_started_at < ? limit ?) and window_started_at < ?`, [throttleCutoff, batch, throttleCutoff]),
    batch,
  );

  // Over: ended, past its absolute expiry, or idle past the idle limit; and that long enough ago.
  const sessionCutoff = before(ages.sessionMs);
  const idleCutoff = new Date(sessionCutoff.getTime() - ages.sessionIdleMs);
  const over = '(ended_at < ? or expires_at < ? or last_seen_at < ?)';
  const sessions = await repeat(
    maxBatches,
    () => batchOf(em, `delete from person_session where id in (select id from person_session where ${over} limit ?) and ${over}`, [sessionCutoff, sessionCutoff, idleCutoff, batch, sessionCutoff, sessionCutoff, idleCutoff]),
    batch,
  );

  const expired = `((purpose = 'activation' and created_at < ?) or (purpose = 'reset' and created_at < ?)) and (text_body ~ ? or html_body ~ ?)`;
  const expiredParams = [before(LINK_TTL_MS.activation), before(LINK_TTL_MS.reset), LINK_PATTERN, LINK_PATTERN];
  const outboxLinks = await repeat(
    maxBatches,
    () =>
      batchOf(
        em,
        `update mail_outbox set text_body = regexp_replace(text_body, ?, ?, 'g'), html_body = regexp_replace(html_body, ?, ?, 'g') where id in (select id from mail_outbox where ${expired} limit ?) and ${expired}`,
        [LINK_PATTERN, LINK_REDACTED, LINK_PATTERN, LINK_REDACTED, ...expiredParams, batch, ...expiredParams],
      ),
    batch,
  );

  return { callbackMessages, signinThrottles, sessions, outboxLinks };
}
