import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import type { PersonView } from '../db/people-repository.js';
import type { MailOutcome } from '../services/people.js';
import { href, html, type Html } from './html.js';
import { alert, canChange, csrfField, layout, when, zoneOf, type Viewer } from './layout.js';
import { AppError } from '../core/errors.js';
import { httpError } from '../access/http-errors.js';
import { CONSOLE, seeOther, sendHtml, viewerOf } from './reply.js';
import { assertCanChange } from '../access/policy.js';
import { scopeShort } from './scope-words.js';
import { accountViewer } from './viewer.js';

type Form = Record<string, string | undefined>;
/** What the invitation form shows: a member chosen from their page, or what was typed into a refused invitation and why. */
type Prefill = { member?: string; email?: string; role?: string; error?: string };
const ROLES: [string, string][] = [
  ['admin', 'Admin'],
  ['account_manager', 'Account manager'],
  ['employee', 'Employee'],
];

const stateBadge = (p: PersonView) =>
  p.state === 'active' ? html`<span class="badge ok">active</span>` : p.state === 'invited' ? html`<span class="badge">invited</span>` : html`<span class="badge warn" title="Their member is not Active">suspended</span>`;

function row(v: Viewer, accountId: string, p: PersonView): Html {
  const admin = canChange(v);
  const action = (path: string, label: string, extra: Html | string = '', cls = 'secondary') =>
    html`<form class="inline" method="post" action="/accounts/${accountId}/people/${p.id}/${path}">${csrfField(v)}${extra}<button type="submit" class="small ${cls}">${label}</button></form>`;
  return html`<tr><td>${p.memberId ? html`<a href="/accounts/${accountId}/members/${p.memberId}">${p.name}</a>` : p.name}<div class="muted">${p.email}</div></td>
<td>${ROLES.find(([r]) => r === p.role)?.[1] ?? p.role}${p.role === 'account_manager' ? html`<div class="muted">${scopeShort(p.scope, !v.principal.clientScope) ?? 'sees every engineer and client'}</div>` : ''}</td>
<td>${stateBadge(p)}${p.invitationExpiresAt ? html`<div class="muted">link valid until ${when(p.invitationExpiresAt, zoneOf(v))}</div>` : ''}</td>
<td>${
    admin
      ? html`<div class="row">
<form class="inline" method="post" action="/accounts/${accountId}/people/${p.id}/role">${csrfField(v)}<label class="visually-hidden" for="role-${p.id}">Role of ${p.name}</label>
<select id="role-${p.id}" name="role" class="small">${ROLES.map(([r, l]) => html`<option value="${r}" ${p.role === r ? 'selected' : ''}>${l}</option>`)}</select> <button type="submit" class="small secondary">Change role</button></form>
${p.role === 'account_manager' ? html`<a class="button secondary small" href="/accounts/${accountId}/people/${p.id}/scope">What they see</a>` : ''}
${p.state === 'invited' ? action('resend', 'Resend invitation') : ''}
<a class="button danger small" href="/accounts/${accountId}/people/${p.id}/remove">Remove…</a></div>`
      : ''
  }</td></tr>`;
}

function mailWords(m: MailOutcome, email: string): Html {
  if (!m.sent) return alert('error', `The invitation is saved, but the email was not sent: ${m.error}. Resend it once mail works.`);
  return alert('ok', m.channel === 'outbox' ? `Invitation saved. No mail server is set up: the activation link waits in the outbox (psa-sync mail outbox --to ${email}).` : `Activation email sent to ${email}; its link works once, for 7 days.`);
}

