import type { Command } from 'commander';
import type { App } from '../app.js';
import { InputError } from '../core/errors.js';
import type { EmployeeDashboard, RatingFigures, RatingImportResult, RatingSummary } from '../domain/ratings.js';

/** What the ratings commands need of the program: its app factory, printer and output. */
export interface RatingsCli {
  withApp(fn: (app: App) => Promise<void>): Promise<void>;
  print(value: unknown, human: () => string): void;
  write(text: string): void;
  readText(file: string, what: string): Promise<string>;
  actor(): string;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

const avg = (f: RatingFigures) => (f.average === null ? '-' : f.average.toFixed(2));
const share = (f: RatingFigures) => (f.positiveShare === null ? '-' : `${(f.positiveShare * 100).toFixed(1)}%`);

/** The summary as a text table: one line per group, then the total. */
export function formatRatingSummary(s: RatingSummary): string {
  const heading = { member: 'ENGINEER', client: 'CLIENT', day: 'DAY', week: 'WEEK' }[s.groupBy];
  const rows = [
    [heading, 'RATINGS', 'AVERAGE', 'POSITIVE', 'NEUTRAL', 'NEGATIVE', 'POSITIVE SHARE'],
    ...s.groups.map((g) => [g.label, String(g.count), avg(g), String(g.positive), String(g.neutral), String(g.negative), share(g)]),
    ['TOTAL', String(s.overall.count), avg(s.overall), String(s.overall.positive), String(s.overall.neutral), String(s.overall.negative), share(s.overall)],
  ];
  return [`Ratings ${s.from} to ${s.to}, by ${s.groupBy} (positive 7-10, neutral 4-6, negative 0-3)`, table(rows)].join('\n');
}

const figuresLine = (f: RatingFigures) => (f.count === 0 ? 'no ratings' : `${f.count} rating${f.count === 1 ? '' : 's'}, average ${avg(f)}, ${share(f)} positive`);

/** An engineer's dashboard as text: figures, the days of the trend that hold ratings, and a page of ratings. */
export function formatDashboard(d: EmployeeDashboard): string {
  const days = d.trend.filter((g) => g.count > 0);
  const lines = [
    `${d.member.name} (${d.member.id}): ratings up to ${d.today} (positive 7-10, neutral 4-6, negative 0-3)`,
    `Last 90 days (${d.trend[0]?.key ?? d.today} to ${d.today}): ${figuresLine(d.last90Days)}`,
    `All time: ${figuresLine(d.overall)}`,
    '',
    days.length === 0 ? 'No ratings in the last 90 days.' : table([['DAY', 'RATINGS', 'AVERAGE', 'POSITIVE SHARE'], ...days.map((g) => [g.key, String(g.count), avg(g), share(g)])]),
    '',
  ];
  if (d.ratings.length === 0) lines.push('No ratings yet.');
  else {
    const cell = (v: string | null) => (v ?? '-').replace(/\s+/g, ' ');
    const rows = d.ratings.map((r) => [r.at.slice(0, 16).replace('T', ' '), String(r.rating), cell(r.client), cell(r.ticket), cell(r.comment).slice(0, 80)]);
    const widths = [16, 6, ...[2, 3].map((i) => Math.min(40, Math.max(6, ...rows.map((r) => r[i]!.length))))];
    lines.push('Ratings, newest first (times in UTC):', ...[['AT', 'RATING', 'CLIENT', 'TICKET', 'COMMENT'], ...rows].map((r) => r.map((c, i) => (i < 4 ? c.slice(0, widths[i]).padEnd(widths[i]!) : c)).join('  ').trimEnd()));
  }
  if (d.nextCursor) lines.push('', `More: --cursor ${d.nextCursor}`);
  return lines.join('\n');
}

export function formatRatingImport(r: RatingImportResult): string {
  const lines = [`Imported ${r.imported} rating${r.imported === 1 ? '' : 's'}: ${r.matched} matched to a member, ${r.unmatched} unmatched.`];
  if (r.unchanged > 0) lines.push(`${r.unchanged} row${r.unchanged === 1 ? ' was' : 's were'} already there (same ticket and respondent) and left as they are.`);
  if (r.membersAdded > 0) lines.push(`${r.membersAdded} member${r.membersAdded === 1 ? '' : 's'} added for agents seen in the ratings.`);
  return lines.join('\n');
}

/** `psa-sync ratings ACCOUNT …` (the report, or its ratings as CSV) and `psa-sync ratings import ACCOUNT FILE` (product.md §8). */
export function registerRatingsCommands(program: Command, cli: RatingsCli): void {
  const ratings = program
    .command('ratings')
    .description('ratings report of an account: count, average and positive share per engineer, client, day or week')
    .argument('[account]', 'account id')
    .option('--from <day>', 'first day, YYYY-MM-DD in the account time zone (default: 29 days before --to)')
    .option('--to <day>', 'last day, YYYY-MM-DD (default: today)')
    .option('--group-by <by>', 'member | client | day | week', 'member')
    .option('--members <ids>', 'only these engineers (comma-separated member ids)')
    .option('--clients <names>', 'only these clients (comma-separated; write a comma in a name as \\,)')
    .option('--exclude-members <ids>', 'leave out these engineers')
    .option('--exclude-clients <names>', 'leave out these clients')
    .option('--csv', 'print the individual ratings as CSV instead of the report')
    .action((accountId: string | undefined, opts: { from?: string; to?: string; groupBy: string; members?: string; clients?: string; excludeMembers?: string; excludeClients?: string; csv?: boolean }) =>
      cli.withApp(async (app) => {
        if (!accountId) throw new InputError('name an account: psa-sync ratings ACCOUNT, or psa-sync ratings import ACCOUNT FILE');
        const filters = { from: opts.from, to: opts.to, members: opts.members, clients: opts.clients, excludeMembers: opts.excludeMembers, excludeClients: opts.excludeClients };
        const defined = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
        if (opts.csv) {
          const csv = await app.ratings.csv(accountId, defined);
          for await (const chunk of csv.chunks) cli.write(chunk);
          return;
        }
        const summary = await app.ratings.summary(accountId, { ...defined, groupBy: opts.groupBy });
        cli.print(summary, () => formatRatingSummary(summary));
      }),
    );
  ratings
    .command('dashboard')
    .description("an engineer's dashboard, as an employee sees it on /me: figures of all time and the last 90 days, the 90-day trend, and their ratings newest first")
    .argument('<account>', 'account id')
    .argument('<member>', 'member id')
    .option('--limit <n>', 'ratings per page, 1-500', '50')
    .option('--cursor <cursor>', 'the next page (printed after a page)')
    .action((accountId: string, memberId: string, opts: { limit: string; cursor?: string }) =>
      cli.withApp(async (app) => {
        const dashboard = await app.ratings.dashboard(accountId, undefined, { memberId, limit: opts.limit, cursor: opts.cursor });
        cli.print(dashboard, () => formatDashboard(dashboard));
      }),
    );
  ratings
    .command('import')
    .description('import past ratings from another survey tool (all rows or none; the same rows again change nothing)')
    .argument('<account>', 'account id')
    .argument('<file>', 'CSV (header at,rating,ticket,respondent,client,comment,agent_id,agent_email,agent_name) or JSON ({"rows": [...]} or [...]); - for stdin')
    .option('--format <format>', 'csv | json (default: from the file name, else csv)')
    .action((accountId: string, file: string, opts: { format?: string }) =>
      cli.withApp(async (app) => {
        const format = opts.format ?? (file.toLowerCase().endsWith('.json') ? 'json' : 'csv');
        if (format !== 'csv' && format !== 'json') throw new InputError(`--format must be csv or json (got "${format}")`);
        const text = await cli.readText(file, 'ratings file');
        let body: { format: 'csv'; text: string } | { format: 'json'; rows: unknown[] };
        if (format === 'csv') body = { format, text };
        else {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch (cause) {
            throw new InputError(`nothing was imported: ${file === '-' ? 'stdin' : file} is not valid JSON`, { cause });
          }
          const rows = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown } | null)?.rows;
          if (!Array.isArray(rows)) throw new InputError('nothing was imported: a JSON file holds {"rows": [...]} or an array of rows');
          body = { format, rows };
        }
        const result = await app.ratings.import(accountId, body, cli.actor());
        cli.print(result, () => formatRatingImport(result));
      }),
    );
}
