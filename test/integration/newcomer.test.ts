import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveFake } from '../fakes/connectwise-fake.js';
import { HALO_CREDENTIALS, HaloFake, haloRoster } from '../fakes/halo-fake.js';
import { TEST_SECRET_KEY } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/db.js';
import { startReplica, type Replica } from '../helpers/replica.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let halo: Awaited<ReturnType<typeof serveFake>>;
let daemon: Replica;
let env: Record<string, string>;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  halo = await serveFake(new HaloFake(haloRoster(2)));
  dir = mkdtempSync(path.join(tmpdir(), 'psa-newcomer-'));
  env = { DATABASE_URL: db.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY };
  daemon = await startReplica('newcomer', db.url);
}, 60_000);
afterAll(async () => {
  daemon.child.kill('SIGTERM');
  await daemon.exited;
  await halo.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = async (...args: string[]) => {
  const r = await runCli(['--json', ...args], env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe('a newcomer, with the CLI alone (issue: HaloPSA and the survey snippet)', () => {
  it('adds a Halo and a snippet account, imports members, prints the snippet, clicks a link, and sees the new agent', async () => {
    const haloConfig = path.join(dir, 'halo.json');
    writeFileSync(haloConfig, JSON.stringify({ baseUrl: halo.url, ...HALO_CREDENTIALS }));
    const haloAccount = await cli('accounts', 'add', '--name', 'Halo MSP', '--integration', 'halopsa', '--config', haloConfig);
    expect(haloAccount.settings).toEqual({ baseUrl: halo.url, clientId: HALO_CREDENTIALS.clientId });
    const setup = await cli('sync', haloAccount.id);
    expect(setup).toMatchObject({ trigger: 'setup', status: 'succeeded', counts: { added: 3 } });

    const snippetConfig = path.join(dir, 'snippet.json');
    writeFileSync(snippetConfig, '{"requireSignedLinks": false}');
    const account = await cli('accounts', 'add', '--name', 'Snippet MSP', '--integration', 'snippet', '--config', snippetConfig);
    const csv = path.join(dir, 'staff.csv');
    writeFileSync(csv, 'name,email,agent_id\nAda Admin,ada@acme.test,A1\n');
    expect(await cli('members', 'import', account.id, csv)).toMatchObject({ added: 1 });

    const { html } = await cli('accounts', 'snippet', account.id, '--base-url', daemon.url);
    expect(html).toContain(`/s/${account.publicKey}?rating=10`);
    expect(html).toContain('{{agent_email}}');
    // What the help desk does when it sends the email: fill in the merge fields.
    const href = /href="([^"]+)"/.exec(html)![1]!
      .replaceAll('&amp;', '&')
      .replace('{{ticket_number}}', '4711')
      .replace('{{agent_id}}', 'G7')
      .replace('{{agent_email}}', 'grace%40acme.test')
      .replace('{{agent_name}}', 'Grace%20Hopper');
    const page = await fetch(href); // the customer clicks: a page that asks the browser to confirm
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Record my rating');
    const res = await fetch(href, { method: 'POST' }); // what the page's script (or button) sends
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('was recorded');

    const staff = await cli('members', account.id);
    const grace = staff.find((m: { email: string }) => m.email === 'grace@acme.test');
    expect(grace).toMatchObject({ name: 'Grace Hopper', externalId: 'G7', source: 'survey', active: true });
    const explained = await cli('members', 'explain', account.id, grace.id);
    expect(explained.history[0]).toMatchObject({ action: 'added', reason: 'seen_in_survey', surveyEventId: expect.any(String) });
    const text = await runCli(['members', 'explain', account.id, grace.id], env);
    expect(text.stdout).toContain('seen_in_survey');
    expect(text.stdout).toContain('survey event');
    const events = await cli('survey-events', account.id);
    expect(events[0]).toMatchObject({ ticket: '4711', rating: 10, memberId: grace.id, matchedBy: 'added' });
  }, 120_000);
});
