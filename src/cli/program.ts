import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import type { App } from '../app.js';
import { startDaemon } from '../daemon/daemon.js';
import { within } from '../daemon/scheduler.js';
import { InputError } from '../core/errors.js';
import { formatAccount, formatAccounts, formatAudit, formatExplain, formatHeldMail, formatMembers, formatRun, formatRuns, formatSurveyEvents, formatTokens, formatPeople, formatInvited } from './format.js';
import { APP_VERSION } from '../core/version.js';
import { INTEGRATIONS } from '../connector/contract.js';
import { listHeldMail } from '../db/mail-repository.js';
import { smtpLabel } from '../notify/mailer.js';
import { testMail } from '../notify/templates.js';
import { EMAIL } from '../services/member-file.js';
import { cleanReason } from '../services/members.js';
import type { PersonScopeInput } from '../domain/person-scope.js';
import { registerRatingsCommands } from './ratings-commands.js';
import { registerScopeCommands } from './scope-commands.js';

/** Where command output goes; stdout only carries this. */
export interface Output {
  write(text: string): void;
}

/** Builds the app for a command; `migrate` builds it without the schema check, `daemon` migrates first. */
export type AppFactory = (purpose: 'command' | 'migrate' | 'daemon') => Promise<App>;

/** How `start` waits for the signal to stop (SIGTERM/SIGINT in the real CLI). */
export type StopSignal = () => Promise<string>;

function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

function intArg(name: string) {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    return Number(value);
  };
}

