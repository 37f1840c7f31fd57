import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/web/server.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let server: FastifyInstance;

beforeAll(async () => {
  // The account is read on every click; the member an agent matched is kept for the default ten minutes.
  t = await createTestApp({ surveyCaching: { accountMs: 0 } });
  server = await buildServer(t.app, { surveyLimits: { perIpPerMinute: 10_000, perAccountPerMinute: 10_000 } });
});
afterAll(async () => {
  await server.close();
  await t.close();
});

/** A person's confirmation of a rating link (the POST the link's page sends). */
const record = (key: string, email: string, ticket: string) =>
  server.inject({ method: 'POST', url: `/s/${key}?rating=9&ticket=${ticket}&agent_email=${encodeURIComponent(email)}`, headers: { accept: 'application/json', 'user-agent': 'Mozilla/5.0 Firefox/140.0' } });
const creditedTo = async (accountId: string, eventId: string) => (await t.app.survey.list(accountId, false)).find((e) => e.id === eventId)?.memberId;

describe('survey intake reuses an agent’s match only while the account’s members are unchanged', () => {
  it('a click after an import moved an email credits the member who has that email now', async () => {
    const account = await t.app.accounts.add({ name: 'Match cache', integration: 'snippet', settings: {} });
    await t.app.imports.import(account.id, 'name,email,agent_id\nAnn Archer,ann@msp.test,a1\nBob Baker,bob@msp.test,b1\n', 'csv', 'test');
    const byName = async () => new Map((await t.app.members.list(account.id, 'all')).map((m) => [m.name, m.id]));
    const ids = await byName();

    const first = await record(account.publicKey, 'ann@msp.test', 'T-1');
    expect(first.statusCode).toBe(200);
    expect(await creditedTo(account.id, first.json().eventId)).toBe(ids.get('Ann Archer'));
    // Seen before, members unchanged: the same member.
    const again = await record(account.publicKey, 'ann@msp.test', 'T-2');
    expect(await creditedTo(account.id, again.json().eventId)).toBe(ids.get('Ann Archer'));

    // Bob takes over the address: the next click is his, not the remembered match's.
    await t.app.imports.import(account.id, 'name,email,agent_id\nAnn Archer,ann.archer@msp.test,a1\nBob Baker,ann@msp.test,b1\n', 'csv', 'test');
    const after = await record(account.publicKey, 'ann@msp.test', 'T-3');
    expect(after.statusCode).toBe(200);
    expect(after.json().message).toContain('Bob Baker');
    expect(await creditedTo(account.id, after.json().eventId)).toBe(ids.get('Bob Baker'));
  });
});

describe('how a remembered match is said to be made', () => {
  it('a repeated click of the ticket that added the agent does not make their later tickets "added"', async () => {
    const account = await t.app.accounts.add({ name: 'Match kind', integration: 'snippet', settings: {} });
    const added = await record(account.publicKey, 'new.agent@msp.test', 'K-1');
    expect(added.statusCode).toBe(200);
    // The same ticket again: matched by email now, and the event keeps saying it added the member.
    expect((await record(account.publicKey, 'new.agent@msp.test', 'K-1')).statusCode).toBe(200);
    const later = await record(account.publicKey, 'new.agent@msp.test', 'K-2');
    const events = await t.app.survey.list(account.id, false);
    const kind = (id: string) => events.find((e) => e.id === id)?.matchedBy;
    expect(kind(added.json().eventId)).toBe('added');
    expect(kind(later.json().eventId)).toBe('email');
    // And a third ticket, from what the click before remembered.
    const third = await record(account.publicKey, 'new.agent@msp.test', 'K-3');
    expect((await t.app.survey.list(account.id, false)).find((e) => e.id === third.json().eventId)?.matchedBy).toBe('email');
  });
});
