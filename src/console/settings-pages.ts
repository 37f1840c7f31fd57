import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import { AppError, InputError } from '../core/errors.js';
import type { AccountView } from '../db/views.js';
import { assertCanChange } from '../access/policy.js';
import { httpError } from '../access/http-errors.js';
import type { UpdateAccountInput } from '../services/accounts.js';
import type { Integration } from '../connector/contract.js';
import { settingsFromForm, testSettings } from './account-pages.js';
import { href, html, type Html } from './html.js';
import { alert, csrfField, layout, when, zoneOf, type Viewer } from './layout.js';
import { CONSOLE, seeOther, sendHtml } from './reply.js';
import { accountViewer } from './viewer.js';
import type { WebhookView } from '../services/webhooks.js';
import { DIMENSION_WORDS } from '../domain/scope.js';
import { defaultSyncAt } from '../schedule/daily.js';

type Form = Record<string, string | undefined>;

const CREDENTIAL_FIELDS: Record<string, [string, string, boolean][]> = {
  connectwise: [
    ['cw_site', 'Site', false],
    ['cw_companyId', 'Company id', false],
    ['cw_publicKey', 'Public key', false],
    ['cw_privateKey', 'Private key', true],
    ['cw_clientId', 'Client id', false],
  ],
  autotask: [
    ['at_userName', 'API user name', false],
    ['at_secret', 'Secret', true],
    ['at_integrationCode', 'Integration code', true],
    ['at_zoneUrl', 'Zone URL (optional)', false],
  ],
  halopsa: [
    ['halo_baseUrl', 'Base URL', false],
    ['halo_clientId', 'Client id', false],
    ['halo_clientSecret', 'Client secret', true],
    ['halo_tenant', 'Tenant (optional)', false],
  ],
};

/**
 * What a person typed into a refused form, to show it again with why: which form (`section`), the
 * field the refusal is about (it is marked invalid, the reason beside it), and the words.
 */
interface Typed {
  form?: Record<string, string | undefined>;
  section?: 'settings' | 'notifications' | 'webhooks';
  field?: string;
  message?: string;
}

/** The field of the settings form a refusal is about, from its words: "sync time must be HH:MM…" is the sync time. */
function settingsFieldOf(message: string): string | undefined {
  const words: [RegExp, string][] = [
    [/connection test|credentials|settings are unusable/i, 'credentials'],
    [/seat ?limit/i, 'seatLimit'],
    [/sync ?time|syncAt/i, 'syncAt'],
    [/time ?zone/i, 'timezone'],
    [/breaker ?percent|percentage/i, 'breakerPercent'],
    [/breaker ?min/i, 'breakerMinMembers'],
  ];
  return words.find(([re]) => re.test(message))?.[1];
}

/** `aria-invalid` and the description (hint, and the refusal when it is this field's) of a field. */
const invalid = (typed: Typed, name: string, id = name): Html =>
  typed.field === name ? html`aria-invalid="true" aria-describedby="${id}-hint ${id}-error"` : html`aria-describedby="${id}-hint"`;
const fieldError = (typed: Typed, name: string, id = name): Html => (typed.field === name && typed.message ? html`<div class="field-error" id="${id}-error">${typed.message}</div>` : html``);

