import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import type { PersonScopeInput } from '../domain/person-scope.js';
import type { CliContext } from './cli-context.js';
import { formatInvited, formatPeople } from './format.js';

/** `people …` and `support …`. */
export function registerPeopleCommands(program: Command, cli: CliContext): void {
  const { withApp, print, actor } = cli;
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
