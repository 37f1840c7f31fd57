import { Migration } from '@mikro-orm/migrations';

/** The class of the per-account lock a fold and a time-zone rebuild take (`pg_advisory_xact_lock(class, hashtext(account id))`): "FOLD" in ASCII. */
const FOLD_LOCK = 0x464f4c44;

/** The lines of a batch of pending ratings (`z`: account, local day, member, client, rating, n) added to both rollups. */
const ADD_TO_ROLLUPS = `
  by_client as (
    insert into rating_day as d (account_id, day, member_id, client, count, sum, positive, neutral, negative)
    select account_id, day, member_id, client, sum(n), sum(n * rating), coalesce(sum(n) filter (where rating >= 7), 0),
           coalesce(sum(n) filter (where rating between 4 and 6), 0), coalesce(sum(n) filter (where rating <= 3), 0)
      from z group by 1, 2, 3, 4 order by 2, 3, 4
    on conflict (account_id, day, member_id, client) do update set
      count = d.count + excluded.count, sum = d.sum + excluded.sum, positive = d.positive + excluded.positive,
      neutral = d.neutral + excluded.neutral, negative = d.negative + excluded.negative),
  by_member as (
    insert into rating_member_day as d (account_id, day, member_id, count, sum, positive, neutral, negative)
    select account_id, day, member_id, sum(n), sum(n * rating), coalesce(sum(n) filter (where rating >= 7), 0),
           coalesce(sum(n) filter (where rating between 4 and 6), 0), coalesce(sum(n) filter (where rating <= 3), 0)
      from z group by 1, 2, 3 order by 2, 3
    on conflict (account_id, day, member_id) do update set
      count = d.count + excluded.count, sum = d.sum + excluded.sum, positive = d.positive + excluded.positive,
      neutral = d.neutral + excluded.neutral, negative = d.negative + excluded.negative)`;

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
 * Recording stays cheap. A click used to upsert today's row of its engineer (and client) in both
 * rollups, the same few rows every click of the day rewrote: it cost recording a third of its
 * throughput. Now a change to an event appends a line to `rating_pending` (+1 for a rating, -1 for
 * one taken back: a re-rating, a late match, a delete), and `psa_rating_fold()` — the daemon's tick,
 * and right after an import — moves the lines into the rollups in one statement, grouped. Reports
 * read the rollups together with the pending lines (bucketed in the account's time zone as they
 * are read), so every figure is current the moment a rating commits.
 *
 * Time zones. A rating's day is its first click in the account's time zone, and a new time zone
 * rebuilds the account's rollups from its events and clears its pending lines. Clicks never touch
 * the rollups, so they never wait for a rebuild (at a million ratings it takes seconds) nor it for
 * them: the rebuild clears the pending lines and reads the events in one statement, one snapshot,
 * so a rating recorded meanwhile is either in both (and counted by the rebuild) or in neither (its
 * line stays, to be folded in the new zone). Only folds write the rollups besides the rebuild, and
 * the two exclude each other by a lock per account (`FOLD`; a fold takes its accounts' in one
 * order). Before, a rating recorded on another connection while the zone changed landed in the old
 * zone's day or was missed by the rebuild, and a rebuilt row could collide with a click's.
 */
