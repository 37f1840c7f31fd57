import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tallyChanges } from '../../src/console/change-words.js';
import { buildServer } from '../../src/web/server.js';
import { ConnectWiseFake, cwMembers, serveFake } from '../fakes/connectwise-fake.js';
import { addCwAccount } from '../helpers/accounts.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * The run pages as a reviewer read them (console review, items 1, 3, 5, 6): a held run's totals
 * and where its decision sits, back in All Staff without a seat, a narrowed manager's empty
 * lists, and the preview's summary, links and reload.
 */
let t: TestApp;
let server: FastifyInstance;
const fakes: Awaited<ReturnType<typeof serveFake>>[] = [];

beforeAll(async () => {
  t = await createTestApp();
  server = await buildServer(t.app);
});
afterAll(async () => {
  await server.close();
  for (const f of fakes) await f.close();
  await t.close();
});

const get = (url: string, who: TestSession) => server.inject({ method: 'GET', url, headers: { cookie: who.cookie } });
const post = (url: string, who: TestSession) =>
  server.inject({ method: 'POST', url, headers: { cookie: who.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${who.csrf}` });
/** The visible text of a page, tags dropped, so a test reads what a person reads. */
const text = (body: string) => body.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ');

async function psa(members: ReturnType<typeof cwMembers>) {
  const fake = new ConnectWiseFake(members);
  const served = await serveFake(fake);
  fakes.push(served);
  return { fake, url: served.url };
}

async function adminOf(accountId: string, memberScope?: string[]): Promise<{ admin: TestSession; byIdentifier: Record<string, string> }> {
  const byIdentifier: Record<string, string> = {};
  for (const x of await t.app.members.list(accountId, 'all')) byIdentifier[x.identifier!] = x.id;
  const first = Object.keys(byIdentifier).sort()[0]!;
  return { admin: await signIn(t.app, server, { accountId, memberId: byIdentifier[first]!, role: 'admin', memberScope }), byIdentifier };
}

describe('a held run of more than one page of changes (item 1)', () => {
  it('says the total it applies on every page, puts Approve and Reject after the list, and waits since it was held', async () => {
    const { fake, url } = await psa(cwMembers(60));
    const account = await addCwAccount(t.app, url, { breakerPercent: 5, breakerMinMembers: 1 });
    await t.app.engine.sync(account.id, { trigger: 'manual', requestedBy: 'test' });
    const { admin } = await adminOf(account.id);
    fake.setMembers(cwMembers(4));
    const { run } = await t.app.engine.sync(account.id, { trigger: 'manual', requestedBy: 'test' });
    expect(run.status).toBe('held');
    const planned = (await t.app.runs.show(run.id!)).changes.length;
    expect(planned).toBe(56);

    const first = await get(`/runs/${run.id}`, admin);
    const next = /<a href="(\/runs\/[^"]+\?cursor=[^"]+)">Next page<\/a>/.exec(first.body)![1]!.replace(/&amp;/g, '&');
    const second = await get(next, admin);
    for (const page of [first, second]) {
      const words = text(page.body);
      expect(words).toContain('Approving applies all 56 planned changes of this run now');
      expect(words).toMatch(/Held since \d{4}-\d{2}-\d{2} \d{2}:\d{2}, waiting for a decision/);
      expect(words).not.toContain('Started · finished');
      // The decision comes after the list it decides on.
      expect(page.body.indexOf('Decide this held run')).toBeGreaterThan(page.body.indexOf('</table>'));
    }
    expect(text(first.body)).toMatch(/The list of planned changes continues: next page ?\. Approving applies all of them, on every page\./);
    expect(text(second.body)).not.toContain('The list of planned changes continues');
  });
});

describe('back in All Staff is not always Active (item 3)', () => {
  let accountId: string;
  let runId: string;
  let admin: TestSession;
  let byIdentifier: Record<string, string>;

  beforeAll(async () => {
    // Ten members (ids 211–220) fill the ten seats; six leave; one of them is unchecked by an admin.
    const { fake, url } = await psa(cwMembers(10, 211));
    accountId = (await addCwAccount(t.app, url, { seatLimit: 10, breakerPercent: 100 })).id;
    await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    ({ admin, byIdentifier } = await adminOf(accountId));
    fake.setMembers(cwMembers(4, 211));
    await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' });
    await t.app.members.setActive(accountId, byIdentifier.user215!, false, 'test');
    // Four newcomers (ids 201–204, first in the PSA's order) and the six come back: 4 + 2 seats are free.
    fake.setMembers([...cwMembers(4, 201), ...cwMembers(10, 211)]);
    runId = (await t.app.engine.sync(accountId, { trigger: 'manual', requestedBy: 'test' })).run.id!;
  });

  it('words each row by what happened to its Active box', async () => {
    const body = (await get(`/runs/${runId}`, admin)).body;
    const row = (identifier: string) => text(new RegExp(`<tr><td><a href="/accounts/${accountId}/members/${byIdentifier[identifier]}">[\\s\\S]*?</tr>`).exec(body)![0]);
    expect(row('user216')).toContain('Made Active again');
    for (const waiting of ['user218', 'user219', 'user220']) {
      expect(row(waiting)).toContain('Back in All Staff, not Active (seat limit reached)');
      expect(row(waiting)).not.toContain('Made Active again');
    }
    expect(row('user215')).toContain('Back in All Staff, kept unchecked by an admin');
    expect(row('user215')).not.toContain('Made Active again');
  });

  it('says how many became Active and how many wait for a seat, on the run, the runs list and the overview', async () => {
    const outcome = '14 read from the PSA, 4 added, 6 back in All Staff, 4 unchanged. 6 members became Active; 3 wait for a seat (the seat limit is reached); 1 stays unchecked by an admin.';
    expect(text((await get(`/runs/${runId}`, admin)).body)).toContain(outcome);
    expect(text((await get(`/accounts/${accountId}/runs`, admin)).body)).toContain(outcome);
    expect(text((await get(`/accounts/${accountId}`, admin)).body)).toContain(`Sync finished: ${outcome}`);
    expect((await t.app.accounts.get(accountId)).seats?.active).toBe(10);
  });

  it('the stored tally and the words agree with the entries themselves', async () => {
    const { changes } = await t.app.runs.show(runId);
    expect((await t.app.runs.tallies([runId])).get(runId)).toEqual(tallyChanges(changes));
    expect(tallyChanges(changes)).toEqual({ changes: 10, madeActive: 6, waitingForSeat: 3, keptUncheckedByAdmin: 1 });
  });

  it('a manager narrowed to other engineers reads that none of the changes are theirs, and is offered no Unmatched tab (item 5)', async () => {
    const manager = await signIn(t.app, server, { accountId, memberId: byIdentifier.user212!, role: 'account_manager', memberScope: [byIdentifier.user213!] });
    const run = text((await get(`/runs/${runId}`, manager)).body);
    expect(run).toContain('6 back in All Staff');
    expect(run).toContain('No changes among the engineers you see.');
    expect(run).not.toContain('No changes.');
    const survey = await get(`/accounts/${accountId}/survey`, manager);
    expect(survey.body).not.toContain('>Unmatched</a>');
    expect(text(survey.body)).toContain('No ratings among the engineers you see yet.');
    const unmatched = text((await get(`/accounts/${accountId}/survey?unmatched=true`, manager)).body);
    expect(unmatched).toContain('Unmatched ratings are credited to no engineer, so none are among the engineers you see.');
    expect(unmatched).not.toContain('No ratings left unmatched');
    // An unnarrowed reader keeps the tab and its own words.
    const full = await get(`/accounts/${accountId}/survey?unmatched=true`, admin);
    expect(full.body).toContain('>Unmatched</a>');
    expect(text(full.body)).toContain('No ratings left unmatched.');
  });
});

describe('the preview (item 6)', () => {
  it('sums up its rows, links only members that exist, and its URL reloads as a page', async () => {
    const { fake, url } = await psa(cwMembers(5, 301));
    const account = await addCwAccount(t.app, url);
    await t.app.engine.sync(account.id, { trigger: 'manual', requestedBy: 'test' });
    const { admin, byIdentifier } = await adminOf(account.id);
    fake.setMembers([...cwMembers(4, 301), ...cwMembers(2, 306), { ...cwMembers(1, 308)[0]!, inactiveFlag: true }, { ...cwMembers(1, 309)[0]!, licenseClass: 'A' }]);
    const posted = await post(`/accounts/${account.id}/preview`, admin);
    expect(posted.statusCode).toBe(200);
    const words = text(posted.body);
    expect(words).toContain('2 added; 1 added to Inactive Synced Members; 1 moved to Inactive Synced Members; 1 skipped.');
    expect(words).toContain('2 members would become Active.');
    // The newcomers have no member page yet: their names are not links; a member who exists keeps hers.
    expect(posted.body).toContain('First306 Last306');
    expect(posted.body).not.toMatch(/<a href="\/accounts\/[^"]+\/members\/[^"]+">First306 Last306<\/a>/);
    expect(posted.body).toContain(`<a href="/accounts/${account.id}/members/${byIdentifier.user305}">First305 Last305</a>`);
    // Reloading the page's URL reads the PSA again instead of "no route".
    const reloaded = await get(`/accounts/${account.id}/preview`, admin);
    expect(reloaded.statusCode).toBe(200);
    expect(reloaded.headers['content-type']).toContain('text/html');
    expect(text(reloaded.body)).toContain('2 added; 1 added to Inactive Synced Members');
    expect(await t.app.members.list(account.id, 'all')).toHaveLength(5);
  });
});