function notificationsSection(v: Viewer, a: AccountView, hooks: WebhookView[], newSecret?: string, typed: Typed = {}): Html {
  return html`<h2 id="notifications">Notifications</h2>
<form class="card" method="post" action="/accounts/${a.id}/settings/notifications">${csrfField(v)}
<label for="notify">Who gets this account's notification emails</label>
<input type="text" id="notify" name="emails" value="${typed.form?.emails ?? (a.notificationEmails ?? []).join(', ')}" ${invalid(typed, 'emails', 'notify')}>${fieldError(typed, 'emails', 'notify')}
<div class="muted" id="notify-hint">Comma-separated emails. Empty: the account's admins. Held runs, failing syncs, refused credentials, the seat limit and the daily digest of members added from surveys are sent here; support hears of stale accounts and accounts without an admin.</div>
<p><button type="submit">Save recipients</button></p></form>
<h2 id="webhooks">Webhooks</h2>
${newSecret ? alert('ok', html`Webhook added. Its signing secret, shown only now: <code>${newSecret}</code>`) : ''}
<div class="table-wrap"><table><caption class="visually-hidden">Webhook endpoints</caption>
<thead><tr><th scope="col">URL</th><th scope="col">State</th><th scope="col">Latest deliveries</th><th scope="col">Actions</th></tr></thead>
<tbody>${
    hooks.length === 0
      ? html`<tr><td colspan="4" class="muted">No webhooks.</td></tr>`
      : hooks.map(
          (w) => html`<tr><td>${w.url}</td><td>${w.state === 'enabled' ? html`<span class="badge ok">enabled</span>` : html`<span class="badge bad">disabled</span> <span class="muted">${w.disabledReason ?? ''}</span>`}</td>
<td>${w.attempts.length === 0 ? html`<span class="muted">none yet</span>` : w.attempts.slice(0, 5).map((x) => html`<div>${when(x.at, zoneOf(v))} · ${x.event} · ${x.ok ? 'ok' : `failed (${x.statusCode ?? x.error ?? ''})`}</div>`)}</td>
<td><div class="row"><form class="inline" method="post" action="/accounts/${a.id}/settings/webhooks/${w.id}/test">${csrfField(v)}<button type="submit" class="small secondary">Send test event</button></form>
<form class="inline" method="post" action="/accounts/${a.id}/settings/webhooks/${w.id}/remove">${csrfField(v)}<button type="submit" class="small danger">Remove</button></form></div></td></tr>`,
        )
  }</tbody></table></div>
<form class="card" method="post" action="/accounts/${a.id}/settings/webhooks">${csrfField(v)}
<label for="hook-url">Add a webhook URL</label><input type="text" id="hook-url" name="url" required placeholder="https://…" value="${typed.form?.url ?? ''}" ${invalid(typed, 'url', 'hook')}>${fieldError(typed, 'url', 'hook')}
<div class="muted" id="hook-hint">Events are POSTed as JSON, signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature), retried for a day; a 410 answer disables the endpoint.</div>
<p><button type="submit">Add webhook</button></p></form>
<h2>ConnectWise callbacks</h2>
<p>${a.callback.registered ? html`Registered (${a.callback.url ?? ''}); last one received ${when(a.callback.lastReceivedAt, zoneOf(v))}.` : html`<span class="muted">Not registered. An operator registers them with <code>psa-sync callbacks register ${a.id} --url PUBLIC_URL</code>.</span>`}</p>`;
}

/**
 * A seat limit below the members Active now (an admin lowered it): what that does, so nobody
 * expects members to be unchecked. Nobody is; the limit holds new ones back.
 */
function seatsOverLimit(a: AccountView): Html {
  if (!a.seats || a.seats.limit === null || a.seats.active <= a.seats.limit) return html``;
  const { active, limit } = a.seats;
  return alert(
    'info',
    html`<strong>The seat limit (${limit}) is below the ${active} members Active now.</strong> Nobody is unchecked: all ${active} stay Active. New members are added unchecked, members returning from Inactive Synced come back unchecked, and nobody can be made Active until fewer than ${limit} are.`,
  );
}

/** What an empty sync time means for this account: its default time, named (or that it is never scheduled). */
function syncAtHint(a: AccountView): string {
  if (a.schedule.state === 'not_scheduled') return 'A survey snippet account is never synced on a schedule.';
  const fallback = `the default for this account, ${defaultSyncAt(a.id)} (psa-sync spreads accounts between 01:00 and 05:00 so they do not all sync at once)`;
  return a.syncAt ? `Empty: ${fallback}.` : `Empty, so it syncs daily at ${fallback}.`;
}

