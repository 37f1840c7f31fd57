import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { InvalidArgumentError } from 'commander';
import type { App } from '../app.js';
import { InputError } from '../core/errors.js';

/**
 * What every command group gets from the program: an app for the command's length, the printer
 * (text, or JSON with --json), raw output and the exit code.
 */
export interface CliContext {
  withApp(fn: (app: App) => Promise<void>): Promise<void>;
  print(value: unknown, human: () => string): void;
  write(text: string): void;
  readText(file: string, what?: string): Promise<string>;
  actor(): string;
  setExitCode(code: number): void;
}

/** Who a CLI change is recorded as in the audit trail: `cli:<os user>`. */
export function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** A commander parser for a whole-number option, refusing anything else by the option's name. */
export function intArg(name: string) {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    return Number(value);
  };
}

/** A file's text, or stdin's for `-`; an unreadable file is an InputError naming it. */
export async function readText(file: string, what = 'file'): Promise<string> {
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (cause) {
    throw new InputError(`cannot read ${what} ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
}

/** `true` / `false` as a boolean (absent: undefined); anything else is an InputError naming the flag. */
export function boolArg(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw new InputError(`${flag} must be true or false (got "${value}")`);
  return value === 'true';
}

/** A JSON settings file (or stdin), parsed; not JSON is an InputError naming the file, never echoing it. */
export async function readConfig(file: string): Promise<unknown> {
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
