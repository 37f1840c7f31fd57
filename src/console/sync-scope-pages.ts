import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import { assertCanChange } from '../access/policy.js';
import { httpError } from '../access/http-errors.js';
import { AppError } from '../core/errors.js';
import type { AccountView, ChangeView, RunView } from '../db/views.js';
import type { PersonView } from '../db/people-repository.js';
import type { Integration } from '../connector/contract.js';
import { DIMENSION_WORDS, scopeInWords, type SyncScope, type SyncScopeDimension } from '../domain/scope.js';
import type { SyncScopeView } from '../services/sync-scope.js';
import { formBodySchema } from './form.js';
import { html, type Html } from './html.js';
import { alert, canChange, csrfField, layout, zoneOf, type Viewer } from './layout.js';
import { CONSOLE, sendHtml } from './reply.js';
import { changesTable } from './run-parts.js';
import { plural, sentence } from './words.js';
import { accountViewer } from './viewer.js';

/**
 * Settings → Sync scope (product.md §2, §9): which of the PSA's members are staff, by member type,
 * department and location, as checkboxes named as the PSA names them (read live). Posts to the
 * same `SyncScopeService` as `PUT /api/v1/accounts/:id/scope` and `accounts scope`. A plain form
 * (one field per dimension, repeated), so it works without scripts; a refusal shows inline with
 * the boxes as they were ticked. Preview plans a sync under the ticked scope, storing nothing.
 * (The People page's scope editor, what an account manager sees, is scope-pages.ts.)
 */

const DIMENSIONS: readonly SyncScopeDimension[] = ['memberTypes', 'departments', 'locations'];
type Form = Record<string, string | string[] | undefined>;

const title = (d: SyncScopeDimension) => DIMENSION_WORDS[d].many.charAt(0).toUpperCase() + DIMENSION_WORDS[d].many.slice(1);

/** The ticked ids of a form, per dimension (a single tick arrives as one string). */
function scopeFromForm(form: Form, dimensions: readonly SyncScopeDimension[]): Partial<SyncScope> {
  const ids = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return Object.fromEntries(dimensions.map((d) => [d, ids(form[d])]));
}

function picker(d: SyncScopeDimension, view: SyncScopeView, ticked: readonly string[], psa: string, editable: boolean): Html {
  const choices = view.choices?.[d] ?? [];
  const known = new Set(choices.map((c) => c.id));
  const chosen = new Set(ticked);
  // An id chosen before and no longer listed (or unreadable now) stays as a box, so it is never lost silently.
  const stale = ticked.filter((id) => !known.has(id));
  const box = (id: string, label: string) => html`<label><input type="checkbox" name="${d}" value="${id}" ${chosen.has(id) ? 'checked' : ''} ${editable ? '' : 'disabled'}> ${label}</label>`;
  return html`<fieldset class="picker"><legend>${title(d)}</legend>
<p class="muted hint" id="${d}-hint">None ticked: every ${DIMENSION_WORDS[d].one}. Ticked: only members in one of them.</p>
<div class="choices" aria-describedby="${d}-hint">${
    choices.length === 0 && stale.length === 0
      ? html`<span class="muted">${view.choices ? `${psa} lists no ${DIMENSION_WORDS[d].many}.` : 'The choices could not be read.'}</span>`
      : html`${choices.map((c) => box(c.id, c.name))}${stale.map((id) => box(id, view.choices ? `id ${id} (no longer listed by ${psa})` : `id ${id}`))}`
  }</div></fieldset>`;
}

/**
 * Who would lose their sign-in if the preview's moves were applied (a member moved to Inactive
 * Synced suspends their person), said before saving: the admin themselves, or the account's last
 * admin who can sign in, most of all.
 */
export function signInsLost(moved: ReadonlySet<string>, people: readonly PersonView[], viewerId: string): Html {
  const losing = people.filter((p) => p.memberId !== null && moved.has(p.memberId) && p.state !== 'suspended');
  if (losing.length === 0) return html``;
  const names = losing.map((p) => `${p.name} (${p.role.replace('_', ' ')}${p.id === viewerId ? ', you' : ''})`).join(', ');
  const admins = people.filter((p) => p.role === 'admin' && p.state === 'active');
  const noAdminLeft = admins.length > 0 && admins.every((p) => p.memberId !== null && moved.has(p.memberId));
  return alert(
    noAdminLeft || losing.some((p) => p.id === viewerId) ? 'error' : 'info',
    html`${plural(losing.length, 'person', 'people')} who sign in to this console would lose their sign-in: ${names}.${noAdminLeft ? ' No admin could sign in afterwards: support would have to name a new first admin.' : ''}`,
  );
}

/** What a preview found, in words: how many move, how many return, whether it would be held, whose sign-in ends. */
function previewPanel(run: RunView, changes: ChangeView[], accountId: string, timeZone: string | undefined, signIns: (moved: ReadonlySet<string>) => Html): Html {
  const moved = changes.filter((c) => c.reason === 'out_of_scope' && c.action === 'moved_to_inactive').length;
  const back = changes.filter((c) => c.reason === 'back_in_scope' || (c.action === 'reactivated' && c.changes.some((f) => f.field === 'inactiveReason' && f.before === 'out_of_scope'))).length;
  const outside = run.counts?.outOfScope ?? 0;
  const scoped = changes.filter((c) => ['out_of_scope', 'back_in_scope', 'new_out_of_scope'].includes(c.reason) || c.changes.some((f) => f.field === 'inactiveReason' && f.before === 'out_of_scope'));
  if (run.status === 'failed') return alert('error', `The preview could not read the PSA: ${run.error?.message ?? ''}`);
  const words = [
    `Under the ticked scope, a sync now would move ${plural(moved, 'member')} to Inactive Synced Members and return ${plural(back, 'member')} to All Staff`,
    `${plural(outside, 'member')} active in the PSA would be outside the scope in all`,
  ];
  return html`<div class="card" id="scope-preview" role="status"><h2>Preview (nothing saved)</h2>
<p>${words.join('; ')}.</p>
${signIns(new Set(changes.filter((c) => c.reason === 'out_of_scope' && c.action === 'moved_to_inactive' && c.memberId !== null).map((c) => c.memberId!)))}
${run.holdReason ? alert('info', sentence(`It would be held: ${run.holdReason}`)) : ''}
${changesTable(scoped.slice(0, 100), 'Members whose scope changes', accountId, { timeZone, empty: 'No member changes list.' })}
${scoped.length > 100 ? html`<p class="muted">The first 100 of ${scoped.length} are shown.</p>` : ''}</div>`;
}

