import { basename } from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../core/errors.js';
import { intArg, type CliContext } from './cli-context.js';
import { formatAudit, formatExplain, formatMembers } from './format.js';

/** `members …` and `audit`. */
export function registerMemberCommands(program: Command, cli: CliContext): void {
  const { withApp, print, actor } = cli;
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
        const text = await cli.readText(file);
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
}
