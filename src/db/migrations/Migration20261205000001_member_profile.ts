import { Migration } from '@mikro-orm/migrations';

/** Members carry the PSA's profile fields (product.md §2 "Sync scope and profile fields"). */
export class Migration20261205000001_member_profile extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table member add column department text null, add column work_role text null, add column location text null,
      add column title text null, add column hire_date date null`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table member drop column department, drop column work_role, drop column location, drop column title, drop column hire_date');
  }
}
