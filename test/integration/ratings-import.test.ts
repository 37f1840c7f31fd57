import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { buildServer } from '../../src/web/server.js';
import { FAKE_CREDENTIALS } from '../fakes/connectwise-fake.js';
import { createTestApp, TEST_SECRET_KEY, type TestApp } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { query } from '../helpers/db.js';

/**
 * History import (product.md §12, issue 18): an MSP brings its past ratings. All rows or none (the
 * bad row named by number and field), matched like live events, and the same rows again change
 * nothing. Dates are pinned by the injected clock (and, for the CLI, by rows in the past).
 */
const clock = new ManualClock('2026-03-01T12:00:00Z');
let t: TestApp;
let server: FastifyInstance;
let n = 0;

beforeAll(async () => {
  t = await createTestApp({ clock });
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server?.close();
  await t?.close();
});

async function snippetAccount() {
  const account = await t.app.accounts.add({ name: `Import ${++n}`, integration: 'snippet', settings: {}, timezone: 'Europe/Berlin' });
  await t.app.imports.import(account.id, 'name,email,agent_id\nKim Park,kim@msp.test,41\nLou Reed,lou@msp.test,\n', 'csv', 'test');
  return account;
}

const CSV = [
  'at,rating,ticket,respondent,client,comment,agent_id,agent_email,agent_name',
  '2026-01-10T09:00:00Z,10,H-1,a@c.test,Acme,"Great, thanks",41,,',
  '2026-01-10,6,H-2,b@c.test,Acme,,,LOU@msp.test,',
  '2026-01-11 23:30,2,H-3,,Globex,"said ""meh""",,,Lou Reed',
  '2026-01-12T08:00:00+01:00,9,,c@c.test,,,,new@msp.test,New Agent',
  '2026-01-12T10:00:00Z,8,,,,,77,,',
].join('\n');

/** What an account holds: events, members, and its rollup (so "nothing changed" covers the figures too). */
async function snapshot(accountId: string) {
  const [events, members, rollup, audit] = await Promise.all([
    query(t.url, 'select ticket, respondent, rating, member_id, client, comment, channel, created_at, updated_at, clicks from survey_event where account_id = $1 order by ticket, respondent', [accountId]),
    query(t.url, 'select id, name, email, external_id, source from member where account_id = $1 order by id', [accountId]),
    query(t.url, 'select day::text, member_id, client, count, sum, positive, neutral, negative from rating_day where account_id = $1 order by 1, 2, 3', [accountId]),
    query(t.url, "select count(*)::int as n from audit_entry where account_id = $1 and action = 'ratings.imported'", [accountId]),
  ]);
  return { events, members, rollup, audit };
}

