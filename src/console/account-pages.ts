import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import { AppError, ForbiddenError, InputError, SyncError } from '../core/errors.js';
import type { AccountView, RunTally, RunView } from '../db/views.js';
import { httpError } from '../access/http-errors.js';
import { assertCanChange, assertCanRead } from '../access/policy.js';
import { INTEGRATIONS, type Integration } from '../connector/contract.js';
import { href, html, type Html } from './html.js';
import { changeSummary, tallyChanges, tallyWords } from './change-words.js';
import { alert, canChange, csrfField, layout, when, zoneOf, type Viewer } from './layout.js';
import { CONSOLE, isHtmx, seeOther, sendHtml, viewerOf } from './reply.js';
import { changesTable, runLinkText, runStatusPanel, statusBadge } from './run-parts.js';
import { plural } from './words.js';
import { connectionWords } from './connection-words.js';
import { accountViewer } from './viewer.js';

type Form = Record<string, string | undefined>;

function stateBadges(a: AccountView): Html {
  const state = a.schedule.state;
  return html`<span class="badge ${state === 'ok' || state === 'not_scheduled' ? 'ok' : 'warn'}">${state.replace(/_/g, ' ')}</span>
${a.schedule.stale ? html` <span class="badge bad" title="No complete sync for more than 48 hours">STALE</span>` : ''}
${a.noAdmin ? html` <span class="badge bad">no admin</span>` : ''}`;
}

const seatsText = (a: AccountView) => (a.seats ? (a.seats.limit === null ? `${a.seats.active} Active (no seat limit)` : `${a.seats.active} of ${a.seats.limit} seats`) : '—');

/**
 * The connector fields of the add-account form, one fieldset per integration. Without scripts every
 * fieldset shows, each under its legend; with them, only the chosen integration's (console.js).
 * After a refusal the values come back as typed, but a secret is never sent back to the browser:
 * its field asks for it again (with htmx the form is not replaced, so nothing needs retyping).
 */
function connectorFields(values: Form): Html {
  const field = (name: string, label: string, type = 'text', hint = '') => {
    const again = type === 'password' && Boolean(values[name]);
    const words = again ? `Type it again: a secret is never sent back to the browser.${hint ? ` ${hint}` : ''}` : hint;
    return html`<label for="${name}">${label}</label><input type="${type}" id="${name}" name="${name}" value="${type === 'password' ? '' : (values[name] ?? '')}" autocomplete="off" ${words ? html`aria-describedby="${name}-hint"` : ''}>${words ? html`<div class="muted" id="${name}-hint">${words}</div>` : ''}`;
  };
  return html`<fieldset data-integration="connectwise"><legend>ConnectWise PSA (if the integration is ConnectWise)</legend>
${field('cw_site', 'Site', 'text', 'e.g. https://api-na.myconnectwise.net')}${field('cw_companyId', 'Company id')}${field('cw_publicKey', 'Public key')}${field('cw_privateKey', 'Private key', 'password')}${field('cw_clientId', 'Client id')}
</fieldset>
<fieldset data-integration="autotask"><legend>Autotask PSA (if the integration is Autotask)</legend>
${field('at_userName', 'API user name', 'text', 'the API-only user, e.g. psa-sync@acme.com')}${field('at_secret', 'Secret', 'password')}${field('at_integrationCode', 'Integration code (API tracking identifier)', 'password')}${field('at_zoneUrl', 'Zone URL (optional)', 'text', 'e.g. https://webservices5.autotask.net/atservicesrest/; empty: discovered from the user name')}
</fieldset>
<fieldset data-integration="halopsa"><legend>HaloPSA (if the integration is HaloPSA)</legend>
${field('halo_baseUrl', 'Base URL', 'text', 'e.g. https://acme.halopsa.com')}${field('halo_clientId', 'Client id')}${field('halo_clientSecret', 'Client secret', 'password')}${field('halo_tenant', 'Tenant (optional)')}
</fieldset>
<p class="muted" data-integration="snippet">A survey snippet account needs no connection settings: its members come from a file import and from survey activity.</p>`;
}

/** The form fields of each integration's settings: `cw_site` is ConnectWise's `site`. */
const CREDENTIAL_PREFIX: Record<string, string | undefined> = { connectwise: 'cw_', autotask: 'at_', halopsa: 'halo_' };

/**
 * Tests settings against the PSA before they are saved. A refusal is the person's to fix (a
 * wrong secret, an unknown user): it is shown as bad input with the words that say which setting
 * to check, never as an internal error.
 */
export async function testSettings(app: App, integration: Integration, settings: Record<string, unknown>): Promise<void> {
  try {
    await app.engine.testConnection(integration, settings);
  } catch (err) {
    if (err instanceof SyncError && err.kind !== 'internal') throw new InputError(`the connection test failed: ${connectionWords(integration, settings, err.message)}`, { cause: err });
    throw err;
  }
}

