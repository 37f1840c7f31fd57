import { Migration } from '@mikro-orm/migrations';

/** Survey events, public survey keys and link secrets, and the event a change came from (product.md §3). */
export class Migration20261126000002_survey extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table account
        add column public_key text null,
        add column survey_secret_sealed text null,
        add column require_signed_links boolean not null default false,
        add column survey_auto_add_cap integer not null default 25 check (survey_auto_add_cap >= 0)`);
    this.addSql(`update account set public_key = replace(gen_random_uuid()::text, '-', '') where public_key is null`);
    this.addSql(`alter table account alter column public_key set not null`);
    this.addSql(`create unique index account_public_key_uq on account (public_key)`);
    this.addSql(`
      create table survey_event (
        id uuid primary key,
        account_id uuid not null references account(id) on delete restrict,
        ticket text not null default '',
        respondent text not null default '',
        rating integer not null,
        agent_external_id text null,
        agent_identifier text null,
        agent_email text null,
        agent_name text null,
        member_id uuid null references member(id) on delete restrict,
        matched_by text null check (matched_by in ('id', 'identifier', 'email', 'name', 'added')),
        unmatched_reason text null,
        channel text not null check (channel in ('link', 'api')),
        signed boolean not null,
        clicks integer not null default 1,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`);
    this.addSql(`create unique index survey_event_ticket_respondent_uq on survey_event (account_id, ticket, respondent)`);
    this.addSql(`create index survey_event_account_idx on survey_event (account_id, updated_at desc)`);
    this.addSql(`create index member_account_email_idx on member (account_id, lower(email))`);
    this.addSql(`alter table member_change add column survey_event_id uuid null`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table member_change drop column survey_event_id');
    this.addSql('drop index member_account_email_idx');
    this.addSql('drop table survey_event');
    this.addSql('drop index account_public_key_uq');
    this.addSql('alter table account drop column public_key, drop column survey_secret_sealed, drop column require_signed_links, drop column survey_auto_add_cap');
  }
}
