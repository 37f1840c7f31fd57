import { Migration } from '@mikro-orm/migrations';

/** Mail held when no SMTP server is configured (SMTP_URL unset): `psa-sync mail outbox` prints it. */
export class Migration20261130000003_mail_outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table mail_outbox (
        id uuid primary key,
        to_address text not null,
        subject text not null,
        text_body text not null,
        html_body text not null,
        purpose text not null,
        created_at timestamptz not null
      )`);
    this.addSql('create index mail_outbox_to_idx on mail_outbox (lower(to_address), created_at desc)');
  }

  override async down(): Promise<void> {
    this.addSql('drop table mail_outbox');
  }
}
