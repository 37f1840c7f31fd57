import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { PasswordHasher } from '../../src/people/password-hasher.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { signIn, TEST_PASSWORD } from '../helpers/people.js';

/** Sign-in limits under concurrency (issue 16, item 3): the attempt is counted before the password is checked, and the hash queue is bounded. */
const PER_PERSON = 5;
// One hash at a time and four waiting: as many as the per-person limit lets through, and a queue a test can fill on purpose.
const hasher = new PasswordHasher(1, { ln: 10, r: 8, p: 1 }, PER_PERSON - 1);
let t: TestApp;
let server: FastifyInstance;
let cw: Awaited<ReturnType<typeof serveFake>>;
let accountId: string;
const m: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp({ passwordHasher: hasher, env: { PSA_SYNC_SIGNIN_LIMIT_PER_PERSON: String(PER_PERSON), PSA_SYNC_SIGNIN_LIMIT_PER_ADDRESS: '1000' } });
  cw = await serveFake(new ConnectWiseFake(cwMembers(4)));
  accountId = (await addCwAccount(t.app, cw.url)).id;
  await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
  for (const x of await t.app.members.list(accountId, 'all')) m[x.identifier!] = x.id;
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await t.close();
});

const login = (email: string, password: string, ip = '203.0.113.7') => server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });

describe('sign-in limits under concurrency', () => {
  it('60 wrong passwords at once for one email: at most the per-person limit are checked (401), the rest are refused (429 with Retry-After)', async () => {
    const session = await signIn(t.app, server, { accountId, memberId: m.user1!, role: 'employee' });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => login(session.email, `Wrong-Pass-${i}`, `203.0.113.${i + 10}`)));
    const statuses = answers.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(PER_PERSON);
    expect(statuses.every((s) => s === 401 || s === 429 || s === 503), statuses.join(',')).toBe(true);
    for (const r of answers.filter((x) => x.statusCode !== 401)) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    // The limit holds for the right password too, and the aggregate audit entry counts what was checked.
    expect((await login(session.email, TEST_PASSWORD)).statusCode).toBe(429);
    const page = await server.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ email: session.email, password: TEST_PASSWORD }).toString() });
    expect(page.statusCode).toBe(429);
    expect(page.body).toContain('too many failed sign-ins for this email');
    expect(Number(page.headers['retry-after'])).toBeGreaterThan(0);
    const [row] = await query(t.url, `select failures from signin_throttle where key = $1`, [`person:${session.email}`]);
    expect(row!.failures).toBeLessThanOrEqual(PER_PERSON);
  });

  it('a full hash queue refuses at once with 429 and Retry-After, and counts no failure', async () => {
    const session = await signIn(t.app, server, { accountId, memberId: m.user2!, role: 'employee' });
    // Occupy the running slot and every waiting place with slow hashes (2^17: a quarter second or more each).
    const slow = await new PasswordHasher(1, { ln: 17, r: 8, p: 1 }).hash('Slow-Pass-1');
    const busy = Array.from({ length: PER_PERSON }, (_, i) => hasher.verify(`x${i}`, slow));
    try {
      const refused = await login(session.email, TEST_PASSWORD);
      expect(refused.statusCode, refused.body).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.json().error.message).toMatch(/try again in \d+ seconds?/);
      const rows = await query(t.url, `select failures from signin_throttle where key = $1`, [`person:${session.email}`]);
      expect(rows[0]?.failures ?? 0).toBe(0);
    } finally {
      await Promise.all(busy);
    }
    expect((await login(session.email, TEST_PASSWORD)).statusCode).toBe(200);
  });
});