function settingsPage(v: Viewer, a: AccountView, snippet: { html: string; note: string | null }, notice?: Html, hooks: WebhookView[] = [], newSecret?: string, typed: Typed = {}, scopeBy: string[] = []): Html {
  const mine = typed.form === undefined || typed.section === 'settings';
  const shown = (name: string, value: string) => (mine ? (typed.form?.[name] ?? value) : value);
  const num = (name: string, label: string, value: number | null, hint: string, min = 0, max?: number) =>
    html`<label for="${name}">${label}</label><input type="number" id="${name}" name="${name}" min="${min}" ${max !== undefined ? html`max="${max}"` : ''} value="${shown(name, String(value ?? ''))}" ${invalid(typed, name)}><div class="muted" id="${name}-hint">${hint}</div>${fieldError(typed, name)}`;
  const fields = CREDENTIAL_FIELDS[a.integration] ?? [];
  return layout(
    v,
    'Settings',
    html`${notice ?? ''}${seatsOverLimit(a)}<form class="card" method="post" action="/accounts/${a.id}/settings">${csrfField(v)}
<h2>Seats and schedule</h2>
${num('seatLimit', 'Seat limit', a.seatLimit, `Most members that may be Active at once; empty for no limit.${a.seats ? ` ${a.seats.active === 1 ? '1 member is' : `${a.seats.active} members are`} Active now; a lower limit unchecks nobody.` : ''}`)}
<label for="syncAt">Daily sync time</label><input type="time" id="syncAt" name="syncAt" value="${shown('syncAt', a.syncAt ?? '')}" ${invalid(typed, 'syncAt')}><div class="muted" id="syncAt-hint">${syncAtHint(a)}</div>${fieldError(typed, 'syncAt')}
<label for="timezone">Time zone</label><input type="text" id="timezone" name="timezone" value="${shown('timezone', a.timezone)}" ${invalid(typed, 'timezone')}><div class="muted" id="timezone-hint">An IANA name, such as Europe/London or America/Chicago.</div>${fieldError(typed, 'timezone')}
<h2>Safety brake</h2>
${num('breakerPercent', 'Hold a sync that deactivates more than this percentage of Active members', a.breaker.percent, 'The run waits for an admin to approve it.', 0, 100)}
${num('breakerMinMembers', '…and more than this many members', a.breaker.minMembers, 'Small changes never hold a run.')}
${
  fields.length > 0
    ? html`<h2>Credentials</h2><p class="muted">Stored encrypted and never shown again. To replace them, fill in every field; they are tested against the PSA before saving. Leave all empty to keep the current ones.</p>
${fields.map(([name, label, secret]) => html`<label for="${name}">${label}</label><input type="${secret ? 'password' : 'text'}" id="${name}" name="${name}" autocomplete="off" value="${mine && !secret ? (typed.form?.[name] ?? '') : ''}" ${typed.field === 'credentials' ? html`aria-invalid="true" aria-describedby="credentials-error"` : ''}>`)}
${fieldError(typed, 'credentials')}${typed.field === 'credentials' ? html`<div class="muted">The secret fields are empty again: type them once more (a secret is never sent back to the browser).</div>` : ''}`
    : ''
}
<label for="reason">Reason for this change (optional)</label><input type="text" id="reason" name="reason" maxlength="500" value="${mine ? (typed.form?.reason ?? '') : ''}">
<p><button type="submit">Save settings</button></p></form>
${
  scopeBy.length > 0
    ? html`<h2 id="sync-scope">Sync scope</h2><div class="card"><p>Which of the PSA's members are staff for review tracking, by ${scopeBy.join(', ')}. Empty: everyone.</p>
<p><a href="/accounts/${a.id}/settings/scope">Choose the sync scope</a></p></div>`
    : ''
}
<h2>Survey snippet</h2>
<div class="card"><p class="muted">Paste this into your ticket-closure email template.${snippet.note ? ` ${snippet.note}` : ''}</p>
<pre class="snippet" id="snippet">${snippet.html}</pre>
<p><button type="button" class="secondary" data-copy="snippet">Copy snippet</button> <span id="snippet-status" role="status"></span></p></div>
${notificationsSection(v, a, hooks, newSecret, typed.section === 'settings' ? {} : typed)}
<p class="muted">Created ${when(a.createdAt, zoneOf(v))}.</p>`,
  );
}

/** The number fields in words, as refusals name them (and `settingsFieldOf` reads them back). */
const FIELD_WORDS: Record<string, string> = { seatLimit: 'the seat limit', breakerPercent: 'the breaker percentage', breakerMinMembers: 'the breaker minimum' };

