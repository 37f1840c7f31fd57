import { Migration } from '@mikro-orm/migrations';

/** Every admin action, with who, when, what, before and after, and the reason given (product.md §7). */
export class Migration20261130000004_audit extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table audit_entry (
        id bigserial primary key,
        account_id uuid null,
        actor text not null,
        action text not null,
        target_type text not null,
        target_id text null,
        before jsonb null,
        after jsonb null,
        reason text null,
        created_at timestamptz not null
      )`);
    this.addSql('create index audit_entry_account_idx on audit_entry (account_id, id desc)');
    this.addSql('create index audit_entry_target_idx on audit_entry (target_type, target_id, id)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table audit_entry');
  }
}
