import { Migration } from '@mikro-orm/migrations';

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
    this.addSql('alter table rating_day add column client_key text generated always as (psa_client_key(client)) stored');
    // Reports that keep or leave out a few clients read those clients' rollup rows by this index.
    this.addSql('drop index rating_day_client_idx');
    this.addSql('create index rating_day_client_key_idx on rating_day (account_id, client_key, day)');
  }

  override async down(): Promise<void> {
    this.addSql('drop index rating_day_client_key_idx');
    this.addSql('create index rating_day_client_idx on rating_day (account_id, lower(client), day)');
    this.addSql('alter table rating_day drop column client_key');
    this.addSql('drop function psa_client_keys(text[])');
    this.addSql('drop function psa_client_key(text)');
  }
}
