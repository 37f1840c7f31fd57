import { Migration } from '@mikro-orm/migrations';

/**
 * Held runs that can go stale: every complete read of an account bumps `read_version`, and a held
 * run remembers the version its plan was read at, so approving it after a later read is refused.
 * Held runs left undecided for 7 days end as `expired`.
 */
export class Migration20261130000001_hardening extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table account add column read_version bigint not null default 0');
    this.addSql('alter table sync_run add column plan_read_version bigint null');
    this.addSql('alter table sync_run drop constraint if exists sync_run_status_check');
    this.addSql(`alter table sync_run add constraint sync_run_status_check
                   check (status in ('queued', 'running', 'succeeded', 'failed', 'held', 'rejected', 'expired'))`);
    this.addSql(`create index sync_run_held_idx on sync_run (finished_at) where status = 'held'`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index sync_run_held_idx');
    this.addSql(`update sync_run set status = 'rejected' where status = 'expired'`);
    this.addSql('alter table sync_run drop constraint sync_run_status_check');
    this.addSql(`alter table sync_run add constraint sync_run_status_check check (status in ('queued', 'running', 'succeeded', 'failed', 'held', 'rejected'))`);
    this.addSql('alter table sync_run drop column plan_read_version');
    this.addSql('alter table account drop column read_version');
  }
}
