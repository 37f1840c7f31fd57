import { Migration } from '@mikro-orm/migrations';

/**
 * Sync scope (product.md §2 "Sync scope and profile fields"): the account's chosen member types,
 * departments and locations (null: everyone), the read version its last change moved to, the
 * `out_of_scope` reason of members outside it, and why a held run is held (a scope that matches
 * nobody is never approved).
 */
export class Migration20261205000002_sync_scope extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table account add column sync_scope jsonb null, add column sync_scope_read_version bigint null`);
    this.addSql(`alter table member drop constraint member_inactive_reason_check,
      add constraint member_inactive_reason_check check (inactive_reason in ('psa_inactive', 'vanished', 'admin', 'seat_limit', 'out_of_scope'))`);
    this.addSql(`alter table sync_run add column hold_kind text null check (hold_kind in ('breaker', 'empty_roster', 'scope_matches_nobody'))`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table sync_run drop column hold_kind`);
    this.addSql(`update member set inactive_reason = 'psa_inactive' where inactive_reason = 'out_of_scope'`);
    this.addSql(`alter table member drop constraint member_inactive_reason_check,
      add constraint member_inactive_reason_check check (inactive_reason in ('psa_inactive', 'vanished', 'admin', 'seat_limit'))`);
    this.addSql(`alter table account drop column sync_scope, drop column sync_scope_read_version`);
  }
}
