import { spawn, type ChildProcess } from 'node:child_process';
import { childBaseEnv, ROOT } from './cli.js';
import { TEST_SECRET_KEY } from './app.js';

/** A `psa-sync start` child process: a real replica of the daemon. */
export interface Replica {
  name: string;
  child: ChildProcess;
  /** The HTTP address it listens on, once up. */
  url: string;
  logs: () => Record<string, any>[];
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts a replica against `databaseUrl` and waits until its API answers. */
export async function startReplica(name: string, databaseUrl: string, env: Record<string, string> = {}): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start'], {
    cwd: ROOT,
    env: {
      ...childBaseEnv(),
      DATABASE_URL: databaseUrl,
      PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY,
      PSA_SYNC_REPLICA: name,
      PSA_SYNC_TICK_CRON: '* * * * * *',
      PSA_SYNC_LEASE_MS: '1500',
      PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: Record<string, any>[] = [];
  let buffer = '';
  let resolveUrl: (url: string) => void;
  const urlKnown = new Promise<string>((r) => (resolveUrl = r));
  child.stderr!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        const entry = JSON.parse(line) as Record<string, any>;
        lines.push(entry);
        if (entry.msg === 'psa-sync daemon started') resolveUrl(entry.url);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await Promise.race([
    urlKnown,
    exited.then((code) => {
      throw new Error(`replica ${name} exited with ${code} before starting: ${lines.map((l) => l.msg).join(' | ')}`);
    }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`replica ${name} did not start within 30 s`)), 30_000)),
  ]);
  return { name, child, url, logs: () => lines, exited };
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
