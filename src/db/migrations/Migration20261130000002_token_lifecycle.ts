import { Migration } from '@mikro-orm/migrations';

/** Service tokens that can expire and be revoked (product.md §7): both answer 401 at once. */
export class Migration20261130000002_token_lifecycle extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table api_token add column expires_at timestamptz null, add column revoked_at timestamptz null, add column revoked_by text null');
    this.addSql('create index api_token_account_idx on api_token (account_id, created_at)');
  }

  override async down(): Promise<void> {
    this.addSql('drop index api_token_account_idx');
    this.addSql('alter table api_token drop column expires_at, drop column revoked_at, drop column revoked_by');
  }
}
