import { Command } from 'commander';
import type { App } from '../app.js';
import { startDaemon } from '../daemon/daemon.js';
import { within } from '../daemon/scheduler.js';
import { APP_VERSION } from '../core/version.js';
import { registerAccountCommands } from './account-commands.js';
import { actor, readText, type CliContext } from './cli-context.js';
import { registerDeliveryCommands } from './delivery-commands.js';
import { registerMemberCommands } from './member-commands.js';
import { registerPeopleCommands } from './people-commands.js';
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


  const cli: CliContext = { withApp: (fn) => withApp(fn), print, write: (text) => out.write(text), readText, actor, setExitCode };
  registerAccountCommands(program, cli);
  registerMemberCommands(program, cli);
  registerPeopleCommands(program, cli);
  registerDeliveryCommands(program, cli);
  registerRatingsCommands(program, cli);
  registerScopeCommands(program, cli);
  return program;
}
