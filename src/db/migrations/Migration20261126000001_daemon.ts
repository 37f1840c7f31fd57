import { Migration } from '@mikro-orm/migrations';

/** Scheduling and back-off state on accounts, and API tokens (product.md §4, §6, §7). */
export class Migration20261126000001_daemon extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table account
        add column next_sync_at timestamptz null,
        add column consecutive_failures integer not null default 0,
        add column backoff_until timestamptz null,
        add column blocked_reason text null`);
    this.addSql(`create index account_next_sync_idx on account (next_sync_at)`);
    this.addSql(`create index sync_run_queued_idx on sync_run (created_at) where status = 'queued'`);
    this.addSql(`create index sync_run_running_lease_idx on sync_run (lease_expires_at) where status = 'running'`);
    this.addSql(`
      create table api_token (
        id uuid primary key,
        name text not null,
        token_hash text not null unique,
        role text not null check (role in ('admin', 'account_manager', 'support')),
        account_id uuid null references account(id) on delete cascade,
        created_at timestamptz not null,
        last_used_at timestamptz null,
        check ((role = 'support') = (account_id is null))
      )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table api_token');
    this.addSql('drop index sync_run_running_lease_idx');
    this.addSql('drop index sync_run_queued_idx');
    this.addSql('drop index account_next_sync_idx');
    this.addSql('alter table account drop column next_sync_at, drop column consecutive_failures, drop column backoff_until, drop column blocked_reason');
  }
}