export class Migration20261205000003_rating_lock extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      do $$ begin
        if pg_encoding_to_char((select encoding from pg_database where datname = current_database())) <> 'UTF8' then
          raise exception 'psa-sync needs a UTF8 database to compare client names the way the application does (this one is %); create it with ENCODING ''UTF8''', pg_encoding_to_char((select encoding from pg_database where datname = current_database()));
        end if;
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
      create table rating_pending (
        id uuid not null default gen_random_uuid(),
        account_id uuid not null,
        created_at timestamptz not null,
        member_id uuid not null,
        client text null,
        rating integer not null,
        n integer not null,
        constraint rating_pending_pkey primary key (id)
      )`);
    this.addSql('create index rating_pending_account_idx on rating_pending (account_id)');
    this.addSql(`
      create or replace function psa_rating_rollup() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'INSERT' and old.member_id is not null then
          insert into rating_pending (account_id, created_at, member_id, client, rating, n) values (old.account_id, old.created_at, old.member_id, old.client, old.rating, -1);
        end if;
        if tg_op <> 'DELETE' and new.member_id is not null then
          insert into rating_pending (account_id, created_at, member_id, client, rating, n) values (new.account_id, new.created_at, new.member_id, new.client, new.rating, 1);
        end if;
        return null;
      end $$`);
    this.addSql('drop function psa_rating_day_add(uuid, timestamptz, uuid, text, integer, integer)');
    this.addSql(`
      create function psa_rating_fold(only_accounts uuid[] default null) returns integer language plpgsql as $$
      declare
        accounts uuid[];
        acc uuid;
        moved integer;
      begin
        select coalesce(array_agg(distinct account_id order by account_id), '{}') into accounts
          from rating_pending where only_accounts is null or account_id = any(only_accounts);
        -- In one order, so two folds never deadlock; a rebuild takes one of these too.
        foreach acc in array accounts loop
          perform pg_advisory_xact_lock(${FOLD_LOCK}, hashtext(acc::text));
        end loop;
        -- A statement of its own: it sees what committed while the locks were awaited (a rebuild).
        with batch as (
          delete from rating_pending p where p.account_id = any(accounts)
          returning p.account_id, p.created_at, p.member_id, p.client, p.rating, p.n),
        z as (
          select b.account_id, (b.created_at at time zone a.timezone)::date as day, b.member_id, coalesce(b.client, '') as client, b.rating, b.n
            from batch b join account a on a.id = b.account_id),${ADD_TO_ROLLUPS}
        select count(*) into moved from batch;
        return moved;
      end $$`);
    this.addSql(`
      create or replace function psa_rating_rebuild() returns trigger language plpgsql as $$
      begin
        -- No fold of this account meanwhile (it would write rows in the old zone's days).
        perform pg_advisory_xact_lock(${FOLD_LOCK}, hashtext(new.id::text));
        delete from rating_day where account_id = new.id;
        delete from rating_member_day where account_id = new.id;
        -- One statement, one snapshot: a rating committed before it is counted from its event and its
        -- pending line goes; one committed after keeps its line, folded later in the new zone.
        with gone as (delete from rating_pending where account_id = new.id),
        ev as (
          select account_id, (created_at at time zone new.timezone)::date as day, member_id, coalesce(client, '') as client, rating
            from survey_event where account_id = new.id and member_id is not null),
        by_client as (
          insert into rating_day (account_id, day, member_id, client, count, sum, positive, neutral, negative)
          select account_id, day, member_id, client, count(*), sum(rating), count(*) filter (where rating >= 7),
                 count(*) filter (where rating between 4 and 6), count(*) filter (where rating <= 3)
            from ev group by 1, 2, 3, 4 order by 2, 3, 4)
        insert into rating_member_day (account_id, day, member_id, count, sum, positive, neutral, negative)
        select account_id, day, member_id, count(*), sum(rating), count(*) filter (where rating >= 7),
               count(*) filter (where rating between 4 and 6), count(*) filter (where rating <= 3)
          from ev group by 1, 2, 3 order by 2, 3;
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
    // The functions as Migration20261204000003 made them: a click upserts both rollups itself.
    this.addSql('select psa_rating_fold()');
    this.addSql('drop function psa_rating_fold(uuid[])');
    this.addSql(`
      create function psa_rating_day_add(acc uuid, ts timestamptz, mem uuid, cli text, r integer, n integer) returns void language plpgsql as $$
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
    this.addSql(`
      create or replace function psa_rating_rollup() returns trigger language plpgsql as $$
      begin
        if tg_op <> 'INSERT' and old.member_id is not null then
          perform psa_rating_day_add(old.account_id, old.created_at, old.member_id, old.client, old.rating, -1);
        end if;
        if tg_op <> 'DELETE' and new.member_id is not null then
          perform psa_rating_day_add(new.account_id, new.created_at, new.member_id, new.client, new.rating, 1);
        end if;
        return null;
      end $$`);
    this.addSql('drop table rating_pending');
    this.addSql('drop function psa_client_keys(text[])');
    this.addSql('drop function psa_client_key(text)');
  }
}
