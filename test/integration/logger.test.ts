import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, readableLogStream } from '../../src/core/logger.js';
import { ROOT } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/db.js';

describe('logs at a terminal', () => {
  it('a readable stream prints one line a record, message first, fields after, secrets redacted', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const logger = createLogger('info', readableLogStream(out));
    logger.info({ runId: 'r-1', settings: { privateKey: 'k' } }, 'applied plan');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: applied plan \{.*"runId":"r-1".*\}\n$/);
    expect(text).not.toContain('"k"');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('the daemon writes readable lines when stderr is a terminal, and JSON when it is not', async () => {
    const db = await createTestDatabase();
    const args = ['--import', 'tsx', 'src/cli.ts', 'start'];
    const env = { PATH: process.env.PATH ?? '', HOME: '/tmp', DATABASE_URL: db.url, PSA_SYNC_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), LOG_LEVEL: 'info', PORT: '0', PSA_SYNC_SHUTDOWN_GRACE_MS: '500' };
    // The daemon runs a few seconds, logs that it started and stopped, and is stopped with SIGINT.
    const piped = spawnSync('timeout', ['-s', 'INT', '6', process.execPath, ...args], { cwd: ROOT, env, encoding: 'utf8' });
    const jsonLines = piped.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(jsonLines.map((l) => JSON.parse(l).msg)).toContain('psa-sync daemon started');
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    const cmd = ['timeout', '-s', 'INT', '6', process.execPath, ...args].map((a) => `'${a}'`).join(' ');
    const tty = spawnSync('script', ['-qec', `${cmd} 2>&1 1>/dev/null`, '/dev/null'], { cwd: ROOT, env, encoding: 'utf8' });
    const lines = tty.stdout.split(/\r?\n/).filter((l) => l.trim() !== '');
    expect(lines.some((l) => /INFO.*psa-sync daemon started/.test(l))).toBe(true);
    expect(lines.some((l) => l.trim().startsWith('{"level"'))).toBe(false);
    await db.drop();
  }, 30_000);
});