function peoplePage(v: Viewer, people: PersonView[], prefill: Prefill, notice?: Html): Html {
  const accountId = v.account!.id;
  return layout(
    v,
    'People',
    html`${notice ?? ''}<div class="table-wrap"><table><caption class="visually-hidden">People who sign in to this account</caption>
<thead><tr><th scope="col">Person</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">${canChange(v) ? 'Actions' : ''}</th></tr></thead>
<tbody>${people.length === 0 ? html`<tr><td colspan="4" class="muted">Nobody signs in to this account yet.</td></tr>` : people.map((p) => row(v, accountId, p))}</tbody></table></div>
${
  canChange(v)
    ? html`<h2>Invite someone</h2><form class="card" method="post" action="/accounts/${accountId}/people">${csrfField(v)}
${prefill.member ? html`<input type="hidden" name="memberId" value="${prefill.member}">` : ''}
<label for="invite-email">Email of an Active member</label><input type="email" id="invite-email" name="email" value="${prefill.email ?? ''}" ${prefill.member ? 'readonly' : 'required'} ${prefill.error ? html`aria-invalid="true" aria-describedby="invite-error"` : ''}>${prefill.error ? html`<div class="field-error" id="invite-error">${prefill.error}</div>` : ''}
<label for="invite-role">Role</label><select id="invite-role" name="role">${ROLES.map(([r, l]) => html`<option value="${r}" ${r === (prefill.role ?? 'employee') ? 'selected' : ''}>${l}</option>`)}</select>
<p class="muted">They receive an activation email; its link works once, for 7 days.</p><button type="submit">Invite</button></form>`
    : ''
}`,
  );
}

/** The step before a sign-in is taken away: who, what it does, and an optional reason for the audit trail. */
function confirmRemovePage(v: Viewer, p: PersonView, refusal?: { message: string; reason?: string }): Html {
  const accountId = v.account!.id;
  const role = ROLES.find(([r]) => r === p.role)?.[1] ?? p.role;
  return layout(
    v,
    `Remove the sign-in of ${p.name}?`,
    html`${refusal ? alert('error', refusal.message) : ''}<div class="card"><dl class="facts"><dt>Person</dt><dd>${p.name} <span class="muted">${p.email}</span></dd><dt>Role</dt><dd>${role}</dd><dt>State</dt><dd>${stateBadge(p)}</dd></dl>
<p>${p.state === 'invited' ? 'Their activation link stops working.' : 'They can no longer sign in, and their open sessions end.'} Their member stays on the members lists, with its history; you can invite them again later.</p></div>
<form class="card" method="post" action="/accounts/${accountId}/people/${p.id}/remove">${csrfField(v)}<input type="hidden" name="confirm" value="yes">
<label for="remove-reason">Reason (optional, kept in the audit trail)</label><input type="text" id="remove-reason" name="reason" maxlength="500" value="${refusal?.reason ?? ''}">
<div class="row actions"><button type="submit" class="danger">Remove the sign-in</button> <a href="/accounts/${accountId}/people">Cancel, back to People</a></div></form>`,
  );
}

/** What a finished change says (by code: a URL never carries words to show). */
const DONE: Record<string, string> = { role: 'The role is changed.', removed: 'The sign-in is removed; the member stays.' };

