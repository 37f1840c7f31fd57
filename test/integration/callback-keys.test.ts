import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, OffsetClock, type TestApp } from '../helpers/app.js';

/**
 * ConnectWise callbacks and their signing keys (issue 16 §6): a bad callback is always a 4xx with
 * its reason, never a 5xx; the payload's CompanyId must be the account's company before any key is
 * fetched; key fetches per account are cached and rationed, so forged callbacks cannot make
 * psa-sync hammer a ConnectWise host; the key host is held to the PSA address policy at connect.
 */
let t: TestApp;
let server: FastifyInstance;
let fake: ConnectWiseFake;
let cw: Awaited<ReturnType<typeof serveFake>>;
/** A ConnectWise host whose key URL answers badly, by `id`. */
let odd: Server;
let oddUrl: string;
let oddFetches = 0;
const clock = new OffsetClock();
let account: { id: string; publicKey: string };
let message = 0;

beforeAll(async () => {
  odd = createServer((req, res) => {
    oddFetches++;
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id');
    if (id === 'html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Maintenance</body></html>');
    if (id === 'cut') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"signing_key":"abc');
      return void setTimeout(() => res.socket?.destroy(), 20);
    }
    if (id === 'big') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ signing_key: 'k'.repeat(100 * 1024) }));
    if (id === 'nokey') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    res.writeHead(503).end('down');
  });
  await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
  oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
  t = await createTestApp({ clock, resolve: async (hostname) => (hostname === 'cw.rebound.test' ? [{ address: '169.254.169.254', family: 4 }] : []) });
  fake = new ConnectWiseFake(cwMembers(5));
  cw = await serveFake(fake);
  account = await addCwAccount(t.app, cw.url);
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  await cw.close();
  await new Promise<void>((resolve) => odd.close(() => resolve()));
  await t.close();
});

/** A callback body as ConnectWise sends it, with `changes` applied, signed with `key`. */
function signed(site: string, changes: Record<string, unknown> = {}, key = fake.signingKey): { body: string; signature: string } {
  const base = JSON.parse(fake.callback(site, 2, 'updated', `msg-${++message}`).body) as Record<string, unknown>;
  const body = JSON.stringify({ ...base, ...changes });
  return { body, signature: createHmac('sha256', createHash('sha256').update(key).digest()).update(body).digest('base64') };
}
const post = (accountKey: string, c: { body: string; signature: string }) =>
  server.inject({ method: 'POST', url: `/hooks/connectwise/${accountKey}`, headers: { 'content-type': 'application/json', 'x-content-signature': c.signature }, payload: c.body });
const keyUrl = (site: string, id: string) => `${site}/v2025_1/system/callbackkey/index.rails?id=${id}`;

describe('a bad key answer is a 4xx with its reason', () => {
  it('non-JSON, cut off mid-body, too large, without a key, or an error status: 401 naming why, never a 5xx', async () => {
    const oddAccount = await addCwAccount(t.app, oddUrl);
    const cases: [string, RegExp][] = [
      ['html', /is not JSON/],
      ['cut', /cut off/],
      ['big', /larger than 64 KB/],
      ['nokey', /has no signing_key/],
      ['down', /answered 503/],
    ];
    for (const [id, reason] of cases) {
      const res = await post(oddAccount.publicKey, signed(oddUrl, { Metadata: { key_url: keyUrl(oddUrl, id) } }));
      expect(res.statusCode, `${id}: ${res.body}`).toBe(401);
      expect(res.json().error.message, id).toMatch(/^the callback signing key could not be read from 127\.0\.0\.1:\d+: /);
      expect(res.json().error.message, id).toMatch(reason);
    }
  });

  it('a key host name that resolves to a cloud metadata address is refused at connect time', async () => {
    const shared = await addCwAccount(t.app, 'https://cw.rebound.test');
    const res = await post(shared.publicKey, signed('https://cw.rebound.test', { Metadata: { key_url: keyUrl('https://cw.rebound.test', '1') } }));
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toContain('cw.rebound.test resolves to 169.254.169.254, which is a cloud metadata address');
  });
});

describe("the callback's company", () => {
  it("must be the account's, in any case, before any key is fetched", async () => {
    const fetches = fake.keyFetches;
    const other = await post(account.publicKey, signed(cw.url, { CompanyId: 'someone-else' }));
    expect(other.statusCode).toBe(401);
    expect(other.json().error.message).toContain("not this account's ConnectWise company");
    expect((await post(account.publicKey, signed(cw.url, { CompanyId: undefined }))).statusCode).toBe(400);
    expect(fake.keyFetches).toBe(fetches);
    const upper = await post(account.publicKey, signed(cw.url, { CompanyId: 'ACME' }));
    expect(upper.statusCode, upper.body).toBe(200);
    expect(upper.json().status).toBe('queued');
  });
});

describe('key fetches per account', () => {
  it('a flood of forged callbacks fetches keys only within the budget (429 past it), and a cached key still works', async () => {
    const good = await post(account.publicKey, signed(cw.url));
    expect(good.statusCode).toBe(200);
    const before = fake.keyFetches;
    const answers: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 30; i++) {
      const res = await post(account.publicKey, signed(cw.url, { Metadata: { key_url: keyUrl(cw.url, `forged-${i}`) } }, 'an-attackers-own-key'));
      answers.push(res.statusCode);
      if (res.statusCode === 429) retryAfter ??= res.headers['retry-after'] as string;
    }
    expect(fake.keyFetches - before).toBeLessThanOrEqual(5);
    expect(answers.filter((s) => s === 401).length).toBe(fake.keyFetches - before);
    expect(answers.filter((s) => s === 429).length).toBe(30 - (fake.keyFetches - before));
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // The account's real key is cached: its callbacks are not held up by the flood.
    expect((await post(account.publicKey, signed(cw.url))).json().status).toBe('queued');
    expect(fake.keyFetches - before).toBeLessThanOrEqual(5);

    // The budget refills with time; callbacks racing for one key share one fetch.
    clock.offsetMs += 120_000;
    const fetches = fake.keyFetches;
    const burst = await Promise.all(Array.from({ length: 10 }, () => post(account.publicKey, signed(cw.url, { Metadata: { key_url: keyUrl(cw.url, 'rotated') } }))));
    expect(burst.map((r) => r.statusCode)).toEqual(new Array(10).fill(200));
    expect(fake.keyFetches - fetches).toBe(1);
  });
});
