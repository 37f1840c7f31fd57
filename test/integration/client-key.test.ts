import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { clientKey, type ScopeChoice } from '../../src/domain/person-scope.js';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { query } from '../helpers/db.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * One client key (issue 18 review): a client name is compared in one normalised form everywhere —
 * scopes, filters, the rollup's client groups, the pickers — and the database's `psa_client_key`
 * gives the same key as `clientKey` in TypeScript, non-ASCII case and any whitespace included. The
 * database's own `lower()` follows its locale (no final sigma, a dotted capital I folded to a plain
 * i, nothing at all under the C locale), so a name written in another case could slip past an
 * exclude list.
 */
const clock = new ManualClock('2026-03-10T12:00:00Z');
let t: TestApp;
let server: FastifyInstance;
let accountId: string;
let manager: TestSession;
let adminToken: string;

/** Names that differ only by case, Unicode composition or whitespace from one another, and some that must stay apart. */
const CORPUS = [
  'Ärzte GmbH',
  'ärzte gmbh',
  '  ÄRZTE\u00a0\u00a0GmbH\t',
  'A\u0308rzte GmbH', // decomposed Ä
  'ΟΔΟΣ AG',
  'Οδος AG',
  'İstanbul Ltd',
  'i̇stanbul ltd',
  'ISTANBUL LTD',
  'Straße AG',
  'STRASSE AG',
  'ＡＣＭＥ',
  'Ǆemal d.o.o.',
  'ООО Ромашка',
  'Acme\u2003\u3000Corp\u2028',
  '\ufeffAcme Corp',
  'Ꭰ Cherokee',
  'ﬁle Co',
  '',
  ' ',
];

const rate = async (client: string, ticket: string, rating = 8) => {
  const res = await server.inject({ method: 'POST', url: '/api/v1/survey-events', payload: { accountKey: (await t.app.accounts.get(accountId)).publicKey, rating, ticket, respondent: 'p@c.test', agentEmail: 'ann@msp.test', client } });
  expect(res.statusCode, res.body).toBe(201);
};

