import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionWords } from '../../src/console/connection-words.js';
import { buildServer } from '../../src/web/server.js';
import { AT_CREDENTIALS, atResources, AutotaskFake } from '../fakes/autotask-fake.js';
import { ConnectWiseFake, cwMembers, FAKE_CREDENTIALS, serveFake } from '../fakes/connectwise-fake.js';
import { createTestApp, memoryLogger, type TestApp } from '../helpers/app.js';
import { signIn, type TestSession } from '../helpers/people.js';

/**
 * Support's add-account form as a second reviewer used it (UX review, item 5): progress while the
 * connection is tested, the chosen integration's fieldset, what was typed kept after a refusal
 * (secrets never in the log), and a refusal that names the setting to check.
 */
const log = memoryLogger('debug');
let t: TestApp;
let server: FastifyInstance;
const fakes: Awaited<ReturnType<typeof serveFake>>[] = [];
let cwUrl: string;
let atUrl: string;
let support: TestSession;

beforeAll(async () => {
  t = await createTestApp({ logger: log.logger });
  server = await buildServer(t.app);
  fakes.push(await serveFake(new ConnectWiseFake(cwMembers(3))), await serveFake(new AutotaskFake(atResources(3))));
  [cwUrl, atUrl] = fakes.map((f) => f.url) as [string, string];
  support = await signIn(t.app, server, { support: true });
});
afterAll(async () => {
  await server.close();
  for (const f of fakes) await f.close();
  await t.close();
});

const add = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  server.inject({ method: 'POST', url: '/accounts', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: support.cookie, ...headers }, payload: new URLSearchParams({ _csrf: support.csrf, ...fields }).toString() });
const htmx = { 'hx-request': 'true' };
const text = (body: string) => body.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');
const cw = (change: Record<string, string> = {}) => ({ name: 'Typed MSP', integration: 'connectwise', cw_site: cwUrl, cw_companyId: FAKE_CREDENTIALS.companyId, cw_publicKey: FAKE_CREDENTIALS.publicKey, cw_privateKey: FAKE_CREDENTIALS.privateKey, cw_clientId: FAKE_CREDENTIALS.clientId, ...change });
const at = (change: Record<string, string> = {}) => ({ name: 'Autotask MSP', integration: 'autotask', at_userName: AT_CREDENTIALS.userName, at_secret: AT_CREDENTIALS.secret, at_integrationCode: AT_CREDENTIALS.integrationCode, at_zoneUrl: `${atUrl}/atservicesrest/`, ...change });

describe('the add-account form (item 5)', () => {
  it('shows progress and disables its button while testing (htmx), and marks each fieldset with its integration', async () => {
    const page = (await server.inject({ method: 'GET', url: '/accounts', headers: { cookie: support.cookie } })).body;
    expect(page).toContain('<form class="card" method="post" action="/accounts" hx-post="/accounts" hx-target="#add-result" hx-swap="innerHTML" hx-indicator="#add-progress" hx-disabled-elt="find button[type=submit]">');
    expect(page).toContain('<span id="add-progress" class="htmx-indicator progress">Testing the connection…</span>');
    expect(page).toContain('<select id="integration" name="integration" data-shows-fieldsets>');
    for (const i of ['connectwise', 'autotask', 'halopsa']) expect(page).toMatch(new RegExp(`<fieldset data-integration="${i}"><legend>`));
  });

  it('under htmx, a refusal answers why alone (the form keeps what was typed), and success sends the browser to the account', async () => {
    const refused = await add(cw({ cw_privateKey: 'wrong-private-key' }), htmx);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(/^<div class="alert error" role="alert">the connection test failed: /);
    expect(refused.body).not.toContain('<form');
    const added = await add(cw(), htmx);
    expect(added.statusCode).toBe(200);
    expect(added.headers['hx-redirect']).toMatch(/^\/accounts\/[0-9a-f-]{36}\?added=1$/);
  });

  it('without scripts, a refusal shows the page again with what was typed, a secret asked again (never sent back), and no secret in the log', async () => {
    const secret = 'typed-SECRET-never-logged-42';
    const res = await add(at({ at_secret: secret, at_integrationCode: 'WRONG-CODE-123' }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<div class="alert error">The account was not added. <a href="#add-result">Read why, beside the form</a>.</div>');
    expect(res.body).toMatch(/<div id="add-result"><div class="alert error" role="alert">the connection test failed: /);
    for (const [name, value] of Object.entries({ name: 'Autotask MSP', at_userName: AT_CREDENTIALS.userName, at_zoneUrl: `${atUrl}/atservicesrest/` })) expect(res.body, name).toMatch(new RegExp(`name="${name}" (?:required )?value="${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`));
    expect(res.body).toContain('<option value="autotask" selected>');
    // Secrets are never sent back: their fields are empty and say why.
    for (const name of ['at_secret', 'at_integrationCode']) {
      expect(res.body).toContain(`<input type="password" id="${name}" name="${name}" value="" autocomplete="off" aria-describedby="${name}-hint"><div class="muted" id="${name}-hint">Type it again: a secret is never sent back to the browser.</div>`);
    }
    expect(res.body).not.toContain(secret);
    expect(res.body).not.toContain('WRONG-CODE-123');
    const logged = JSON.stringify(log.lines());
    expect(logged).not.toContain(secret);
    expect(logged).not.toContain('WRONG-CODE-123');
  });

  it("an Autotask refusal names the form's settings, never the site address", async () => {
    const unknown = text((await add(at({ at_integrationCode: 'WRONG-CODE-123' }), htmx)).body);
    expect(unknown).toContain(`check API user name ("${AT_CREDENTIALS.userName}") and Integration code`);
    const password = text((await add(at({ at_secret: 'wrong' }), htmx)).body);
    expect(password).toContain("check Secret, the API user's password");
    const unreachable = text((await add(at({ at_zoneUrl: 'http://127.0.0.1:1/atservicesrest/' }), htmx)).body);
    expect(unreachable).toContain('check Zone URL and the network');
    for (const words of [unknown, password, unreachable]) {
      expect(words).not.toContain('site address');
      expect(words).not.toMatch(/\b(userName|integrationCode|zoneUrl)\b/);
    }
  });

  it('names the settings the way each form does (pure words)', () => {
    expect(connectionWords('autotask', {}, 'could not reach Autotask (ECONNREFUSED) after retries; check the site address and network')).toBe(
      'could not reach Autotask (ECONNREFUSED) after retries; check the network, or fill in Zone URL (empty, the zone is looked up from the API user name)',
    );
    expect(connectionWords('connectwise', {}, 'ConnectWise does not know company id "x" at y; check companyId and site')).toBe('ConnectWise does not know company id "x" at y; check Company id and Site');
    expect(connectionWords('connectwise', {}, 'ConnectWise rejected the credentials (401); check the API keys')).toBe('ConnectWise rejected the credentials (401); check Public key and Private key');
    expect(connectionWords('halopsa', {}, 'HaloPSA refused the client; check clientId, clientSecret and tenant')).toBe('HaloPSA refused the client; check Client id, Client secret and Tenant');
  });
});
