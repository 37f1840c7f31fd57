import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import { AppError, InputError } from '../core/errors.js';
import type { AccountView } from '../db/views.js';
import { assertCanChange } from '../http/access.js';
import { httpError } from '../http/errors.js';
import type { UpdateAccountInput } from '../services/accounts.js';
import { settingsFromForm } from './account-pages.js';
import { href, html, type Html } from './html.js';
import { alert, csrfField, layout, when, type Viewer } from './layout.js';
import { CONSOLE, seeOther, sendHtml } from './reply.js';
import { accountViewer } from './viewer.js';

type Form = Record<string, string | undefined>;

const CREDENTIAL_FIELDS: Record<string, [string, string, boolean][]> = {
  connectwise: [
    ['cw_site', 'Site', false],
    ['cw_companyId', 'Company id', false],
    ['cw_publicKey', 'Public key', false],
    ['cw_privateKey', 'Private key', true],
    ['cw_clientId', 'Client id', false],
  ],
  halopsa: [
    ['halo_baseUrl', 'Base URL', false],
    ['halo_clientId', 'Client id', false],
    ['halo_clientSecret', 'Client secret', true],
    ['halo_tenant', 'Tenant (optional)', false],
  ],
};

function settingsPage(v: Viewer, a: AccountView, snippet: { html: string; note: string | null }, notice?: Html): Html {
  const num = (name: string, label: string, value: number | null, hint: string, min = 0, max?: number) =>
    html`<label for="${name}">${label}</label><input type="number" id="${name}" name="${name}" min="${min}" ${max !== undefined ? html`max="${max}"` : ''} value="${value ?? ''}" aria-describedby="${name}-hint"><div class="muted" id="${name}-hint">${hint}</div>`;
  const fields = CREDENTIAL_FIELDS[a.integration] ?? [];
  return layout(
    v,
    'Settings',
    html`${notice ?? ''}<form class="card" method="post" action="/accounts/${a.id}/settings">${csrfField(v)}
<h2>Seats and schedule</h2>
${num('seatLimit', 'Seat limit', a.seatLimit, 'Most members that may be Active at once; empty for no limit.')}
<label for="syncAt">Daily sync time</label><input type="time" id="syncAt" name="syncAt" value="${a.syncAt ?? ''}" aria-describedby="syncAt-hint"><div class="muted" id="syncAt-hint">Empty: psa-sync spreads accounts over the night.</div>
<label for="timezone">Time zone</label><input type="text" id="timezone" name="timezone" value="${a.timezone}" aria-describedby="timezone-hint"><div class="muted" id="timezone-hint">An IANA name, such as Europe/London or America/Chicago.</div>
<h2>Safety brake</h2>
${num('breakerPercent', 'Hold a sync that deactivates more than this percentage of Active members', a.breaker.percent, 'The run waits for an admin to approve it.', 0, 100)}
${num('breakerMinMembers', '…and more than this many members', a.breaker.minMembers, 'Small changes never hold a run.')}
${
  fields.length > 0
    ? html`<h2>Credentials</h2><p class="muted">Stored encrypted and never shown again. To replace them, fill in every field; they are tested against the PSA before saving. Leave all empty to keep the current ones.</p>
${fields.map(([name, label, secret]) => html`<label for="${name}">${label}</label><input type="${secret ? 'password' : 'text'}" id="${name}" name="${name}" autocomplete="off">`)}`
    : ''
}
<label for="reason">Reason for this change (optional)</label><input type="text" id="reason" name="reason" maxlength="500">
<p><button type="submit">Save settings</button></p></form>
<h2>Survey snippet</h2>
<div class="card"><p class="muted">Paste this into your ticket-closure email template.${snippet.note ? ` ${snippet.note}` : ''}</p>
<pre class="snippet" id="snippet">${snippet.html}</pre>
<p><button type="button" class="secondary" data-copy="snippet">Copy snippet</button> <span id="snippet-status" role="status"></span></p></div>
<p class="muted">Created ${when(a.createdAt)}.</p>`,
  );
}

function updateFromForm(a: AccountView, f: Form): UpdateAccountInput {
  const int = (name: string, allowEmpty: boolean): number | null | undefined => {
    const raw = (f[name] ?? '').trim();
    if (raw === '') return allowEmpty ? null : undefined;
    if (!/^\d+$/.test(raw)) throw new InputError(`${name} must be a whole number (got "${raw.slice(0, 20)}")`);
    return Number(raw);
  };
  const input: UpdateAccountInput = {};
  const seatLimit = int('seatLimit', true);
  if (seatLimit !== a.seatLimit) input.seatLimit = seatLimit;
  const syncAt = (f.syncAt ?? '').trim() || null;
  if (syncAt !== a.syncAt) input.syncAt = syncAt;
  const tz = (f.timezone ?? '').trim();
  if (tz && tz !== a.timezone) input.timezone = tz;
  const percent = int('breakerPercent', false);
  if (percent !== undefined && percent !== a.breaker.percent) input.breakerPercent = percent!;
  const min = int('breakerMinMembers', false);
  if (min !== undefined && min !== a.breaker.minMembers) input.breakerMinMembers = min!;
  return input;
}

/** Settings (admin): seat limit, sync time and zone, breaker thresholds, write-only credentials, survey snippet. */
export function registerSettingsPages(server: FastifyInstance, app: App): void {
  const page = async (req: Parameters<typeof accountViewer>[1], accountId: string, notice?: Html, status = 200) => {
    const { viewer, account } = await accountViewer(app, req, accountId, 'settings');
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, 'change settings');
    const snippet = await app.survey.snippet(account.id, app.env.publicUrl);
    return { body: settingsPage(viewer, account, snippet, notice), status };
  };

  server.get<{ Params: { id: string }; Querystring: { saved?: string } }>('/accounts/:id/settings', CONSOLE, async (req, reply) => {
    const { body } = await page(req, req.params.id, req.query.saved ? alert('ok', 'Settings saved.') : undefined);
    return sendHtml(reply, body);
  });

  server.post<{ Params: { id: string }; Body: Form }>('/accounts/:id/settings', CONSOLE, async (req, reply) => {
    const { viewer, account } = await accountViewer(app, req, req.params.id, 'settings');
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, 'change settings');
    const form = req.body ?? {};
    try {
      const input = updateFromForm(account, form);
      const credentials = settingsFromForm(account.integration, form);
      if (Object.keys(credentials).length > 0) {
        await app.engine.testConnection(account.integration as 'connectwise' | 'halopsa', credentials);
        input.settings = credentials;
      }
      if (Object.keys(input).length > 0) await app.accounts.update(account.id, input, actorOf(viewer.principal), form.reason?.trim() || null);
      return seeOther(reply, href(`/accounts/${account.id}/settings`, { saved: 1 }));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const { status, body } = httpError(err);
      const shown = await page(req, account.id, alert('error', body.error.message), status);
      return sendHtml(reply, shown.body, shown.status);
    }
  });
}
