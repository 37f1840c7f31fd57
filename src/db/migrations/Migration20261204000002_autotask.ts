import { Migration } from '@mikro-orm/migrations';

/** Autotask accounts (product.md §1, §2): a fourth integration. */
export class Migration20261204000002_autotask extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table account drop constraint account_integration_check,
      add constraint account_integration_check check (integration in ('connectwise', 'autotask', 'halopsa', 'snippet'))`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table account drop constraint account_integration_check,
      add constraint account_integration_check check (integration in ('connectwise', 'halopsa', 'snippet'))`);
  }
}
