import type { Clock } from '../core/clock.js';
import { RateLimitedError } from '../core/errors.js';
import { recordAudit } from '../db/audit-repository.js';
import { AuditEntrySchema, SigninThrottleSchema, type PersonEntity } from '../db/entities.js';
import type { Orm } from '../db/orm.js';
import { exec } from '../db/sql.js';

const WINDOW_MS = 15 * 60_000;

/** An attempt counted against a limit before its password is checked: the key and the window it counts in. */
export interface Reservation {
  key: string;
  windowStartedAt: Date;
}

/** Adds 1 to a counter in its 15-minute window (a new window starts at 1), only while `failures < limit`. */
const COUNT = `insert into signin_throttle (key, window_started_at, failures) values (?, ?, 1)
  on conflict (key) do update set
    failures = case when signin_throttle.window_started_at <= ?::timestamptz - interval '15 minutes' then 1 else signin_throttle.failures + 1 end,
    audit_entry_id = case when signin_throttle.window_started_at <= ?::timestamptz - interval '15 minutes' then null else signin_throttle.audit_entry_id end,
    window_started_at = case when signin_throttle.window_started_at <= ?::timestamptz - interval '15 minutes' then excluded.window_started_at else signin_throttle.window_started_at end
  where signin_throttle.window_started_at <= ?::timestamptz - interval '15 minutes' or signin_throttle.failures < ?
  returning failures, window_started_at`;

/**
 * Sign-in limits per client address and per email, in PostgreSQL so every replica shares them
 * (table `signin_throttle`, 15-minute windows). An attempt is counted (reserved) before its
 * password is checked, atomically against the limit, so attempts made at once cannot all pass
 * while their hashes wait; one that was not a wrong password gives its count back.
 */
export class SignInLimits {
  constructor(
    private readonly orm: Orm,
    private readonly clock: Clock,
    private readonly limits: { failuresPerPerson: number; failuresPerAddress: number },
  ) {}

  /** Counts one attempt for the email and for the address, or refuses it (429, nothing counted) when either is at its limit. */
  async reserve(ip: string, email: string): Promise<Reservation[]> {
    const em = this.orm.em.fork();
    const keys = [
      ...(email ? [{ key: `person:${email}`, limit: this.limits.failuresPerPerson, words: 'for this email' }] : []),
      { key: `address:${ip}`, limit: this.limits.failuresPerAddress, words: 'from this address' },
    ];
    const reserved: Reservation[] = [];
    for (const { key, limit, words } of keys) {
      const now = this.clock.now();
      const [row] = await exec<{ window_started_at: Date }>(em, COUNT, [key, now, now, now, now, now, limit]);
      if (row) {
        reserved.push({ key, windowStartedAt: new Date(row.window_started_at) });
        continue;
      }
      await this.release(reserved);
      const [full] = await exec<{ window_started_at: Date }>(em, 'select window_started_at from signin_throttle where key = ?', [key]);
      const endsAt = (full ? new Date(full.window_started_at).getTime() : now.getTime()) + WINDOW_MS;
      const retryAfterS = Math.max(1, Math.ceil((endsAt - now.getTime()) / 1000));
      throw new RateLimitedError(`too many failed sign-ins ${words}; try again in ${Math.ceil(retryAfterS / 60)} minutes, or reset the password`, retryAfterS);
    }
    return reserved;
  }

  /** Gives counted attempts back (not a failure after all); a right password clears the person's count. */
  async release(reserved: Reservation[], options: { rightPassword?: boolean } = {}): Promise<void> {
    const em = this.orm.em.fork();
    for (const r of reserved) {
      if (options.rightPassword && r.key.startsWith('person:')) await em.nativeDelete(SigninThrottleSchema, { key: r.key });
      else await exec(em, 'update signin_throttle set failures = greatest(failures - 1, 0) where key = ? and window_started_at = ?', [r.key, r.windowStartedAt]);
    }
  }

  /** Audits a person's failed sign-ins in aggregate: one entry per person per window, its count kept current. */
  async auditFailure(email: string, person: PersonEntity): Promise<void> {
    const now = this.clock.now();
    await this.orm.em.fork().transactional(async (tem) => {
      const [row] = await exec<{ failures: number; audit_entry_id: string | null; window_started_at: Date }>(tem, 'select failures, audit_entry_id, window_started_at from signin_throttle where key = ? for update', [`person:${email}`]);
      if (!row) return;
      const after = { failures: row.failures, since: new Date(row.window_started_at).toISOString(), lastAt: now.toISOString() };
      if (row.audit_entry_id) {
        await tem.nativeUpdate(AuditEntrySchema, { id: String(row.audit_entry_id) }, { after });
        return;
      }
      const id = await recordAudit(tem, { accountId: person.account ?? null, actor: 'sign-in', action: 'auth.signin_failed', target: person.member ? { type: 'member', id: person.member } : { type: 'person', id: person.id }, before: null, after, reason: null }, now);
      await tem.nativeUpdate(SigninThrottleSchema, { key: `person:${email}` }, { auditEntryId: id });
    });
  }

  /** Counts a "forgot password" email to `email` in its window; returns how many this window holds now. */
  async countResetEmail(email: string): Promise<number> {
    const now = this.clock.now();
    const [row] = await exec<{ failures: number }>(this.orm.em.fork(), COUNT, [`reset:${email}`, now, now, now, now, now, 2_147_483_647]);
    return row?.failures ?? 0;
  }
}