/** The connector settings a form names, for its integration; empty fields left out. */
export function settingsFromForm(integration: string, form: Form): Record<string, unknown> {
  const prefix = CREDENTIAL_PREFIX[integration];
  if (!prefix) return integration === 'snippet' ? { requireSignedLinks: false } : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(form)) if (k.startsWith(prefix) && v && v.trim() !== '') out[k.slice(prefix.length)] = v.trim();
  return out;
}

function accountsPage(v: Viewer, accounts: AccountView[], q: string, form: Form = {}, message?: Html): Html {
  const shown = q ? accounts.filter((a) => a.name.toLowerCase().includes(q.toLowerCase())) : accounts;
  return layout(
    v,
    'Accounts',
    html`${message ? html`<div class="alert error">The account was not added. <a href="#add-result">Read why, beside the form</a>.</div>` : ''}<form class="filters" method="get" action="/accounts" role="search"><div><label for="q">Search accounts</label><input type="search" id="q" name="q" value="${q}"></div><button type="submit" class="secondary">Search</button></form>
<div class="table-wrap"><table><caption class="visually-hidden">Accounts</caption>
<thead><tr><th scope="col">Account</th><th scope="col">Integration</th><th scope="col">State</th><th scope="col">Last run</th><th scope="col">Next run</th><th scope="col">Seats</th></tr></thead>
<tbody>${shown.map(
      (a) => html`<tr><td><a href="/accounts/${a.id}">${a.name}</a></td><td>${a.integration}</td><td>${stateBadges(a)}</td>
<td>${a.lastRun ? html`${statusBadge(a.lastRun.status)} ${when(a.lastRun.finishedAt)}` : html`<span class="muted">never</span>`}</td>
<td>${a.schedule.state === 'not_scheduled' ? '—' : when(a.schedule.nextAttemptAt)}</td><td>${seatsText(a)}</td></tr>`,
    )}</tbody></table></div>
<p class="muted">${shown.length} of ${accounts.length} accounts.</p>
<h2 id="add">Add an account</h2>
<form class="card" method="post" action="/accounts" hx-post="/accounts" hx-target="#add-result" hx-swap="innerHTML" hx-indicator="#add-progress" hx-disabled-elt="find button[type=submit]">${csrfField(v)}
<label for="name">Name</label><input type="text" id="name" name="name" required value="${form.name ?? ''}">
<label for="integration">Integration</label><select id="integration" name="integration" data-shows-fieldsets>${INTEGRATIONS.map((i) => html`<option value="${i}" ${form.integration === i ? 'selected' : ''}>${i}</option>`)}</select>
${connectorFields(form)}
<p class="muted">The credentials are checked against the PSA before the account is saved. They are stored encrypted and never shown again.</p>
<div id="add-result">${message ?? ''}</div>
<div class="row"><button type="submit">Test connection and add</button><span id="add-progress" class="htmx-indicator progress">Testing the connection…</span></div></form>`,
  );
}

/** A held run, as the overview announces it: what it waits for, and a link that says what it opens. */
function heldNotice(v: Viewer, held: RunView | undefined): Html {
  if (!held) return html``;
  const why = held.holdReason ? `${held.holdReason.charAt(0).toUpperCase()}${held.holdReason.slice(1).replace(/\.?$/, '.')}` : '';
  return alert(
    'info',
    html`<strong>${held.holdKind === 'scope_matches_nobody' ? 'A run is held: the sync scope matches nobody.' : 'A run waits for approval.'}</strong> ${why}
<div><a href="/runs/${held.id!}">${canChange(v) ? 'Review' : 'Open'} the ${runLinkText(held, zoneOf(v)).replace(/^H/, 'h')}</a></div>`,
  );
}

/**
 * The account's facts (and a held run, if any), by id so that the run status swaps them in when a
 * run ends (`oob`): the overview shows the new last sync and seats without a reload.
 */
function accountFacts(v: Viewer, a: AccountView, held: RunView | undefined, oob = false): Html {
  return html`<div id="account-facts" ${oob ? html`hx-swap-oob="true"` : ''}>${heldNotice(v, held)}<div class="card"><dl class="facts">
<dt>Integration</dt><dd>${a.integration}</dd>
<dt>State</dt><dd>${stateBadges(a)}${a.schedule.blockedReason ? html`<div class="muted">${a.schedule.blockedReason}</div>` : ''}</dd>
<dt>Last complete sync</dt><dd>${when(a.schedule.lastCompleteSyncAt, zoneOf(v))}</dd>
<dt>Next run</dt><dd>${a.schedule.state === 'not_scheduled' ? 'not scheduled (survey snippet account)' : when(a.schedule.nextAttemptAt, zoneOf(v))}</dd>
<dt>Seats</dt><dd>${seatsText(a)}</dd>
<dt>Admins who can sign in</dt><dd>${a.admins}</dd>
${a.pendingAdmins > 0 ? html`<dt>Admins invited, not signed in yet</dt><dd>${a.pendingAdmins}</dd>` : ''}
</dl></div></div>`;
}

