import { Migration } from '@mikro-orm/migrations';

/** The class of the per-account ratings lock (`pg_advisory_xact_lock*(class, hashtext(account id))`): "RATE" in ASCII. */
const RATINGS_LOCK = 0x52415445;

/**
 * Ratings, reviewed (issue 18):
 *
 * One client key. `psa_client_key(name)` is the one form client names are compared in — scopes,
 * filters, the rollup's client groups, pickers — and gives the same text as `clientKey` in
 * src/domain/person-scope.ts: every run of whitespace (JavaScript's `\s`: tab, line breaks, no-break
 * and the other Unicode spaces, the byte-order mark) one space, trimmed, lower-cased by Unicode's
 * full case mapping (ICU's root locale: the final sigma, a dotted capital I), then NFC. The
 * database's own `lower()` follows its locale (under C it folds ASCII alone), so it is not used.
 * `psa_client_keys(names)` keys a list bound as one parameter (folded to a constant when planned).
 * The rollup keeps each row's key (`rating_day.client_key`, generated), so reports group and
 * filter by client without keying every row they read.
 *
 * One lock per account for the rollup. A rating's day is its first click in the account's time
 * zone, and a new time zone rebuilds the account's rollup from its events. Without a common lock a
 * rating recorded on another connection while the zone changed landed in the old zone's day (read
 * before the change committed) or was missed by the rebuild (not yet committed when it read the
 * events), and a rebuilt row could collide with a click's. Now every rollup change takes the
 * account's ratings lock shared (clicks never wait for one another) and the rebuild takes it
 * exclusively: a rebuild waits for clicks in flight and then reads them; a click that comes during
 * a rebuild waits for it and then reads the new zone. (Read committed, as psa-sync runs: each
 * statement after the wait sees what committed before it.) Every path that takes the account row
 * lock takes it before recording, so the two locks are always taken in one order.
 */
export class Migration20261205000003_rating_lock extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      do $$ begin
        if not exists (select 1 from pg_collation where collname = 'und-x-icu') then
          raise exception 'psa-sync needs a PostgreSQL built with ICU (collation "und-x-icu") to compare client names the way the application does';
        end if;
      end $$`);
    this.addSql(`
      create function psa_client_key(name text) returns text language sql immutable parallel safe as $$
        select normalize(lower(btrim(regexp_replace(name, '[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff]+', ' ', 'g'), ' ') collate "und-x-icu"), NFC)
      $$`);
    this.addSql(`
      create function psa_client_keys(names text[]) returns text[] language sql immutable parallel safe as $$
        select coalesce(array_agg(psa_client_key(n)), '{}') from unnest(names) n
      $$`);
    this.addSql(`
      create or replace function psa_rating_day_add(acc uuid, ts timestamptz, mem uuid, cli text, r integer, n integer) returns void language plpgsql as $$
      declare
        local_day date;
        pos integer := case when r >= 7 then n else 0 end;
        neu integer := case when r between 4 and 6 then n else 0 end;
        neg integer := case when r <= 3 then n else 0 end;
      begin
        -- The account's ratings lock, shared (see psa_rating_rebuild); the zone is read after it.
        perform pg_advisory_xact_lock_shared(${RATINGS_LOCK}, hashtext(acc::text));
        local_day := (ts at time zone (select a.timezone from account a where a.id = acc))::date;
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
      create or replace function psa_rating_rebuild() returns trigger language plpgsql as $$
      begin
        -- Exclusively: waits for ratings being recorded to commit, holds new ones off until this commits.
        perform pg_advisory_xact_lock(${RATINGS_LOCK}, hashtext(new.id::text));
        delete from rating_day where account_id = new.id;
        delete from rating_member_day where account_id = new.id;
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
    this.addSql('alter table rating_day add column client_key text generated always as (psa_client_key(client)) stored');
    // Reports that keep or leave out a few clients read those clients' rollup rows by this index.
    this.addSql('drop index rating_day_client_idx');
    this.addSql('create index rating_day_client_key_idx on rating_day (account_id, client_key, day)');
  }

  override async down(): Promise<void> {
    this.addSql('drop index rating_day_client_key_idx');
    this.addSql('create index rating_day_client_idx on rating_day (account_id, lower(client), day)');
    this.addSql('alter table rating_day drop column client_key');
    // The functions as Migration20261204000003 made them, without the lock.
    this.addSql(`
      create or replace function psa_rating_day_add(acc uuid, ts timestamptz, mem uuid, cli text, r integer, n integer) returns void language plpgsql as $$
      declare
        local_day date := (ts at time zone (select a.timezone from account a where a.id = acc))::date;
        pos integer := case when r >= 7 then n else 0 end;
        neu integer := case when r between 4 and 6 then n else 0 end;
        neg integer := case when r <= 3 then n else 0 end;
      begin
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
      create or replace function psa_rating_rebuild() returns trigger language plpgsql as $$
      begin
        delete from rating_day where account_id = new.id;
        delete from rating_member_day where account_id = new.id;
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
    this.addSql('drop function psa_client_keys(text[])');
    this.addSql('drop function psa_client_key(text)');
  }
}