async function readText(file: string, what = 'file'): Promise<string> {
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (cause) {
    throw new InputError(`cannot read ${what} ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
}

function boolArg(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new InputError(`${flag} must be true or false (got "${value}")`);
  return value === 'true';
}

async function readConfig(file: string): Promise<unknown> {
  const text = await readText(file, 'config file');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InputError(`config file ${file === '-' ? '(stdin)' : file} is not valid JSON`, { cause });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The `psa-sync` command line (product.md §8). Every command prints human-readable text, or JSON
 * with `--json`; the process exit code is set by the caller from the returned value.
 */
export function buildProgram(makeApp: AppFactory, out: Output, setExitCode: (code: number) => void, stopSignal: StopSignal): Command {
  const program = new Command('psa-sync')
    .description('Keeps staff lists in step with ConnectWise PSA, Autotask PSA, HaloPSA and the HTML survey snippet')
    .version(APP_VERSION)
    .option('--json', 'print JSON instead of text')
    .showHelpAfterError()
    .exitOverride();

  const json = () => program.opts<{ json?: boolean }>().json === true;
  const print = (value: unknown, human: () => string) => out.write(json() ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
  const withApp = async (fn: (app: App) => Promise<void>, purpose: 'command' | 'migrate' = 'command') => {
    const app = await makeApp(purpose);
    try {
      await fn(app);
    } finally {
      await app.close();
    }
  };

  program
    .command('start')
    .description('run the daemon: migrations, scheduler, HTTP API; stops gracefully on SIGTERM/SIGINT')
    .action(async () => {
      const app = await makeApp('daemon');
      let daemon: Awaited<ReturnType<typeof startDaemon>>;
      try {
        daemon = await startDaemon(app);
      } catch (err) {
        await app.close();
        throw err;
      }
      const signal = await stopSignal();
      app.logger.info({ signal }, 'stopping: no new claims; letting running syncs finish');
      // The whole stop, database included, fits in the grace period, even with the database gone.
      const deadline = Date.now() + Math.max(500, app.env.daemon.shutdownGraceMs);
      const stopped = await within(
        daemon.stop().finally(() => app.close()),
        deadline,
      );
      if (!stopped) {
        app.logger.error('could not close cleanly within the shutdown grace period (is the database reachable?); exiting anyway');
        setExitCode(1);
      }
    });

  program
    .command('migrate')
    .description('apply database migrations')
    .action(() =>
      withApp(async (app) => {
        const applied = await app.migrate();
        print({ applied }, () => (applied.length ? `Applied ${applied.join(', ')}` : 'Database schema is up to date.'));
      }, 'migrate'),
    );

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
        if (run.status === 'failed') setExitCode(1);
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

  const members = program
    .command('members')
    .description('the All Staff and Inactive Synced Members lists')
    .argument('[account]', 'account id')
    .option('--list <list>', 'staff | inactive | all', 'staff')
    .option('--department <name>', "only members in this department (the PSA's name, exactly)")
    .option('--location <name>', "only members at this location (the PSA's name, exactly)")
    .action((accountId: string | undefined, opts: { list: string; department?: string; location?: string }) =>
      withApp(async (app) => {
        if (!accountId) throw new InputError('name an account: psa-sync members ACCOUNT');
        const list = await app.members.list(accountId, opts.list, { department: opts.department, location: opts.location });
        print(list, () => formatMembers(list));
      }),
    );
  members
    .command('set-active')
    .description('check or uncheck the Active box')
    .argument('<account>', 'account id')
    .argument('<member>', 'member id')
    .argument('<active>', 'true | false')
    .option('--reason <text>', 'why, recorded in the audit trail and the member\'s explain')
    .action((accountId: string, memberId: string, value: string, opts: { reason?: string }) =>
      withApp(async (app) => {
        if (value !== 'true' && value !== 'false') throw new InputError(`Active must be true or false (got "${value}")`);
        const member = await app.members.setActive(accountId, memberId, value === 'true', actor(), opts.reason);
        print(member, () => formatMembers([member]));
      }),
    );
  members
    .command('import')
    .description('setup import of a snippet account: a CSV (name,email,agent_id) or JSON file; all rows or none')
    .argument('<account>', 'account id')
    .argument('<file>', 'CSV or JSON file, or - for stdin (JSON)')
    .option('--format <format>', 'csv | json (default: from the file name)')
    .action((accountId: string, file: string, opts: { format?: string }) =>
      withApp(async (app) => {
        const format = opts.format ?? (file.toLowerCase().endsWith('.csv') ? 'csv' : 'json');
        if (format !== 'csv' && format !== 'json') throw new InputError(`--format must be csv or json (got "${format}")`);
        const text = await readText(file);
        const result = await app.imports.import(accountId, text, format, `import:${file === '-' ? 'stdin' : basename(file)} (${actor()})`);
        print(result, () => `Imported: ${result.added} added${result.addedUnchecked ? ` (${result.addedUnchecked} unchecked: seat limit reached)` : ''}, ${result.updated} updated, ${result.unchanged} unchanged.`);
      }),
    );
  members
    .command('explain')
    .description("a member's state and every change that led to it")
    .argument('<account>', 'account id')
    .argument('<member>', 'member id')
    .action((accountId: string, memberId: string) =>
      withApp(async (app) => {
        const result = await app.members.explain(accountId, memberId);
        print(result, () => formatExplain(result.member, result.history));
      }),
    );

  program
    .command('audit')
    .description("an account's audit trail: every admin action, newest first, with who, before and after, and the reason given")
    .argument('<account>', 'account id')
    .option('--limit <n>', 'how many entries', intArg('--limit'), 50)
    .action((accountId: string, opts: { limit: number }) =>
      withApp(async (app) => {
        const { entries } = await app.members.audit(accountId, { limit: String(opts.limit) });
        print(entries, () => formatAudit(entries));
      }),
    );

  const mail = program.command('mail').description("psa-sync's mail: SMTP_URL, or the outbox when none is set");
  mail
    .command('outbox')
    .description('messages held because no SMTP_URL is set (activation links, notifications), newest first')
    .option('--to <email>', 'only messages to this address')
    .action((opts: { to?: string }) =>
      withApp(async (app) => {
        const held = await listHeldMail(app.orm.em.fork(), opts.to);
        print(held, () => formatHeldMail(held, app.env.mail.smtpUrl !== undefined));
      }),
    );
  mail
    .command('test')
    .description('send a test message, to check the mail settings end to end')
    .requiredOption('--to <email>', 'where to send it')
    .action((opts: { to: string }) =>
      withApp(async (app) => {
        if (!EMAIL.test(opts.to)) throw new InputError(`--to must be an email address (got "${opts.to}")`);
        const delivery = await app.mailer.send(opts.to, testMail(app.env.publicUrl));
        print(delivery, () => (delivery.channel === 'smtp' ? `Sent to ${opts.to} through ${smtpLabel(app.env.mail.smtpUrl!)}.` : `No SMTP_URL is set: the message to ${opts.to} is in the outbox (psa-sync mail outbox --to ${opts.to}).`));
      }),
    );

  const people = program.command('people').description("who signs in to an account's console, and with which role");
  people
    .command('invite')
    .description('give a role to an Active member with an email and send the activation email (link valid 7 days, usable once)')
    .argument('<account>', 'account id')
    .option('--member <member>', 'the member (id, as printed by members)')
    .option('--email <email>', "the member's email; for an account's first admin, also an email no member has yet")
    .requiredOption('--role <role>', 'admin | account_manager | employee')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .action((account: string, opts: { member?: string; email?: string; role: string; reason?: string }) =>
      withApp(async (app) => {
        const { person, mail } = await app.people.invite(account, { memberId: opts.member, email: opts.email, role: opts.role, reason: opts.reason }, actor());
        print({ person, mail }, () => formatInvited(person, mail));
      }),
    );
  people
    .command('list')
    .description("an account's people: role, state (invited, active, suspended), member, pending invitation")
    .argument('<account>', 'account id')
    .action((account: string) =>
      withApp(async (app) => {
        const list = await app.people.list(account);
        print(list, () => formatPeople(list));
      }),
    );
  people
    .command('resend')
    .description('send a new activation email; earlier links stop working')
    .argument('<account>', 'account id')
    .argument('<person>', 'person id, as printed by people list')
    .action((account: string, person: string) =>
      withApp(async (app) => {
        const result = await app.people.resend(account, person, actor());
        print(result, () => formatInvited(result.person, result.mail, true));
      }),
    );
  people
    .command('update')
    .description("change a person's role, or the engineers and clients an account manager sees")
    .argument('<account>', 'account id')
    .argument('<person>', 'person id, as printed by people list')
    .option('--role <role>', 'admin | account_manager | employee')
    .option('--members <ids>', 'an account manager sees only these members (comma-separated ids), or "all"')
    .option('--clients <names>', 'an account manager sees only ratings of these clients (comma-separated; a comma in a name as \\,), or "all"')
    .option('--exclude', '--members and --clients list what the account manager does not see')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .action((account: string, person: string, opts: { role?: string; members?: string; clients?: string; exclude?: boolean; reason?: string }) =>
      withApp(async (app) => {
        const updated = await app.people.update(account, person, { role: opts.role, ...scopeFlags(opts), reason: opts.reason }, actor());
        print(updated, () => formatPeople([updated]));
      }),
    );
  people
    .command('remove')
    .description('take away a sign-in (the member stays); the last admin who can sign in cannot be removed')
    .argument('<account>', 'account id')
    .argument('<person>', 'person id, as printed by people list')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .action((account: string, person: string, opts: { reason?: string }) =>
      withApp(async (app) => {
        const removed = await app.people.remove(account, person, actor(), undefined, opts.reason);
        print(removed, () => `Removed ${removed.name} <${removed.email}> (${removed.role}); their member stays.`);
      }),
    );

  const support = program.command('support').description('support people: read every account, name first admins');
  support
    .command('add')
    .description('add a support person and send their activation email')
    .requiredOption('--email <email>', 'their email (their sign-in)')
    .requiredOption('--name <name>', 'their name')
    .action((opts: { email: string; name: string }) =>
      withApp(async (app) => {
        const { person, mail } = await app.people.addSupport(opts, actor());
        print({ person, mail }, () => formatInvited(person, mail));
      }),
    );
  support
    .command('list')
    .description('support people')
    .action(() =>
      withApp(async (app) => {
        const list = await app.people.listSupport();
        print(list, () => formatPeople(list));
      }),
    );

  const webhooks = program.command('webhooks').description("an account's webhook endpoints (Standard Webhooks)");
  webhooks
    .command('add')
    .description("add an endpoint; prints its signing secret (whsec_…) once")
    .argument('<account>', 'account id')
    .requiredOption('--url <url>', 'where to POST events (https; private addresses only with PSA_SYNC_ALLOW_PRIVATE_WEBHOOKS=true)')
    .action((account: string, opts: { url: string }) =>
      withApp(async (app) => {
        const { endpoint, secret } = await app.webhooks.add(account, opts.url, actor());
        print({ endpoint, secret }, () => [`Webhook ${endpoint.id} → ${endpoint.url}`, `Signing secret (shown only now): ${secret}`].join('\n'));
      }),
    );
  webhooks
    .command('list')
    .description('endpoints: enabled, or disabled and why; latest delivery attempts')
    .argument('<account>', 'account id')
    .action((account: string) =>
      withApp(async (app) => {
        const list = await app.webhooks.list(account);
        print(list, () =>
          list.length === 0
            ? 'No webhooks. Add one with: psa-sync webhooks add ACCOUNT --url URL'
            : list
                .map((w) => {
                  const last = w.attempts[0];
                  return `${w.id}  ${w.url}  ${w.state === 'enabled' ? 'enabled' : `disabled: ${w.disabledReason}`}  ${last ? `last: ${last.event} ${last.ok ? 'ok' : `failed (${last.statusCode ?? last.error})`} at ${last.at}` : 'no deliveries yet'}`;
                })
                .join('\n'),
        );
      }),
    );

  const callbacks = program.command('callbacks').description("ConnectWise member callbacks: changes reach psa-sync in minutes");
  callbacks
    .command('register')
    .description("register psa-sync's member callback on the account's ConnectWise (reuses its own entry; never touches others)")
    .argument('<account>', 'account id')
    .requiredOption('--url <public-url>', "psa-sync's public base URL, which ConnectWise can reach (e.g. https://reviews.example.com)")
    .action((account: string, opts: { url: string }) =>
      withApp(async (app) => {
        if (!/^https?:\/\/[^\s]+$/.test(opts.url)) throw new InputError(`--url must be a URL such as https://reviews.example.com (got "${opts.url}")`);
        const result = await app.callbacks.register(account, opts.url, actor());
        print(result, () => `${result.reused ? 'Already registered' : 'Registered'}: ConnectWise callback ${result.callback.id} → ${result.callback.url}`);
      }),
    );
  callbacks
    .command('unregister')
    .description("remove psa-sync's own callback from the account's ConnectWise")
    .argument('<account>', 'account id')
    .action((account: string) =>
      withApp(async (app) => {
        const result = await app.callbacks.unregister(account, actor());
        print(result, () => (result.removed.length > 0 ? `Removed ConnectWise callback ${result.removed.join(', ')}.` : 'psa-sync had no callback registered on this ConnectWise.'));
      }),
    );

  const tokens = program.command('tokens').description('API tokens');
  tokens
    .command('list')
    .description('API tokens (never the tokens themselves): role, account, state, expiry, last use')
    .option('--account <account>', "only this account's tokens")
    .action((opts: { account?: string }) =>
      withApp(async (app) => {
        const list = await app.tokens.list({ accountId: opts.account });
        print(list, () => formatTokens(list));
      }),
    );
  tokens
    .command('revoke')
    .description('revoke a token: from now on it answers 401')
    .argument('<token>', 'token id, as printed by tokens list')
    .action((tokenId: string) =>
      withApp(async (app) => {
        const revoked = await app.tokens.revoke(tokenId, actor());
        print(revoked, () => formatTokens([revoked]));
      }),
    );
  tokens
    .command('create')
    .description('create an API token; it is printed once and stored hashed')
    .requiredOption('--role <role>', 'admin | account_manager | support')
    .option('--account <account>', 'the account an admin or account_manager token belongs to')
    .option('--name <name>', 'a label for the token, shown in run logs')
    .option('--expires-in <days>', 'the token answers 401 after this many days (default: never)', intArg('--expires-in'))
    .action((opts: { role: string; account?: string; name?: string; expiresIn?: number }) =>
      withApp(async (app) => {
        const { token, record } = await app.tokens.create({ role: opts.role, accountId: opts.account, name: opts.name, expiresInDays: opts.expiresIn }, actor());
        print({ ...record, token }, () =>
          [
            `Token ${record.id} for ${record.role}${record.accountId ? ` of account ${record.accountId}` : ' (all accounts, read only)'}${record.expiresAt ? `, expires ${record.expiresAt.toISOString()}` : ''}:`,
            token,
            'It is shown only now; store it somewhere safe.',
          ].join('\n'),
        );
      }),
    );

  registerRatingsCommands(program, { withApp, print, write: (text) => out.write(text), readText, actor });
  registerScopeCommands(program, { withApp, print, actor });
  return program;
}

/** `--members`, `--clients` and `--exclude` of `people update` as the people service takes them. */
function scopeFlags(opts: { members?: string; clients?: string; exclude?: boolean }): { memberScope?: string[] | null; scope?: PersonScopeInput } {
  const list = (v: string) => v.split(/(?<!\\),/).map((s) => s.replace(/\\,/g, ',').trim()).filter(Boolean);
  const part = (v: string | undefined) => (v === undefined ? undefined : v === 'all' ? null : opts.exclude ? { exclude: list(v) } : { include: list(v) });
  if (opts.exclude && opts.members === undefined && opts.clients === undefined) throw new InputError('--exclude needs --members or --clients');
  // Members alone, included: the original --members, unchanged.
  if (!opts.exclude && opts.clients === undefined) return opts.members === undefined ? {} : { memberScope: opts.members === 'all' ? null : list(opts.members) };
  const scope: PersonScopeInput = {};
  if (opts.members !== undefined) scope.members = part(opts.members);
  if (opts.clients !== undefined) scope.clients = part(opts.clients);
  return { scope };
}