function overviewPage(v: Viewer, a: AccountView, latest: RunView | undefined, latestTally: RunTally | undefined, held: RunView | undefined, message?: Html): Html {
  const admin = canChange(v);
  const support = v.principal.role === 'support';
  return layout(
    v,
    a.name,
    html`${message ?? ''}${accountFacts(v, a, held)}
${
  admin && a.schedule.state !== 'not_scheduled'
    ? html`<div class="row"><form method="post" action="/accounts/${a.id}/sync" hx-post="/accounts/${a.id}/sync" hx-target="#run-status" hx-swap="outerHTML">${csrfField(v)}<button type="submit">Sync Members</button></form>
<form method="post" action="/accounts/${a.id}/preview">${csrfField(v)}<button type="submit" class="secondary">Preview</button></form></div>`
    : ''
}
${latest ? runStatusPanel(latest, zoneOf(v), latestTally) : html`<div id="run-status" role="status" aria-live="polite" class="muted">No run yet.</div>`}
${
  support && a.noAdmin
    ? html`<h2>Name a first admin</h2><form class="card" method="post" action="/accounts/${a.id}/people">${csrfField(v)}<input type="hidden" name="role" value="admin">
<label for="email">Their email</label><input type="email" id="email" name="email" required>
<p class="muted">They receive an activation link valid 7 days. A member with this email must exist, unless the account has never had an admin.</p><button type="submit">Invite as admin</button></form>`
    : ''
}`,
  );
}

/**
 * What Sync Members would change, read from the PSA now: a summary line in the rows' own words,
 * then the rows. Its URL can be reloaded (GET reads again); nothing is stored.
 */
function previewPage(v: Viewer, a: AccountView, result: Awaited<ReturnType<App['engine']['sync']>>): Html {
  const { run, changes } = result;
  const seats = tallyWords(tallyChanges(changes), true);
  return layout(
    v,
    'Preview: what Sync Members would change',
    html`${run.holdReason ? alert('info', `A sync now would be held for approval: ${run.holdReason}`) : ''}
${run.error ? alert('error', `The preview could not read the PSA: ${run.error.message}`) : ''}
${
  changes.length === 0 && !run.error
    ? html`<p>A sync now would change nothing. <a href="/accounts/${a.id}">Back to the overview</a></p>`
    : html`<p>${plural(changes.length, 'change')}; nothing has been changed yet. <a href="/accounts/${a.id}">Back to the overview</a></p>
${changes.length > 0 ? html`<p class="summary"><strong>${changeSummary(changes)}.</strong>${seats ? ` ${seats}` : ''}</p>` : ''}
${changesTable(changes, 'Changes a sync would make', a.id, { timeZone: zoneOf(v) })}`
}`,
  );
}

/**
 * What naming a first admin did, for support on the overview: who was invited, how the link
 * travels, and until when it works. The URL carries only the person's id and a mail code.
 */
async function invitedWords(app: App, v: Viewer, accountId: string, personId: string, mail: string | undefined): Promise<Html | undefined> {
  const person = await app.people.get(accountId, personId, v.principal).catch((err: unknown) => {
    if (err instanceof AppError) return undefined;
    throw err;
  });
  if (!person || person.state !== 'invited' || !person.invitationExpiresAt) return undefined;
  const until = `until ${when(person.invitationExpiresAt, zoneOf(v))}`;
  // Named as a person: their member's name, or, invited by email before any member has it, the email and what happens then.
  const who = person.memberId ? `${person.name} (${person.email})` : person.email;
  const later = person.memberId ? '' : ' No member has this email yet: they are linked to theirs when a sync brings it.';
  if (mail === 'failed') return alert('error', `${who} is invited as the first admin, but the activation email could not be sent (the server log says why). Once mail works, invite them again below: a new link replaces this one.`);
  if (mail === 'outbox') return alert('ok', `${who} is invited as the first admin. No mail server is set up, so the activation link waits in the outbox (psa-sync mail outbox --to ${person.email}); it works once, ${until}.${later}`);
  return alert('ok', `Invitation sent to ${who}, the first admin. Their activation link works once, ${until}.${later}`);
}

const refusal = (err: unknown): Html => {
  if (!(err instanceof AppError)) throw err;
  return alert('error', httpError(err).body.error.message);
};