function updateFromForm(a: AccountView, f: Form): UpdateAccountInput {
  const int = (name: string, allowEmpty: boolean): number | null | undefined => {
    const raw = (f[name] ?? '').trim();
    if (raw === '') return allowEmpty ? null : undefined;
    if (!/^\d+$/.test(raw)) throw new InputError(`${FIELD_WORDS[name] ?? name} must be a whole number (got "${raw.slice(0, 20)}")`);
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
  const page = async (req: Parameters<typeof accountViewer>[1], accountId: string, options: { notice?: Html; status?: number; newSecret?: string; typed?: Typed } = {}) => {
    const { viewer, account } = await accountViewer(app, req, accountId, 'settings');
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, 'change settings');
    const [snippet, hooks] = await Promise.all([app.survey.snippet(account.id, app.env.publicUrl), app.webhooks.list(account.id)]);
    const scopeBy = (app.registry.get(account.integration as Integration).scopeDimensions ?? []).map((d) => DIMENSION_WORDS[d].one);
    return { body: settingsPage(viewer, account, snippet, options.notice, hooks, options.newSecret, options.typed, scopeBy), status: options.status ?? 200 };
  };
  /** A refusal, shown on the page with what was typed (the field it is about marked, the reason beside it). */
  const refused = (req: Parameters<typeof accountViewer>[1], accountId: string, err: unknown, typed: Typed) => {
    if (!(err instanceof AppError)) throw err;
    const { status, body } = httpError(err);
    return page(req, accountId, { notice: alert('error', body.error.message), status, typed: { ...typed, message: body.error.message } });
  };
  /** A settings change: done, the page again with a message; refused, the page with why and what was typed. */
  const change = async (req: Parameters<typeof accountViewer>[1], accountId: string, typed: Typed, work: (actor: string) => Promise<{ message: string; secret?: string }>) => {
    const { viewer } = await accountViewer(app, req, accountId, 'settings');
    assertCanChange(viewer.principal, accountId, `account ${accountId}`, 'change settings');
    try {
      const { message, secret } = await work(actorOf(viewer.principal));
      return page(req, accountId, { notice: secret ? undefined : alert('ok', message), newSecret: secret });
    } catch (err) {
      return refused(req, accountId, err, typed);
    }
  };

  server.post<{ Params: { id: string }; Body: Form }>('/accounts/:id/settings/notifications', CONSOLE, async (req, reply) => {
    const emails = (req.body?.emails ?? '').split(',').map((e) => e.trim()).filter(Boolean);
    const shown = await change(req, req.params.id, { form: req.body ?? {}, section: 'notifications', field: 'emails' }, async (actor) => {
      await app.accounts.setNotificationEmails(req.params.id, emails.length > 0 ? emails : null, actor);
      return { message: emails.length > 0 ? 'Notification recipients saved.' : "Notifications go to the account's admins." };
    });
    return sendHtml(reply, shown.body, shown.status);
  });
  server.post<{ Params: { id: string }; Body: Form }>('/accounts/:id/settings/webhooks', CONSOLE, async (req, reply) => {
    const shown = await change(req, req.params.id, { form: req.body ?? {}, section: 'webhooks', field: 'url' }, async (actor) => ({ message: 'Webhook added.', secret: (await app.webhooks.add(req.params.id, req.body?.url ?? '', actor)).secret }));
    return sendHtml(reply, shown.body, shown.status);
  });
  server.post<{ Params: { id: string; webhookId: string } }>('/accounts/:id/settings/webhooks/:webhookId/test', CONSOLE, async (req, reply) => {
    const shown = await change(req, req.params.id, {}, async (actor) => (await app.webhooks.test(req.params.id, req.params.webhookId, actor), { message: 'Test event queued; its delivery shows here within seconds.' }));
    return sendHtml(reply, shown.body, shown.status);
  });
  server.post<{ Params: { id: string; webhookId: string } }>('/accounts/:id/settings/webhooks/:webhookId/remove', CONSOLE, async (req, reply) => {
    const shown = await change(req, req.params.id, {}, async (actor) => (await app.webhooks.remove(req.params.id, req.params.webhookId, actor), { message: 'Webhook removed.' }));
    return sendHtml(reply, shown.body, shown.status);
  });

  server.get<{ Params: { id: string }; Querystring: { saved?: string } }>('/accounts/:id/settings', CONSOLE, async (req, reply) => {
    const { body } = await page(req, req.params.id, { notice: req.query.saved ? alert('ok', 'Settings saved.') : undefined });
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
        await testSettings(app, account.integration as Integration, credentials);
        input.settings = credentials;
      }
      if (Object.keys(input).length > 0) await app.accounts.update(account.id, input, actorOf(viewer.principal), form.reason?.trim() || null);
      return seeOther(reply, href(`/accounts/${account.id}/settings`, { saved: 1 }));
    } catch (err) {
      const message = err instanceof AppError ? err.message : '';
      const shown = await refused(req, account.id, err, { form, section: 'settings', field: settingsFieldOf(message) });
      return sendHtml(reply, shown.body, shown.status);
    }
  });
}
