import { Migration } from '@mikro-orm/migrations';

/** Accounts, members, sync runs and per-member change entries (product.md §1, §5). */
export class Migration20261122000001_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table account (
        id uuid primary key,
        name text not null unique,
        integration text not null check (integration in ('connectwise', 'halopsa', 'snippet')),
        settings_sealed text not null,
        seat_limit integer null check (seat_limit is null or seat_limit >= 0),
        sync_at text null check (sync_at is null or sync_at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
        timezone text not null default 'UTC',
        breaker_percent integer not null default 20 check (breaker_percent between 0 and 100),
        breaker_min_members integer not null default 5 check (breaker_min_members >= 0),
        members_version bigint not null default 0,
        last_full_read_at timestamptz null,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql(`
      create table member (
        id uuid primary key,
        account_id uuid not null references account(id) on delete restrict,
        external_id text null,
        identifier text null,
        name text not null,
        email text null,
        source text not null check (source in ('psa', 'import', 'survey', 'manual')),
        active boolean not null,
        list text not null check (list in ('staff', 'inactive_synced')),
        psa_active boolean null,
        inactive_reason text null check (inactive_reason in ('psa_inactive', 'vanished', 'admin', 'seat_limit')),
        admin_inactive boolean not null default false,
        first_seen_at timestamptz not null,
        last_seen_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql(`create unique index member_account_external_uq on member (account_id, external_id) where external_id is not null`);
    this.addSql(`create index member_account_list_idx on member (account_id, list)`);
    this.addSql(`
      create table sync_run (
        id uuid primary key,
        account_id uuid not null references account(id) on delete restrict,
        trigger text not null check (trigger in ('schedule', 'manual', 'setup', 'retry')),
        status text not null check (status in ('queued', 'running', 'succeeded', 'failed', 'held', 'rejected')),
        requested_by text not null,
        created_at timestamptz not null,
        started_at timestamptz null,
        finished_at timestamptz null,
        counts jsonb null,
        error_kind text null,
        error_message text null,
        hold_reason text null,
        plan_members_version bigint null,
        claimed_by text null,
        lease_expires_at timestamptz null,
        decided_by text null,
        decided_at timestamptz null
      )`);
    // The database, not the code, guarantees one queued-or-running run per account.
    this.addSql(`create unique index sync_run_one_active_uq on sync_run (account_id) where status in ('queued', 'running')`);
    this.addSql(`create index sync_run_account_created_idx on sync_run (account_id, created_at desc)`);
    this.addSql(`
      create table member_change (
        id bigserial primary key,
        run_id uuid null references sync_run(id) on delete restrict,
        account_id uuid not null references account(id) on delete restrict,
        member_id uuid null,
        external_id text null,
        identifier text null,
        name text not null,
        email text null,
        action text not null,
        reason text not null,
        changes jsonb not null,
        state text not null check (state in ('planned', 'applied', 'discarded')),
        after_state jsonb null,
        actor text not null,
        created_at timestamptz not null
      )`);
    // No foreign key on member_id: a held run's planned entries name members it has yet to create.
    this.addSql(`create index member_change_member_idx on member_change (member_id, id)`);
    this.addSql(`create index member_change_run_idx on member_change (run_id, id)`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table member_change');
    this.addSql('drop table sync_run');
    this.addSql('drop table member');
    this.addSql('drop table account');
  }
}
