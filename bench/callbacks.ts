/**
 * `npm run bench -- --callbacks`: ConnectWise callbacks end to end (issue 12). Two replicas (real
 * `psa-sync start` processes, compiled) share one database; 50 accounts each receive a callback at
 * the same moment, half at each replica. The figure is the time from a callback's arrival to the
 * member's change being visible (committed) in the database, over several rounds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { parseEnv } from '../src/config/env.js';
import { createLogger } from '../src/core/logger.js';
import { exec } from '../src/db/sql.js';
import { ConnectWiseFake, cwMembers, FAKE_CREDENTIALS, serveFake } from '../test/fakes/connectwise-fake.js';

interface Replica {
  child: ChildProcess;
  url: string;
}

function startReplica(cli: string, name: string, env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, [cli, 'start'], { env: { ...process.env, ...env, PSA_SYNC_REPLICA: name, PORT: '0', LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`replica ${name} did not start`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (const line of buffer.split('\n')) {
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'psa-sync daemon started' && entry.url) (clearTimeout(timer), resolve({ child, url: entry.url }));
        } catch {
          // a partial line
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`replica ${name} exited with ${code}`)));
  });
}

export async function callbacksBench(o: { compiledDir: string; databaseUrl: string; secretKey: string; accounts?: number; rounds?: number }): Promise<string[]> {
  const accountsN = o.accounts ?? 50;
  const rounds = o.rounds ?? 6;
  const env = { DATABASE_URL: o.databaseUrl, PSA_SYNC_SECRET_KEY: o.secretKey };
  const app = await createApp({ env: parseEnv({ ...env, LOG_LEVEL: 'warn' }), logger: createLogger('warn'), migrations: 'auto' });
  const fake = new ConnectWiseFake(cwMembers(accountsN + 10));
  const cw = await serveFake(fake);
  const accounts: { id: string; key: string; memberId: number }[] = [];
  for (let i = 0; i < accountsN; i++) {
    const a = await app.accounts.add({ name: `Callbacks ${i}`, integration: 'connectwise', settings: { site: cw.url, ...FAKE_CREDENTIALS, codebase: 'v2025_1/' }, breakerMinMembers: 1000 });
    await app.engine.sync(a.id, { trigger: 'manual', requestedBy: 'bench' });
    accounts.push({ id: a.id, key: a.publicKey, memberId: i + 1 });
  }
  const cli = path.join(o.compiledDir, 'src/cli.js');
  const replicas = [await startReplica(cli, 'r1', env), await startReplica(cli, 'r2', env)];
  const latencies: number[] = [];
  let message = 0;
  try {
    for (let round = 1; round <= rounds; round++) {
      const inactive = round % 2 === 1;
      for (const a of accounts) fake.update(a.memberId, { inactiveFlag: inactive });
      const sent = new Map<string, number>();
      await Promise.all(
        accounts.map(async (a, i) => {
          const { body, signature } = fake.callback(cw.url, a.memberId, 'updated', `bench-${++message}`);
          sent.set(a.id, Date.now());
          const res = await fetch(`${replicas[i % 2]!.url}/hooks/connectwise/${a.key}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-content-signature': signature }, body });
          if (res.status !== 200) throw new Error(`callback refused: ${res.status} ${await res.text()}`);
        }),
      );
      const pending = new Set(accounts.map((a) => a.id));
      const deadline = Date.now() + 30_000;
      while (pending.size > 0 && Date.now() < deadline) {
        const waiting = accounts.filter((a) => pending.has(a.id));
        const rows = await exec<{ account_id: string }>(
          app.orm.em.fork(),
          `select m.account_id from member m
             join unnest(?::uuid[], ?::text[]) as x(account_id, external_id) on x.account_id = m.account_id and x.external_id = m.external_id
            where m.active = ?`,
          [waiting.map((a) => a.id), waiting.map((a) => String(a.memberId)), !inactive],
        );
        const now = Date.now();
        for (const r of rows) if (pending.delete(r.account_id)) latencies.push(now - sent.get(r.account_id)!);
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 10));
      }
      if (pending.size > 0) throw new Error(`${pending.size} callbacks not applied within 30 s in round ${round}`);
    }
  } finally {
    for (const r of replicas) r.child.kill('SIGTERM');
    await Promise.all(replicas.map((r) => new Promise((resolve) => r.child.once('exit', resolve))));
    await cw.close();
    await app.close();
  }
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!;
  const runs = accountsN * rounds;
  return [
    `ConnectWise callbacks: ${accountsN} accounts receiving a callback at once, two replicas (default 2 s scheduler tick), ${rounds} rounds, ${runs} callbacks`,
    `  arrival → member's change committed: p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${latencies.at(-1)} ms (target p95 < 2000 ms: ${q(0.95) < 2000 ? 'met' : 'MISSED'})`,
  ];
}
