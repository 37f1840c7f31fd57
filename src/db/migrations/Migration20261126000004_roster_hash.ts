import { Migration } from '@mikro-orm/migrations';

/** The fingerprint of the roster a sync last applied, and the members version it left behind. */
export class Migration20261126000004_roster_hash extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table account add column roster_hash text null, add column roster_hash_version bigint null');
  }

  override async down(): Promise<void> {
    this.addSql('alter table account drop column roster_hash, drop column roster_hash_version');
  }
}
