import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * What a child psa-sync process keeps of the test's environment, and nothing else: the path and home,
 * and a clock moved for the whole test run (scripts/test-at-hours.sh: faketime's preload and
 * settings), so a command's "now" is the test's "now".
 */
export function childBaseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && (e[0] === 'LD_PRELOAD' || e[0].startsWith('FAKETIME')))),
  };
}

/** Runs the psa-sync CLI in a child process, from source (tsx) or from a given entry file. */
export function runCli(args: string[], env: Record<string, string>, options: { stdin?: string; entry?: string } = {}): Promise<CliResult> {
  const nodeArgs = options.entry ? [options.entry] : ['--import', 'tsx', 'src/cli.ts'];
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: ROOT,
    env: { ...childBaseEnv(), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