/** Accounts (support: all, add one), an account's overview, Sync Members with live status, Preview. */
export function registerAccountPages(server: FastifyInstance, app: App): void {
  const latestRun = async (accountId: string) => (await app.runs.page(accountId, { limit: '1' })).runs[0];
  const heldRun = async (accountId: string) => (await app.runs.page(accountId, { status: 'held', limit: '1' })).runs[0];

  server.get<{ Querystring: { q?: string } }>('/accounts', CONSOLE, async (req, reply) => {
    const p = viewerOf(req);
    if (p.role !== 'support') return seeOther(reply, p.role === 'employee' ? '/me' : `/accounts/${p.accountId}`);
    return sendHtml(reply, accountsPage({ principal: p, section: 'accounts' }, await app.accounts.list(), req.query.q ?? ''));
  });

  server.post<{ Body: Form }>('/accounts', CONSOLE, async (req, reply) => {
    const p = viewerOf(req);
    if (p.role !== 'support') throw new ForbiddenError('only support adds accounts');
    const form = req.body ?? {};
    const integration = form.integration ?? '';
    try {
      const settings = settingsFromForm(integration, form);
      if ((INTEGRATIONS as readonly string[]).includes(integration)) await testSettings(app, integration as Integration, settings);
      const account = await app.accounts.add({ name: form.name ?? '', integration, settings });
      // htmx follows HX-Redirect (a 303 would be swapped into the form); a plain form follows the 303.
      if (isHtmx(req)) return reply.code(200).header('hx-redirect', `/accounts/${account.id}?added=1`).send();
      return seeOther(reply, `/accounts/${account.id}?added=1`);
    } catch (err) {
      // The form stays as typed: htmx swaps in only why; without scripts the page comes back with the values, secrets asked again.
      if (isHtmx(req)) return sendHtml(reply, refusal(err), 400);
      return sendHtml(reply, accountsPage({ principal: p, section: 'accounts' }, await app.accounts.list(), '', form, refusal(err)), 400);
    }
  });

  server.get<{ Params: { id: string }; Querystring: { added?: string; invited?: string; mail?: string } }>('/accounts/:id', CONSOLE, async (req, reply) => {
    if (viewerOf(req).role === 'employee') return seeOther(reply, '/me');
    const { viewer, account } = await accountViewer(app, req, req.params.id, 'overview');
    const message = req.query.added
      ? alert('ok', 'The connection works and the account is added. Name its first admin below; the first sync runs on schedule, or an admin presses Sync Members.')
      : req.query.invited
        ? await invitedWords(app, viewer, account.id, req.query.invited, req.query.mail)
        : undefined;
    const [latest, held] = await Promise.all([latestRun(account.id), heldRun(account.id)]);
    const tallies = await app.runs.tallies([latest?.id ?? null]);
    return sendHtml(reply, overviewPage(viewer, account, latest, latest?.id ? tallies.get(latest.id) : undefined, held, message));
  });

  server.post<{ Params: { id: string } }>('/accounts/:id/sync', CONSOLE, async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const { viewer, account } = await accountViewer(app, req, req.params.id, 'overview');
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, 'press Sync Members');
    const { run } = await app.engine.queue(account.id, 'manual', actorOf(viewer.principal));
    return isHtmx(req) ? sendHtml(reply, runStatusPanel(run, zoneOf(viewer))) : seeOther(reply, `/accounts/${account.id}`);
  });

  // The overview's button posts; the page it answers has this URL, so a reload (GET) reads the PSA again.
  const preview = async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const { viewer, account } = await accountViewer(app, req, req.params.id, 'overview');
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, 'preview a sync');
    const result = await app.engine.sync(account.id, { trigger: 'manual', requestedBy: actorOf(viewer.principal), dryRun: true });
    return sendHtml(reply, previewPage(viewer, account, result));
  };
  server.post<{ Params: { id: string } }>('/accounts/:id/preview', CONSOLE, preview);
  server.get<{ Params: { id: string } }>('/accounts/:id/preview', CONSOLE, preview);

  server.get<{ Params: { id: string } }>('/runs/:id/status', CONSOLE, async (req, reply) => {
    const run = await app.runs.get(req.params.id);
    assertCanRead(viewerOf(req), run.accountId, `run ${run.id}`, 'runs');
    if (run.status === 'queued' || run.status === 'running') {
      const { viewer } = await accountViewer(app, req, run.accountId, 'overview', 'runs');
      return sendHtml(reply, runStatusPanel(run, zoneOf(viewer)));
    }
    // The run has an outcome: 286 tells htmx to stop polling, and the account's facts (last sync,
    // seats, a held run) are swapped in beside the status, out of band.
    const { viewer, account } = await accountViewer(app, req, run.accountId, 'overview', 'runs');
    const [held, tallies] = await Promise.all([heldRun(account.id), app.runs.tallies([run.id])]);
    const facts = accountFacts(viewer, account, held, true);
    return sendHtml(reply, html`${runStatusPanel(run, zoneOf(viewer), tallies.get(run.id!))}
${facts}`, 286);
  });
}

