import type { Command } from 'commander';
import { INTEGRATIONS } from '../connector/contract.js';
import { InputError } from '../core/errors.js';
import { cleanReason } from '../services/members.js';
import { boolArg, intArg, readConfig, type CliContext } from './cli-context.js';
import { formatAccount, formatAccounts, formatRun, formatRuns, formatSurveyEvents } from './format.js';

/** `accounts …`, `survey-events`, `sync` and `runs …`. */
export function registerAccountCommands(program: Command, cli: CliContext): void {
  const { withApp, print, actor } = cli;
  const accounts = program.command('accounts').description('manage accounts');
  accounts
    .command('add')
    .description("create an account; FILE (or - for stdin) holds the connector's JSON settings, secrets included")
    .requiredOption('--name <name>', 'account name')
    .requiredOption('--integration <integration>', INTEGRATIONS.join(' | '))
    .requiredOption('--config <file>', 'connector settings JSON file, or - for stdin')
    .option('--seat-limit <k>', 'most members that may be Active at once', intArg('seat limit'))
    .option('--sync-at <HH:MM>', 'daily sync time in the account time zone')
    .option('--timezone <tz>', 'IANA time zone', 'UTC')
    .option('--breaker-percent <p>', 'hold a run that deactivates more than this % of Active members', intArg('breaker percent'))
    .option('--breaker-min <n>', '…and more than this many members', intArg('breaker minimum'))
    .option('--require-signed-links', 'accept only signed survey links for this account')
    .action((opts) =>
      withApp(async (app) => {
        const account = await app.accounts.add({
          name: opts.name,
          integration: opts.integration,
          settings: await readConfig(opts.config),
          seatLimit: opts.seatLimit,
          syncAt: opts.syncAt,
          timezone: opts.timezone,
          breakerPercent: opts.breakerPercent,
          breakerMinMembers: opts.breakerMin,
          requireSignedLinks: opts.requireSignedLinks === true ? true : undefined,
        });
        print(account, () => formatAccount(account));
      }),
    );
  accounts
    .command('update')
    .description('change an account; new settings clear an auth back-off and sync at the next tick')
    .argument('<account>', 'account id')
    .option('--config <file>', 'new connector settings JSON file, or - for stdin')
    .option('--seat-limit <k>', "most members that may be Active at once ('none' for no limit)")
    .option('--sync-at <HH:MM>', "daily sync time in the account time zone ('default' for the spread time)")
    .option('--timezone <tz>', 'IANA time zone')
    .option('--require-signed-links <yes>', 'true | false: accept only signed survey links')
    .option('--survey-auto-add-cap <n>', 'most members survey activity may add per day', intArg('survey auto-add cap'))
    .option('--breaker-percent <p>', 'hold a run that deactivates more than this % of Active members', intArg('breaker percent'))
    .option('--breaker-min <n>', '…and more than this many members', intArg('breaker minimum'))
    .option('--notify-emails <emails>', "who gets this account's notification emails (comma-separated), or 'admins' for its admins")
    .option('--reason <text>', 'why, recorded in the audit trail')
    .action((accountId: string, opts: { config?: string; seatLimit?: string; syncAt?: string; timezone?: string; requireSignedLinks?: string; surveyAutoAddCap?: number; breakerPercent?: number; breakerMin?: number; notifyEmails?: string; reason?: string }) =>
      withApp(async (app) => {
        if (opts.notifyEmails !== undefined) {
          const list = opts.notifyEmails === 'admins' ? null : opts.notifyEmails.split(',').map((e) => e.trim()).filter(Boolean);
          const updated = await app.accounts.setNotificationEmails(accountId, list, actor(), cleanReason(opts.reason));
          const others = [opts.config, opts.seatLimit, opts.syncAt, opts.timezone, opts.requireSignedLinks, opts.surveyAutoAddCap, opts.breakerPercent, opts.breakerMin].some((v) => v !== undefined);
          if (!others) return print(updated, () => formatAccount(updated));
        }
        let seatLimit: number | null | undefined;
        if (opts.seatLimit !== undefined) seatLimit = opts.seatLimit === 'none' ? null : intArg('seat limit')(opts.seatLimit);
        const account = await app.accounts.update(accountId, {
          settings: opts.config === undefined ? undefined : await readConfig(opts.config),
          seatLimit,
          syncAt: opts.syncAt === 'default' ? null : opts.syncAt,
          timezone: opts.timezone,
          requireSignedLinks: boolArg('--require-signed-links', opts.requireSignedLinks),
          surveyAutoAddCap: opts.surveyAutoAddCap,
          breakerPercent: opts.breakerPercent,
          breakerMinMembers: opts.breakerMin,
        }, actor(), cleanReason(opts.reason));
        print(account, () => formatAccount(account));
      }),
    );
  accounts
    .command('list')
    .description('list accounts with integration and last run')
    .action(() =>
      withApp(async (app) => {
        const list = await app.accounts.list();
        print(list, () => formatAccounts(list));
      }),
    );

  accounts
    .command('snippet')
    .description("print the HTML survey snippet for an account, with its PSA's merge fields")
    .argument('<account>', 'account id')
    .option('--base-url <url>', 'public address of psa-sync (default PSA_SYNC_PUBLIC_URL, or http://HOST:PORT)')
    .option('--agent-id <id>', 'a fixed agent (an email-signature snippet); fixed-agent snippets are signed')
    .option('--agent-email <email>', 'a fixed agent, by email')
    .option('--agent-name <name>', 'a fixed agent, by name')
    .action((accountId: string, opts: { baseUrl?: string; agentId?: string; agentEmail?: string; agentName?: string }) =>
      withApp(async (app) => {
        const result = await app.survey.snippet(accountId, opts.baseUrl ?? app.env.publicUrl, { id: opts.agentId, email: opts.agentEmail, name: opts.agentName });
        print(result, () => [result.html, ...(result.note ? [`<!-- check: ${result.note} -->`] : [])].join('\n'));
      }),
    );

  program
    .command('survey-events')
    .description('recorded survey events of an account, newest first (unmatched ones say why)')
    .argument('<account>', 'account id')
    .option('--unmatched', 'only events that credited no member')
    .action((accountId: string, opts: { unmatched?: boolean }) =>
      withApp(async (app) => {
        const events = await app.survey.list(accountId, opts.unmatched === true);
        print(events, () => formatSurveyEvents(events));
      }),
    );

  program
    .command('sync')
    .description('Sync Members now, in this process; prints the finished run')
    .argument('<account>', 'account id')
    .option('--dry-run', 'show the plan without applying anything')
    .action((accountId: string, opts: { dryRun?: boolean }) =>
      withApp(async (app) => {
        const { run, changes } = await app.engine.sync(accountId, { trigger: 'manual', requestedBy: actor(), dryRun: opts.dryRun === true });
        print({ ...run, changes }, () => formatRun(run, changes));
        if (run.status === 'failed') cli.setExitCode(1);
      }),
    );

  const runs = program
    .command('runs')
    .description('run history of an account, or one run')
    .argument('[account]', 'account id')
    .action((accountId?: string) =>
      withApp(async (app) => {
        if (!accountId) throw new InputError('name an account: psa-sync runs ACCOUNT, or psa-sync runs show RUN');
        const list = await app.runs.list(accountId);
        print(list, () => formatRuns(list));
      }),
    );
  runs
    .command('show')
    .description('one run with its changes (a held run lists its planned changes)')
    .argument('<run>', 'run id')
    .action((runId: string) =>
      withApp(async (app) => {
        const result = await app.runs.show(runId);
        print({ ...result.run, changes: result.changes }, () => formatRun(result.run, result.changes));
      }),
    );
  for (const verb of ['approve', 'reject'] as const) {
    runs
      .command(verb)
      .description(verb === 'approve' ? 'apply exactly the stored plan of a held run' : 'discard a held run; nothing is applied')
      .argument('<run>', 'run id')
      .option('--reason <text>', 'why, recorded in the audit trail')
      .action((runId: string, opts: { reason?: string }) =>
        withApp(async (app) => {
          const reason = cleanReason(opts.reason);
          const { run, changes } = verb === 'approve' ? await app.engine.approve(runId, actor(), reason) : await app.engine.reject(runId, actor(), reason);
          print({ ...run, changes }, () => formatRun(run, changes));
        }),
      );
  }
}