beforeAll(async () => {
  t = await createTestApp({ clock });
  server = await buildServer(t.app, { surveyLimits: { perIpPerMinute: 10_000, perAccountPerMinute: 10_000 } });
  accountId = (await t.app.accounts.add({ name: 'Keys MSP', integration: 'snippet', settings: {} })).id;
  await t.app.imports.import(accountId, 'name,email\nAnn Archer,ann@msp.test\nBob Baker,bob@msp.test\n', 'csv', 'test');
  await rate('ΟΔΟΣ AG', 'T1', 2);
  await rate('Οδος  AG', 'T2', 4);
  await rate('Ärzte GmbH', 'T3', 9);
  await rate(' ärzte gmbh', 'T4', 7);
  await rate('İstanbul Ltd', 'T5', 10);
  await rate('Open Co', 'T6', 6);
  await t.app.ratings.import(accountId, { format: 'json', rows: [{ at: '2026-03-09T10:00:00Z', rating: 1, ticket: 'T7', agentEmail: 'ann@msp.test', client: 'οδος ag' }] }, 'test');
  adminToken = (await t.app.tokens.create({ role: 'admin', accountId })).token;
  const bob = (await t.app.members.list(accountId)).find((m) => m.email === 'bob@msp.test')!;
  manager = await signIn(t.app, server, { accountId, memberId: bob.id, role: 'account_manager' });
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

const asManager = (url: string) => server.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}${url}`, headers: { cookie: manager.cookie } });
const asAdmin = (url: string) => server.inject({ method: 'GET', url: `/api/v1/accounts/${accountId}${url}`, headers: { authorization: `Bearer ${adminToken}` } });
const tickets = (body: { ratings?: { ticket: string }[]; events?: { ticket: string }[] }) => (body.ratings ?? body.events)!.map((r) => r.ticket).sort();

async function narrow(clients: ScopeChoice) {
  const person = (await t.app.people.list(accountId)).find((p) => p.email === manager.email)!;
  await t.app.people.update(accountId, person.id, { scope: { clients } }, 'test');
}

describe('the client key', () => {
  it('is the same in TypeScript and in the database', async () => {
    const rows = await query<{ name: string; key: string }>(t.url, 'select x as name, psa_client_key(x) as key from unnest($1::text[]) x', [CORPUS]);
    expect(rows.map((r) => r.key)).toEqual(CORPUS.map(clientKey));
    // The names meant to meet do; the others stay apart.
    expect(new Set(CORPUS.slice(0, 4).map(clientKey)).size).toBe(1);
    expect(clientKey('ΟΔΟΣ AG')).toBe(clientKey('Οδος AG'));
    expect(clientKey('İstanbul Ltd')).toBe(clientKey('i̇stanbul ltd'));
    expect(clientKey('İstanbul Ltd')).not.toBe(clientKey('ISTANBUL LTD'));
    expect(clientKey('Straße AG')).not.toBe(clientKey('STRASSE AG'));
    expect(clientKey('Acme\u2003\u3000Corp\u2028')).toBe('acme corp');
    expect(clientKey('\ufeffAcme Corp')).toBe('acme corp');
  });

  it('an exclude list hides a client however a rating spells it: figures, list, CSV, survey events, pickers', async () => {
    await narrow({ exclude: ['ΟΔΟΣ AG', 'ärzte GMBH'] });
    expect(tickets((await asManager('/ratings?from=2026-03-01&to=2026-03-10')).json())).toEqual(['T5', 'T6']);
    expect((await asManager('/ratings/summary?from=2026-03-01&to=2026-03-10&groupBy=client')).json().groups.map((g: { label: string }) => g.label).sort()).toEqual(['Open Co', 'İstanbul Ltd']);
    expect((await asManager('/ratings/summary?from=2026-03-01&to=2026-03-10&groupBy=member')).json().overall.count).toBe(2);
    const csv = (await asManager('/ratings.csv?from=2026-03-01&to=2026-03-10')).body;
    expect(csv).not.toMatch(/οδος|ΟΔΟΣ|ärzte|Ärzte/i);
    expect(tickets((await asManager('/survey-events?limit=500')).json())).toEqual(['T5', 'T6']);
    const principal = { kind: 'token' as const, id: 'x', name: 'x', role: 'account_manager' as const, accountId, memberScope: null, clientScope: { mode: 'exclude' as const, names: ['ΟΔΟΣ AG', 'ärzte GMBH'] } };
    expect((await t.app.ratings.clients(accountId, principal)).map((c) => c.name).sort()).toEqual(['Open Co', 'İstanbul Ltd']);
  });

  it('an include list keeps a client however a rating spells it', async () => {
    await narrow({ include: ['οδος ag'] });
    expect(tickets((await asManager('/ratings?from=2026-03-01&to=2026-03-10')).json())).toEqual(['T1', 'T2', 'T7']);
    expect((await asManager('/ratings/summary?from=2026-03-01&to=2026-03-10')).json().overall.count).toBe(3);
    await narrow({ include: ['ärzte gmbh', 'İSTANBUL LTD'] });
    // 'İSTANBUL LTD' folds to the same key as 'İstanbul Ltd'; Ärzte's two spellings meet.
    expect(tickets((await asManager('/ratings?from=2026-03-01&to=2026-03-10')).json())).toEqual(['T3', 'T4', 'T5']);
  });

  it('one group per client in reports and pickers, and a filter finds every spelling', async () => {
    const groups = (await asAdmin('/ratings/summary?from=2026-03-01&to=2026-03-10&groupBy=client')).json().groups as { label: string; count: number }[];
    expect(groups.map((g) => [clientKey(g.label), g.count]).sort()).toEqual([
      [clientKey('Ärzte GmbH'), 2],
      [clientKey('İstanbul Ltd'), 1],
      ['open co', 1],
      [clientKey('ΟΔΟΣ AG'), 3],
    ].sort());
    expect((await t.app.ratings.clients(accountId)).map((c) => [clientKey(c.name), c.count]).sort()).toEqual(groups.map((g) => [clientKey(g.label), g.count]).sort());
    expect(tickets((await asAdmin(`/ratings?from=2026-03-01&to=2026-03-10&clients=${encodeURIComponent('οδος   ag')}`)).json())).toEqual(['T1', 'T2', 'T7']);
    expect(tickets((await asAdmin(`/ratings?from=2026-03-01&to=2026-03-10&excludeClients=${encodeURIComponent('ÄRZTE GMBH')}`)).json())).toEqual(['T1', 'T2', 'T5', 'T6', 'T7']);
  });

  it('a scope keeps one name per key', async () => {
    const person = (await t.app.people.list(accountId)).find((p) => p.email === manager.email)!;
    const updated = await t.app.people.update(accountId, person.id, { scope: { clients: { include: ['Ärzte GmbH', 'A\u0308RZTE  gmbh', 'ΟΔΟΣ AG', 'Οδος AG'] } } }, 'test');
    expect(updated.scope.clients).toEqual({ include: ['Ärzte GmbH', 'ΟΔΟΣ AG'] });
  });
});
