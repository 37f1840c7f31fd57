import { Migration } from '@mikro-orm/migrations';

/**
 * member_change is an append-only history log written in bulk (10,000 rows in a first sync). Its
 * foreign keys cost a row lock and an index probe per row (about half of a bulk insert's time) and
 * protect nothing the code does not already guarantee: entries are written only in the
 * transaction that holds the account row lock and the run's claim, and accounts and runs are never
 * deleted. The lookup indexes (by member, by run) stay.
 */
export class Migration20261126000003_change_log_fks extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table member_change drop constraint if exists member_change_run_id_fkey');
    this.addSql('alter table member_change drop constraint if exists member_change_account_id_fkey');
  }

  override async down(): Promise<void> {
    this.addSql('alter table member_change add constraint member_change_run_id_fkey foreign key (run_id) references sync_run(id) on delete restrict');
    this.addSql('alter table member_change add constraint member_change_account_id_fkey foreign key (account_id) references account(id) on delete restrict');
  }
}