function scopePage(v: Viewer, a: AccountView, view: SyncScopeView, psa: string, ticked: SyncScope, notice?: Html, preview?: Html): Html {
  const editable = canChange(v);
  const action = `/accounts/${a.id}/settings/scope`;
  return layout(
    v,
    'Sync scope',
    html`${notice ?? ''}${view.choicesError ? alert('error', `Could not read the choices from ${psa}: ${view.choicesError.message}. The scope is shown by id; unticking still works.`) : ''}
<div class="card"><p>Which of ${psa}'s members are staff for review tracking. Now: <strong>${view.words}</strong>.</p>
<p class="muted">Members ${psa} reports active but outside the scope move to Inactive Synced Members at the next sync (why: outside the sync scope), and cannot be made Active; back inside it, they return to All Staff, Active again unless an admin unchecked them, within the seat limit. A change that would deactivate more than ${a.breaker.percent}% of the Active members and more than ${a.breaker.minMembers} is held for an admin's approval; a scope that matches nobody is never applied.</p></div>
<form class="card" method="post" action="${action}">${csrfField(v)}
${view.dimensions.map((d) => picker(d, view, ticked[d], psa, editable))}
${
  editable
    ? html`<label for="reason">Reason for this change (optional)</label><input type="text" id="reason" name="reason" maxlength="500">
<p><button type="submit" name="do" value="save">Save the sync scope</button> <button type="submit" name="do" value="preview" class="secondary">Preview what it does</button> <a href="/accounts/${a.id}/settings">Back to Settings</a></p>`
    : html`<p class="muted">Only an admin of this account changes the sync scope.</p>`
}</form>
${preview ?? ''}`,
  );
}

/** The Settings → Sync scope page: the boxes, Preview (a dry run under the ticked boxes) and Save. */
export function registerSyncScopePages(server: FastifyInstance, app: App): void {
  const load = async (req: FastifyRequest, accountId: string) => {
    const { viewer, account } = await accountViewer(app, req, accountId, 'settings');
    const view = await app.syncScope.get(account.id);
    return { viewer, account, view, psa: app.registry.get(account.integration as Integration).displayName };
  };
  const noScope = (v: Viewer, a: AccountView, psa: string) =>
    layout(v, 'Sync scope', html`<p>${psa} accounts have no sync scope: every member ${psa} returns is staff. <a href="/accounts/${a.id}/settings">Back to Settings</a></p>`);

  server.get<{ Params: { id: string } }>('/accounts/:id/settings/scope', CONSOLE, async (req, reply) => {
    const { viewer, account, view, psa } = await load(req, req.params.id);
    if (view.dimensions.length === 0) return sendHtml(reply, noScope(viewer, account, psa));
    return sendHtml(reply, scopePage(viewer, account, view, psa, view.scope));
  });

  server.post<{ Params: { id: string }; Body: Form }>('/accounts/:id/settings/scope', { ...CONSOLE, schema: { body: formBodySchema(DIMENSIONS) } }, async (req, reply) => {
    const { viewer, account, view, psa } = await load(req, req.params.id);
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, 'change the sync scope');
    if (view.dimensions.length === 0) return sendHtml(reply, noScope(viewer, account, psa), 400);
    const form = req.body ?? {};
    const requested = scopeFromForm(form, view.dimensions);
    const ticked: SyncScope = { memberTypes: [], departments: [], locations: [], ...requested };
    try {
      if (form.do === 'preview') {
        const [{ run, changes }, people] = await Promise.all([app.syncScope.preview(account.id, requested, actorOf(viewer.principal)), app.people.list(account.id, viewer.principal)]);
        const signIns = (moved: ReadonlySet<string>) => signInsLost(moved, people, viewer.principal.id);
        return sendHtml(reply, scopePage(viewer, account, view, psa, ticked, undefined, previewPanel(run, changes, account.id, zoneOf(viewer), signIns)));
      }
      const reason = typeof form.reason === 'string' && form.reason.trim() !== '' ? form.reason.trim() : null;
      const saved = await app.syncScope.set(account.id, requested, actorOf(viewer.principal), reason);
      const fresh: SyncScopeView = { ...view, scope: saved.scope, words: scopeInWords(saved.scope, view.choices, view.dimensions) };
      return sendHtml(reply, scopePage(viewer, account, fresh, psa, fresh.scope, alert(saved.changed ? 'ok' : 'info', html`${saved.message} <a href="/accounts/${account.id}">Sync Members now</a> or wait for the daily sync.`)));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const { status, body } = httpError(err);
      return sendHtml(reply, scopePage(viewer, account, view, psa, ticked, alert('error', sentence(`Not saved: ${body.error.message}`))), status);
    }
  });
}