/** People: roles, invite, resend, change role, remove; pending activations and their expiry. */
export function registerPeoplePages(server: FastifyInstance, app: App): void {
  /** The page, after the access check; `member` (an admin's "give a sign-in") is looked up only then. */
  const show = async (req: Parameters<typeof accountViewer>[1], accountId: string, notice?: Html, member?: string) => {
    const { viewer, account } = await accountViewer(app, req, accountId, 'people', 'audit');
    const people = await app.people.list(account.id, viewer.principal);
    let prefill: Prefill = {};
    if (member && canChange(viewer)) {
      const explained = await app.members.explain(account.id, member);
      prefill = { member: explained.member.id, email: explained.member.email ?? '' };
    }
    return peoplePage(viewer, people, prefill, notice);
  };

  server.get<{ Params: { id: string }; Querystring: Form }>('/accounts/:id/people', CONSOLE, async (req, reply) => {
    const q = req.query;
    const notice = q.done && DONE[q.done] ? alert('ok', DONE[q.done]!) : undefined;
    return sendHtml(reply, await show(req, req.params.id, notice, q.member));
  });

  /** A refused change, on the People page with why (and, for an invitation, what was typed, the email marked). */
  const refusedOn = async (req: Parameters<typeof accountViewer>[1], accountId: string, err: unknown, typed?: Form) => {
    if (!(err instanceof AppError)) throw err;
    const { status, body } = httpError(err);
    const { viewer, account } = await accountViewer(app, req, accountId, 'people', 'audit');
    const people = await app.people.list(account.id, viewer.principal);
    const prefill = typed ? { member: typed.memberId, email: typed.email, role: typed.role, error: body.error.message } : {};
    return { body: peoplePage(viewer, people, prefill, alert('error', body.error.message)), status };
  };

  server.post<{ Params: { id: string }; Body: Form }>('/accounts/:id/people', CONSOLE, async (req, reply) => {
    const p = viewerOf(req);
    const b = req.body ?? {};
    const input = b.memberId ? { memberId: b.memberId, role: b.role ?? '' } : { email: b.email ?? '', role: b.role ?? '' };
    let invited: Awaited<ReturnType<App['people']['invite']>>;
    try {
      invited = await app.people.invite(req.params.id, input, actorOf(p), p);
    } catch (err) {
      // Support names a first admin from the overview; its refusal is the error page, as before.
      if (p.role === 'support') throw err;
      const shown = await refusedOn(req, req.params.id, err, b);
      return sendHtml(reply, shown.body, shown.status);
    }
    const { person, mail } = invited;
    // Support names a first admin from the overview, and reads there who was invited and until when.
    if (p.role === 'support') return seeOther(reply, href(`/accounts/${req.params.id}`, { invited: person.id, mail: mail.sent ? mail.channel : 'failed' }));
    return sendHtml(reply, await show(req, req.params.id, mailWords(mail, person.email)));
  });

  server.post<{ Params: { id: string; personId: string }; Body: Form }>('/accounts/:id/people/:personId/role', CONSOLE, async (req, reply) => {
    const p = viewerOf(req);
    try {
      await app.people.update(req.params.id, req.params.personId, { role: req.body?.role ?? '' }, actorOf(p), p);
    } catch (err) {
      const shown = await refusedOn(req, req.params.id, err);
      return sendHtml(reply, shown.body, shown.status);
    }
    return seeOther(reply, href(`/accounts/${req.params.id}/people`, { done: 'role' }));
  });

  server.post<{ Params: { id: string; personId: string } }>('/accounts/:id/people/:personId/resend', CONSOLE, async (req, reply) => {
    const p = viewerOf(req);
    try {
      const { person, mail } = await app.people.resend(req.params.id, req.params.personId, actorOf(p), p);
      return sendHtml(reply, await show(req, req.params.id, mailWords(mail, person.email)));
    } catch (err) {
      const shown = await refusedOn(req, req.params.id, err);
      return sendHtml(reply, shown.body, shown.status);
    }
  });

  // Remove asks first (a page, so it works without scripts); only the confirmed form takes the sign-in away.
  const confirmRemove = async (req: Parameters<typeof accountViewer>[1], accountId: string, personId: string, refusal?: { message: string; reason?: string }) => {
    const { viewer, account } = await accountViewer(app, req, accountId, 'people', 'audit');
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, 'remove people');
    return confirmRemovePage(viewer, await app.people.get(account.id, personId, viewer.principal), refusal);
  };
  server.get<{ Params: { id: string; personId: string } }>('/accounts/:id/people/:personId/remove', CONSOLE, async (req, reply) => sendHtml(reply, await confirmRemove(req, req.params.id, req.params.personId)));

  server.post<{ Params: { id: string; personId: string }; Body: Form }>('/accounts/:id/people/:personId/remove', CONSOLE, async (req, reply) => {
    if (req.body?.confirm !== 'yes') return sendHtml(reply, await confirmRemove(req, req.params.id, req.params.personId));
    const p = viewerOf(req);
    try {
      await app.people.remove(req.params.id, req.params.personId, actorOf(p), p, req.body.reason);
    } catch (err) {
      // Refused (the last admin who can sign in): the same page again, saying why, the reason kept.
      if (!(err instanceof AppError)) throw err;
      const { status, body } = httpError(err);
      return sendHtml(reply, await confirmRemove(req, req.params.id, req.params.personId, { message: body.error.message, reason: req.body.reason }), status);
    }
    return seeOther(reply, href(`/accounts/${req.params.id}/people`, { done: 'removed' }));
  });
}