describe('importing past ratings', () => {
  it('stores CSV rows matched like live events (unknown agents added on a snippet account), and the same file again changes nothing', async () => {
    const account = await snippetAccount();
    const result = await t.app.ratings.import(account.id, { format: 'csv', text: CSV }, 'test');
    expect(result).toEqual({ imported: 5, matched: 5, unmatched: 0, unchanged: 0, membersAdded: 2 });
    const rows = await query(t.url, 'select e.ticket, e.rating, e.client, e.comment, e.channel, e.matched_by, e.created_at, m.name from survey_event e join member m on m.id = e.member_id where e.account_id = $1 order by e.created_at', [account.id]);
    expect(rows.map((r) => [r.ticket.startsWith('no-ticket:') ? '-' : r.ticket, r.rating, r.client, r.comment, r.channel, r.matched_by, r.name, r.created_at.toISOString()])).toEqual([
      // A date alone is midnight in the account's time zone (Berlin, UTC+1 in January).
      ['H-2', 6, 'Acme', null, 'import', 'email', 'Lou Reed', '2026-01-09T23:00:00.000Z'],
      ['H-1', 10, 'Acme', 'Great, thanks', 'import', 'id', 'Kim Park', '2026-01-10T09:00:00.000Z'],
      ['H-3', 2, 'Globex', 'said "meh"', 'import', 'name', 'Lou Reed', '2026-01-11T22:30:00.000Z'],
      ['-', 9, null, null, 'import', 'added', 'New Agent', '2026-01-12T07:00:00.000Z'],
      ['-', 8, null, null, 'import', 'added', 'Agent 77', '2026-01-12T10:00:00.000Z'],
    ]);
    const summary = await t.app.ratings.summary(account.id, { from: '2026-01-10', to: '2026-01-12', groupBy: 'day' });
    expect(summary.groups.map((g) => [g.key, g.count, g.average])).toEqual([
      ['2026-01-10', 2, 8],
      ['2026-01-11', 1, 2],
      ['2026-01-12', 2, 8.5],
    ]);

    const before = await snapshot(account.id);
    clock.set('2026-03-02T12:00:00Z');
    expect(await t.app.ratings.import(account.id, { format: 'csv', text: CSV }, 'test')).toEqual({ imported: 0, matched: 0, unmatched: 0, unchanged: 5, membersAdded: 0 });
    expect(await snapshot(account.id)).toEqual(before);
  });

  it('one bad row imports nothing, and the error names its row and field', async () => {
    const account = await snippetAccount();
    const before = await snapshot(account.id);
    const bad = CSV.replace('2026-01-11 23:30,2,H-3', '2026-01-11 23:30,11,H-3');
    await expect(t.app.ratings.import(account.id, { format: 'csv', text: bad }, 'test')).rejects.toThrow('nothing was imported: row 4: rating must be a whole number from 0 to 10 (got "11")');
    const rows = [
      { at: '2026-01-10T09:00:00Z', rating: 7, agentEmail: 'kim@msp.test', ticket: 'J-1' },
      { at: '2026-01-10T09:00:00Z', rating: 7, agentEmail: 'kim@msp.test', ticket: 'J-2', comment: 'x'.repeat(2001) },
    ];
    await expect(t.app.ratings.import(account.id, { format: 'json', rows }, 'test')).rejects.toThrow('nothing was imported: row 2: comment is longer than 2000 characters');
    await expect(t.app.ratings.import(account.id, { format: 'json', rows: [rows[0]!, { ...rows[0]!, at: '2026-04-01T00:00:00Z', ticket: 'J-3' }] }, 'test')).rejects.toThrow('row 2: at is in the future');
    await expect(t.app.ratings.import(account.id, { format: 'json', rows: [rows[0]!, rows[0]!] }, 'test')).rejects.toThrow('row 2: ticket J-1 is also on row 1 (one rating per ticket and respondent)');
    await expect(t.app.ratings.import(account.id, { format: 'csv', text: 'when,rating\n2026-01-01,5' }, 'test')).rejects.toThrow('row 1 (the header): unknown column "when"');
    expect(await snapshot(account.id)).toEqual(before);
  });

  it('unknown agents stay unmatched on a ConnectWise account (the PSA is the source of truth)', async () => {
    const account = await t.app.accounts.add({ name: `Import CW ${++n}`, integration: 'connectwise', settings: { site: 'https://cw.test', ...FAKE_CREDENTIALS, codebase: 'v2025_1/' } });
    const result = await t.app.ratings.import(account.id, { format: 'json', rows: [{ at: '2026-01-10', rating: 9, agentEmail: 'who@msp.test', ticket: 'C-1' }] }, 'test');
    expect(result).toEqual({ imported: 1, matched: 0, unmatched: 1, unchanged: 0, membersAdded: 0 });
    expect(await query(t.url, 'select member_id, unmatched_reason from survey_event where account_id = $1', [account.id])).toEqual([{ member_id: null, unmatched_reason: 'connectwise_is_source_of_truth' }]);
    expect(await query(t.url, 'select count(*)::int as n from member where account_id = $1', [account.id])).toEqual([{ n: 0 }]);
  });

  it('over the API: admin only, JSON or text/csv', async () => {
    const account = await snippetAccount();
    const admin = (await t.app.tokens.create({ role: 'admin', accountId: account.id })).token;
    const manager = (await t.app.tokens.create({ role: 'account_manager', accountId: account.id })).token;
    const url = `/api/v1/accounts/${account.id}/ratings/import`;
    const json = { rows: [{ at: '2026-01-10T09:00:00Z', rating: 7, agentEmail: 'kim@msp.test', ticket: 'K-1' }] };
    const refused = await server.inject({ method: 'POST', url, headers: { authorization: `Bearer ${manager}` }, payload: json });
    expect(refused.statusCode).toBe(403);
    const ok = await server.inject({ method: 'POST', url, headers: { authorization: `Bearer ${admin}` }, payload: json });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ imported: 1, matched: 1, unmatched: 0 });
    const csv = await server.inject({ method: 'POST', url, headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv' }, payload: CSV });
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.json()).toMatchObject({ imported: 5 });
    const bad = await server.inject({ method: 'POST', url, headers: { authorization: `Bearer ${admin}` }, payload: { rows: [{ at: 'yesterday', rating: 3, agentEmail: 'kim@msp.test' }] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('row 1: at must be a date');
    const wrongShape = await server.inject({ method: 'POST', url, headers: { authorization: `Bearer ${admin}` }, payload: { events: [] } });
    expect(wrongShape.statusCode).toBe(400);
  });
});

describe('the ratings CLI', () => {
  it('imports a file (twice: the second changes nothing) and prints the report as a table and as JSON', async () => {
    const account = await snippetAccount();
    const env = { DATABASE_URL: t.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY };
    const dir = await mkdtemp(path.join(tmpdir(), 'psa-ratings-'));
    const file = path.join(dir, 'history.csv');
    await writeFile(file, CSV);
    const first = await runCli(['ratings', 'import', account.id, file], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Imported 5 ratings: 5 matched to a member, 0 unmatched.');
    const again = await runCli(['ratings', 'import', account.id, file, '--json'], env);
    expect(JSON.parse(again.stdout)).toEqual({ imported: 0, matched: 0, unmatched: 0, unchanged: 5, membersAdded: 0 });
    const report = await runCli(['ratings', account.id, '--from', '2026-01-10', '--to', '2026-01-12', '--group-by', 'client', '--json'], env);
    expect(report.code, report.stderr).toBe(0);
    const parsed = JSON.parse(report.stdout);
    expect(parsed.overall).toMatchObject({ count: 5, average: 7, positiveShare: 0.6 });
    expect(parsed.groups.map((g: { label: string; count: number }) => [g.label, g.count])).toEqual([
      ['(no client)', 2],
      ['Acme', 2],
      ['Globex', 1],
    ]);
    const text = await runCli(['ratings', account.id, '--from', '2026-01-10', '--to', '2026-01-12'], env);
    expect(text.stdout).toContain('Ratings 2026-01-10 to 2026-01-12, by member');
    expect(text.stdout).toMatch(/Lou Reed\s+2\s+4\.00\s+0\s+1\s+1\s+0\.0%/);
    expect(text.stdout).toMatch(/TOTAL\s+5\s+7\.00\s+3\s+1\s+1\s+60\.0%/);
    const bad = await runCli(['ratings', account.id, '--group-by', 'year'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('groupBy must be one of member, client, day, week');
  }, 120_000);
});
