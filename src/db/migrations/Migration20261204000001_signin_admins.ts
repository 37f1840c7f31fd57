import { Migration } from '@mikro-orm/migrations';

/**
 * Who counts as an admin, and what a suspension does, each said once in the database.
 *
 * - `signin_admin`: an account's admins who can sign in — activated (a password set) and not
 *   suspended. A pending invitation is not one. The last-admin rule, the accounts' admin count and
 *   "no admin" flag, notification recipients and the `account.no_admin` event all read this view.
 * - Any statement that suspends a person (a member leaving Active, or a person linked to a member
 *   that is not Active) ends their sessions and, when that leaves the account without an admin who
 *   can sign in, raises `account.no_admin`: a trigger on `person` itself, so no path can forget it.
 *   `psa_member_access` (Migration20261130000006) now only flips `suspended_at`.
 */
export class Migration20261204000001_signin_admins extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create view signin_admin as
        select id, account_id, member_id from person
         where role = 'admin' and activated_at is not null and suspended_at is null`);

    this.addSql(`
      create function psa_person_suspended() returns trigger language plpgsql as $$
      begin
        with newly as (
          select n.id, n.account_id, n.role, n.activated_at
            from new_people n
            join old_people o on o.id = n.id
           where o.suspended_at is null and n.suspended_at is not null
        ), ended as (
          update person_session s set ended_at = now(), end_reason = 'member_inactive'
            from newly
           where s.person_id = newly.id and s.ended_at is null
          returning s.id
        )
        insert into notification (account_id, event, dedupe_key, payload, created_at)
        select distinct newly.account_id, 'account.no_admin', 'account.no_admin:' || newly.account_id || ':' || txid_current(), jsonb_build_object('accountId', newly.account_id), now()
          from newly
         where newly.role = 'admin' and newly.activated_at is not null and newly.account_id is not null
           and not exists (select 1 from signin_admin q where q.account_id = newly.account_id)
        on conflict (dedupe_key) do nothing;
        return null;
      end $$`);
    this.addSql(`
      create trigger person_suspension_ends_sessions after update on person
      referencing old table as old_people new table as new_people
      for each statement execute function psa_person_suspended()`);

    // Access follows the member's Active box; the person trigger above does the rest.
    this.addSql(`
      create or replace function psa_member_access() returns trigger language plpgsql as $$
      begin
        if not exists (select 1 from person where member_id is not null) then
          return null;
        end if;
        update person p set suspended_at = case when n.active then null else now() end, updated_at = now()
          from new_rows n
          join old_rows o on o.id = n.id
         where p.member_id = n.id and n.active is distinct from o.active
           and n.active = (p.suspended_at is not null);
        return null;
      end $$`);
  }

  override async down(): Promise<void> {
    this.addSql(`
      create or replace function psa_member_access() returns trigger language plpgsql as $$
      begin
        if not exists (select 1 from person where member_id is not null) then
          return null;
        end if;
        with flipped as (
          select p.id as person_id, p.account_id, p.role, n.active
            from new_rows n
            join person p on p.member_id = n.id
            join old_rows o on o.id = n.id
           where n.active is distinct from o.active
        ), suspended as (
          update person p set suspended_at = case when f.active then null else now() end, updated_at = now()
            from flipped f
           where p.id = f.person_id and (f.active = (p.suspended_at is not null))
          returning p.id
        ), ended as (
          update person_session s set ended_at = now(), end_reason = 'member_inactive'
            from flipped f
           where s.person_id = f.person_id and not f.active and s.ended_at is null
          returning s.id
        )
        insert into notification (account_id, event, dedupe_key, payload, created_at)
        select distinct f.account_id, 'account.no_admin', 'account.no_admin:' || f.account_id || ':' || txid_current(), jsonb_build_object('accountId', f.account_id), now()
          from flipped f
         where f.role = 'admin' and not f.active
           and not exists (select 1 from person q where q.account_id = f.account_id and q.role = 'admin' and q.suspended_at is null and q.id <> f.person_id
                             and not exists (select 1 from flipped g where g.person_id = q.id and not g.active))
        on conflict (dedupe_key) do nothing;
        return null;
      end $$`);
    this.addSql('drop trigger person_suspension_ends_sessions on person');
    this.addSql('drop function psa_person_suspended()');
    this.addSql('drop view signin_admin');
  }
}
