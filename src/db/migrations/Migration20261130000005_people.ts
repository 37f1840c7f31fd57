import { Migration } from '@mikro-orm/migrations';

/**
 * People who sign in (product.md §7): a person per member (or, for support, across accounts), their
 * activation and reset links, sessions, a manager's narrowed view, and sign-in failure counters
 * shared by every replica. A trigger links a person invited by email to their member when it
 * appears, whichever path adds it; the one that makes access follow the Active box is in
 * Migration20261130000006 (it also raises "no admin").
 */
export class Migration20261130000005_people extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table person (
        id uuid primary key,
        account_id uuid null references account (id) on delete cascade,
        member_id uuid null references member (id) on delete set null,
        email text not null,
        name text not null,
        role text not null check (role in ('admin', 'account_manager', 'employee', 'support')),
        password_hash text null,
        activated_at timestamptz null,
        suspended_at timestamptz null,
        narrowed boolean not null default false,
        invited_by text not null,
        created_at timestamptz not null,
        updated_at timestamptz not null,
        constraint person_account_check check ((role = 'support') = (account_id is null))
      )`);
    this.addSql('create unique index person_email_uq on person (lower(email))');
    this.addSql('create index person_account_idx on person (account_id, role)');
    this.addSql('create unique index person_member_uq on person (member_id)');
    this.addSql(`
      create table person_scope (
        person_id uuid not null references person (id) on delete cascade,
        member_id uuid not null references member (id) on delete cascade,
        primary key (person_id, member_id)
      )`);
    this.addSql(`
      create table auth_link (
        id uuid primary key,
        person_id uuid not null references person (id) on delete cascade,
        purpose text not null check (purpose in ('activation', 'reset')),
        token_hash text not null unique,
        expires_at timestamptz not null,
        used_at timestamptz null,
        created_at timestamptz not null
      )`);
    this.addSql('create index auth_link_person_idx on auth_link (person_id)');
    this.addSql(`
      create table person_session (
        id uuid primary key,
        person_id uuid not null references person (id) on delete cascade,
        token_hash text not null unique,
        csrf_token text not null,
        created_at timestamptz not null,
        last_seen_at timestamptz not null,
        expires_at timestamptz not null,
        ended_at timestamptz null,
        end_reason text null,
        ip text null,
        user_agent text null
      )`);
    this.addSql('create index person_session_person_idx on person_session (person_id)');
    this.addSql(`
      create table signin_throttle (
        key text primary key,
        window_started_at timestamptz not null,
        failures int not null,
        audit_entry_id bigint null
      )`);

    // A person invited by email before their member existed is linked when it appears (any insert path).
    this.addSql(`
      create function psa_link_people() returns trigger language plpgsql as $$
      begin
        if exists (select 1 from person where member_id is null and account_id is not null and role <> 'support') then
          with pick as (
            select p.id as person_id,
                   (select m.id from member m
                     where m.account_id = p.account_id and lower(m.email) = lower(p.email)
                       and not exists (select 1 from person q where q.member_id = m.id)
                     order by m.active desc, m.first_seen_at, m.id limit 1) as member_id
              from person p where p.member_id is null and p.account_id is not null
          )
          update person p set member_id = m.id, updated_at = now(),
                 suspended_at = case when m.active then null else coalesce(p.suspended_at, now()) end
            from pick join member m on m.id = pick.member_id
           where p.id = pick.person_id;
        end if;
        return null;
      end $$`);
    this.addSql('create trigger member_links_people after insert on member for each statement execute function psa_link_people()');
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger member_links_people on member');
    this.addSql('drop function psa_link_people()');
    this.addSql('drop table signin_throttle, person_session, auth_link, person_scope, person');
  }
}
