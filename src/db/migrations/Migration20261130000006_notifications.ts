import { Migration } from '@mikro-orm/migrations';

/**
 * Notifications (product.md §10) and ConnectWise callbacks (§11). An event is a row written in the
 * transaction that records its cause (so a crash never loses or duplicates one); a worker on any
 * replica fans it out to deliveries (one per recipient) and sends them, claiming with skip locked.
 */
export class Migration20261130000006_notifications extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table account add column notify_emails text[] null');
    this.addSql(`
      create table notification (
        id bigserial primary key,
        account_id uuid null references account (id) on delete cascade,
        event text not null,
        dedupe_key text not null unique,
        payload jsonb not null,
        created_at timestamptz not null,
        fanned_out_at timestamptz null
      )`);
    this.addSql('create index notification_pending_idx on notification (id) where fanned_out_at is null');
    this.addSql(`
      create table webhook_endpoint (
        id uuid primary key,
        account_id uuid not null references account (id) on delete cascade,
        url text not null,
        secret_sealed text not null,
        enabled boolean not null default true,
        disabled_reason text null,
        disabled_at timestamptz null,
        created_by text not null,
        created_at timestamptz not null
      )`);
    this.addSql('create index webhook_endpoint_account_idx on webhook_endpoint (account_id)');
    this.addSql(`
      create table notification_delivery (
        id bigserial primary key,
        notification_id bigint not null references notification (id) on delete cascade,
        channel text not null check (channel in ('email', 'webhook')),
        target text not null,
        status text not null check (status in ('pending', 'delivered', 'dead')),
        attempts int not null default 0,
        next_attempt_at timestamptz not null,
        locked_until timestamptz null,
        last_error text null,
        delivered_at timestamptz null,
        created_at timestamptz not null,
        constraint notification_delivery_once unique (notification_id, channel, target)
      )`);
    this.addSql("create index notification_delivery_due_idx on notification_delivery (next_attempt_at) where status = 'pending'");
    this.addSql(`
      create table delivery_attempt (
        id bigserial primary key,
        delivery_id bigint not null references notification_delivery (id) on delete cascade,
        at timestamptz not null,
        ok boolean not null,
        status_code int null,
        error text null,
        ms int not null
      )`);
    this.addSql('create index delivery_attempt_delivery_idx on delivery_attempt (delivery_id, id)');

    // The daily digest finds survey-added members by day without scanning the change log.
    this.addSql('create index member_change_survey_added_idx on member_change (account_id, created_at) where survey_event_id is not null');
    this.addSql('alter table sync_run drop constraint sync_run_trigger_check');
    this.addSql("alter table sync_run add constraint sync_run_trigger_check check (trigger in ('schedule', 'manual', 'setup', 'retry', 'callback'))");
    this.addSql('alter table account add column cw_callback_id int null, add column cw_callback_url text null, add column callback_last_at timestamptz null');
    this.addSql(`
      create table callback_message (
        account_id uuid not null references account (id) on delete cascade,
        message_id text not null,
        received_at timestamptz not null,
        primary key (account_id, message_id)
      )`);
    this.addSql(`
      create table callback_request (
        id bigserial primary key,
        account_id uuid not null references account (id) on delete cascade,
        external_id text not null,
        action text not null,
        received_at timestamptz not null
      )`);
    this.addSql('create index callback_request_account_idx on callback_request (account_id, id)');

    // Deprovisioning follows the member: off Active suspends sign-in and ends sessions; Active again
    // lifts it. One set-based statement per UPDATE of members (a bulk change or a sync touches
    // thousands of rows; people are few), joining the people to the rows whose Active box flipped.
    // "no admin" is raised where it happens: the statement that suspended an account's last admin.
    this.addSql(`
      create function psa_member_access() returns trigger language plpgsql as $$
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
    this.addSql(`
      create trigger member_access_follows_active after update on member
      referencing old table as old_rows new table as new_rows
      for each statement execute function psa_member_access()`);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger member_access_follows_active on member');
    this.addSql('drop function psa_member_access()');
    this.addSql('drop table callback_request, callback_message, delivery_attempt, notification_delivery, webhook_endpoint, notification');
    this.addSql('alter table account drop column notify_emails, drop column cw_callback_id, drop column cw_callback_url, drop column callback_last_at');
  }
}
