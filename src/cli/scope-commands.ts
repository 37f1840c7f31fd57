import type { Command } from 'commander';
import type { App } from '../app.js';
import { DIMENSION_WORDS, type SyncScopeDimension } from '../domain/scope.js';
import { cleanReason } from '../services/members.js';
import type { SyncScopeView } from '../services/sync-scope.js';
import { formatRun } from './format.js';

/** What the scope command needs of the program: its app factory, printer and who is acting. */
export interface ScopeCli {
  withApp(fn: (app: App) => Promise<void>): Promise<void>;
  print(value: unknown, human: () => string): void;
  actor(): string;
}

const FLAGS: [SyncScopeDimension, string][] = [
  ['memberTypes', '--member-types'],
  ['departments', '--departments'],
  ['locations', '--locations'],
];

/** `1,2` as ids, `all` as everyone (an empty list). */
const idList = (v: string): string[] => (v.trim() === 'all' ? [] : v.split(',').map((s) => s.trim()).filter(Boolean));

/** The scope and its choices as text: each dimension, its choices with the chosen ones ticked. */
export function formatScope(accountId: string, v: SyncScopeView): string {
  if (v.dimensions.length === 0) return `Account ${accountId} has no sync scope: its PSA has no member types, departments or locations to narrow by. Every member is in.`;
  const lines = [`Sync scope of account ${accountId}: ${v.words}`];
  if (v.choicesError) lines.push(`  (the choices could not be read: ${v.choicesError.message})`);
  for (const d of v.dimensions) {
    const chosen = new Set(v.scope[d]);
    const title = DIMENSION_WORDS[d].many.charAt(0).toUpperCase() + DIMENSION_WORDS[d].many.slice(1);
    lines.push('', `${title}: ${chosen.size === 0 ? 'all' : `${chosen.size} chosen`}`);
    const choices = v.choices?.[d] ?? [];
    const known = new Set(choices.map((c) => c.id));
    const width = Math.max(2, ...choices.map((c) => c.id.length));
    for (const c of choices) lines.push(`  [${chosen.has(c.id) ? 'x' : ' '}] ${c.id.padStart(width)}  ${c.name}`);
    for (const id of v.scope[d]) if (!known.has(id)) lines.push(`  [x] ${id.padStart(width)}  ${v.choices ? '(no longer listed by the PSA)' : ''}`);
  }
  lines.push('', 'Members the PSA reports active but outside the scope are on Inactive Synced Members (reason out_of_scope).');
  return lines.join('\n');
}

/**
 * `psa-sync accounts scope ACCOUNT [--member-types ID,ID|all] [--departments ID,ID|all]
 * [--locations ID,ID|all]` (product.md §8): without flags, prints the scope and the choices read
 * from the PSA; with them, sets the dimensions given (the others stay as they are).
 */
export function registerScopeCommands(program: Command, cli: ScopeCli): void {
  const accounts = program.commands.find((c) => c.name() === 'accounts')!;
  accounts
    .command('scope')
    .description('print the sync scope (which PSA members are staff) and its choices read from the PSA, or set it')
    .argument('<account>', 'account id')
    .option('--member-types <ids>', "member type ids, comma-separated, or 'all' (ConnectWise)")
    .option('--departments <ids>', "department ids, comma-separated, or 'all'")
    .option('--locations <ids>', "location ids, comma-separated, or 'all'")
    .option('--dry-run', 'store nothing: plan a sync under this scope and print what it would do')
    .option('--reason <text>', 'why, recorded in the audit trail')
    .action((accountId: string, opts: { memberTypes?: string; departments?: string; locations?: string; dryRun?: boolean; reason?: string }) =>
      cli.withApp(async (app) => {
        const raw = Object.fromEntries(FLAGS.flatMap(([d]) => (opts[d] === undefined ? [] : [[d, idList(opts[d]!)]])));
        if (Object.keys(raw).length === 0) {
          const view = await app.syncScope.get(accountId);
          return cli.print(view, () => formatScope(accountId, view));
        }
        if (opts.dryRun) {
          const preview = await app.syncScope.preview(accountId, raw, cli.actor(), { keepAbsent: true });
          return cli.print(preview, () => `Under this scope (nothing stored):\n${formatRun(preview.run, preview.changes)}`);
        }
        const change = await app.syncScope.set(accountId, raw, cli.actor(), cleanReason(opts.reason), { keepAbsent: true });
        cli.print(change, () => change.message);
      }),
    );
}
