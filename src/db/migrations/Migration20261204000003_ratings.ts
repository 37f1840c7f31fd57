import { Migration } from '@mikro-orm/migrations';

/**
 * Ratings (product.md §12, issue 18): a survey event's client and comment; imported events; a
 * per-day rollup of ratings (account, local day, member, client) that reports read; and an
 * account manager's scope over engineers (include or exclude) and clients.
 *
 * The rollup is kept by triggers on survey_event, so every path that records, re-rates, matches or
 * imports an event moves it in the same transaction. Row-level triggers with WHEN clauses: a click
 * is one row, and a repeated click that changes nothing the rollup counts never calls a function.
 * A rating's day is its first click (`created_at`) in the account's time zone; changing the time
 * zone rebuilds the account's rollup.
 */
export class Migration20261204000003_ratings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table survey_event
        add column client text null constraint survey_event_client_check check (char_length(client) <= 200),
        add column comment text null constraint survey_event_comment_check check (char_length(comment) <= 2000)`);
    this.addSql('alter table survey_event drop constraint survey_event_channel_check');
    this.addSql("alter table survey_event add constraint survey_event_channel_check check (channel in ('link', 'api', 'import'))");
    // Ratings newest first, for an account (reports' list and export) and for one member (the employee dashboard).
    this.addSql('create index survey_event_rating_idx on survey_event (account_id, created_at desc, id desc) where member_id is not null');
    this.addSql('create index survey_event_member_rating_idx on survey_event (member_id, created_at desc, id desc) where member_id is not null');

    this.addSql(`
      create table rating_day (
        account_id uuid not null,
        day date not null,
        member_id uuid not null,
        client text not null default '',
        count integer not null,
        sum integer not null,
        positive integer not null,
        neutral integer not null,
        negative integer not null,
        constraint rating_day_pkey primary key (account_id, day, member_id, client)
      )`);
    // A report that keeps or leaves out a few clients reads only those clients' rows.
    this.addSql('create index rating_day_client_idx on rating_day (account_id, lower(client), day)');
    // The same without the client: at a thousand engineers a day holds few ratings per engineer and
    // client, so the rollup above is nearly as long as the events; reports that name no client read
    // this one (a row per engineer and day), and the employee dashboard reads one engineer's days.
    // (One engineer's ratings by client come from the events: a few thousand at most.)
    this.addSql(`
      create table rating_member_day (
        account_id uuid not null,
        day date not null,
        member_id uuid not null,
        count integer not null,
        sum integer not null,
        positive integer not null,
        neutral integer not null,
        negative integer not null,
        constraint rating_member_day_pkey primary key (account_id, day, member_id)
      )`);
    this.addSql('create index rating_member_day_member_idx on rating_member_day (member_id, day)');

    this.addSql(`
      create function psa_rating_day_add(acc uuid, ts timestamptz, mem uuid, cli text, r integer, n integer) returns void language plpgsql as $$
      declare
        local_day date := (ts at time zone (select a.timezone from account a where a.id = acc))::date;
        pos integer := case when r >= 7 then n else 0 end;
        neu integer := case when r between 4 and 6 then n else 0 end;
        neg integer := case when r <= 3 then n else 0 end;
      begin
        -- Both rollups in one statement: a click pays for one more statement, not two.
        with by_client as (
          insert into rating_day as d (account_id, day, member_id, client, count, sum, positive, neutral, negative)
          values (acc, local_day, mem, coalesce(cli, ''), n, n * r, pos, neu, neg)
          on conflict (account_id, day, member_id, client) do update set
            count = d.count + excluded.count, sum = d.sum + excluded.sum, positive = d.positive + excluded.positive,
            neutral = d.neutral + excluded.neutral, negative = d.negative + excluded.negative)
        insert into rating_member_day as d (account_id, day, member_id, count, sum, positive, neutral, negative)
        values (acc, local_day, mem, n, n * r, pos, neu, neg)
        on conflict (account_id, day, member_id) do update set
          count = d.count + excluded.count, sum = d.sum + excluded.sum, positive = d.positive + excluded.positive,
          neutral = d.neutral + excluded.neutral, negative = d.negative + excluded.negative;
      end $$`);
    this.addSql(`
      create function psa_rating_rollup() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'INSERT' and old.member_id is not null then
          perform psa_rating_day_add(old.account_id, old.created_at, old.member_id, old.client, old.rating, -1);
        end if;
        if tg_op <> 'DELETE' and new.member_id is not null then
          perform psa_rating_day_add(new.account_id, new.created_at, new.member_id, new.client, new.rating, 1);
        end if;
        return null;
      end $$`);
    this.addSql('create trigger survey_event_rollup_insert after insert on survey_event for each row when (new.member_id is not null) execute function psa_rating_rollup()');
    this.addSql(`
      create trigger survey_event_rollup_update after update on survey_event for each row
      when (old.rating is distinct from new.rating or old.member_id is distinct from new.member_id
            or old.client is distinct from new.client or old.created_at is distinct from new.created_at or old.account_id is distinct from new.account_id)
      execute function psa_rating_rollup()`);
    this.addSql('create trigger survey_event_rollup_delete after delete on survey_event for each row when (old.member_id is not null) execute function psa_rating_rollup()');

    // Days are local days: a new time zone re-buckets the account's ratings.
    this.addSql(`
      create function psa_rating_rebuild() returns trigger language plpgsql as $$
      begin
        delete from rating_day where account_id = new.id;
        delete from rating_member_day where account_id = new.id;
        -- In day order, as a rollup grows day by day.
        insert into rating_day (account_id, day, member_id, client, count, sum, positive, neutral, negative)
        select account_id, (created_at at time zone new.timezone)::date, member_id, coalesce(client, ''),
               count(*), sum(rating), count(*) filter (where rating >= 7), count(*) filter (where rating between 4 and 6), count(*) filter (where rating <= 3)
          from survey_event where account_id = new.id and member_id is not null
         group by 1, 2, 3, 4 order by 2, 3, 4;
        insert into rating_member_day (account_id, day, member_id, count, sum, positive, neutral, negative)
        select account_id, day, member_id, sum(count), sum(sum), sum(positive), sum(neutral), sum(negative)
          from rating_day where account_id = new.id group by 1, 2, 3 order by 2, 3;
        return null;
      end $$`);
    this.addSql('create trigger account_timezone_rebuilds_ratings after update of timezone on account for each row when (old.timezone is distinct from new.timezone) execute function psa_rating_rebuild()');

    // An account manager's scope: chosen members may now be excluded instead of included, and clients chosen either way.
    this.addSql('alter table person add column members_excluded boolean not null default false');
    this.addSql("alter table person add column client_scope text null constraint person_client_scope_check check (client_scope in ('include', 'exclude'))");
    this.addSql(`
      create table person_client_scope (
        person_id uuid not null references person (id) on delete cascade,
        client text not null,
        primary key (person_id, client)
      )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table person_client_scope');
    this.addSql('alter table person drop column client_scope, drop column members_excluded');
    this.addSql('drop trigger account_timezone_rebuilds_ratings on account');
    this.addSql('drop function psa_rating_rebuild()');
    this.addSql('drop trigger survey_event_rollup_delete on survey_event');
    this.addSql('drop trigger survey_event_rollup_update on survey_event');
    this.addSql('drop trigger survey_event_rollup_insert on survey_event');
    this.addSql('drop function psa_rating_rollup()');
    this.addSql('drop function psa_rating_day_add(uuid, timestamptz, uuid, text, integer, integer)');
    this.addSql('drop table rating_member_day');
    this.addSql('drop table rating_day');
    this.addSql('drop index survey_event_member_rating_idx');
    this.addSql('drop index survey_event_rating_idx');
    this.addSql("delete from survey_event where channel = 'import'");
    this.addSql('alter table survey_event drop constraint survey_event_channel_check');
    this.addSql("alter table survey_event add constraint survey_event_channel_check check (channel in ('link', 'api'))");
    this.addSql('alter table survey_event drop column comment, drop column client');
  }
}
