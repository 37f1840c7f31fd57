import type { FastifyInstance } from 'fastify';
import type { Principal } from '../access/principal.js';
import type { App } from '../app.js';
import { requireId } from '../core/ids.js';
import type { SurveyEventView } from '../db/survey-repository.js';
import { assertCanReadMember } from '../access/policy.js';
import { auditFieldWords, changeWords, valueWords } from './change-words.js';
import { href, html, type Html } from './html.js';
import { mergeAdminActions } from './explain-timeline.js';
import { actorLabel, alert, canChange, layout, when, zoneOf, type Viewer } from './layout.js';
import { memberRow } from './member-pages.js';
import { CONSOLE, sendHtml } from './reply.js';
import { hiddenClientWords } from './scope-words.js';
import { plural } from './words.js';
import { memberPageViewer } from './viewer.js';

type Explained = Awaited<ReturnType<App['members']['explain']>>;

const AUDIT_WORDS: Record<string, string> = {
  'member.active': 'Active box changed',
  'person.invited': 'given a sign-in (invited)',
  'person.invitation_resent': 'invitation resent',
  'person.role_changed': 'role changed',
  'person.scope_changed': "manager's members changed",
  'person.removed': 'sign-in removed',
  'person.activated': 'set a password (activated)',
  'person.password_reset': 'reset the password',
  'auth.signin_failed': 'failed sign-ins',
};

/**
 * Every change to the member, by run or by person, with the reason, oldest first, in words
 * (change-words.ts); an admin's action once, with the reason they typed (explain-timeline.ts).
 */
function timeline(e: Explained, timeZone: string | undefined): Html {
  const { history, audit } = mergeAdminActions(e.history, e.audit);
  const items = [
    ...history.map((c) => {
      const words = changeWords(c, timeZone);
      return {
        at: c.createdAt,
        body: html`<strong>${words.what}</strong> by ${c.runId ? html`<a href="/runs/${c.runId}">a sync run</a>` : actorLabel(c.actor)} <span class="muted">— ${words.why}${c.adminReason ? html`; reason: “${c.adminReason}”` : ''}</span>
<div>${words.fields.join(' · ')}</div>`,
      };
    }),
    ...audit.map((a) => ({
      at: a.createdAt,
      body: html`<strong>${AUDIT_WORDS[a.action] ?? a.action.replace(/[._]/g, ' ')}</strong> by ${actorLabel(a.actor)}${a.reason ? html` <span class="muted">— reason: “${a.reason}”</span>` : ''}
<div>${auditFieldWords(a.before, a.after, timeZone).join(' · ')}</div>`,
    })),
  ].sort((x, y) => x.at.localeCompare(y.at));
  if (items.length === 0) return html`<p class="muted">No changes recorded.</p>`;
  return html`<ol class="timeline">${items.map((i) => html`<li><div class="muted">${when(i.at, timeZone)}</div>${i.body}</li>`)}</ol>`;
}

function ratings(events: SurveyEventView[], summary: { count: number; average: number | null }, timeZone: string | undefined): Html {
  return html`<h2>Survey ratings</h2>
<p>${summary.count === 0 ? 'No ratings yet.' : html`<span class="badge ok">${plural(summary.count, 'rating')}, average ${summary.average?.toFixed(2)}</span>`}</p>
${
  events.length > 0
    ? html`<div class="table-wrap"><table><caption class="visually-hidden">Recent ratings</caption><thead><tr><th scope="col">When</th><th scope="col">Rating</th><th scope="col">Client</th><th scope="col">Ticket</th><th scope="col">Comment</th></tr></thead>
<tbody>${events.map((e) => html`<tr><td class="nowrap">${when(e.updatedAt, timeZone)}</td><td>${e.rating}</td><td>${e.client ?? '—'}</td><td>${e.ticket.startsWith('no-ticket:') ? '—' : e.ticket || '—'}</td><td class="comment">${e.comment ?? ''}</td></tr>`)}</tbody></table></div>`
    : ''
}`;
}

/** The PSA's profile fields, when the member has any (a snippet or HaloPSA member has none). */
function profileFacts(m: Explained['member']): Html {
  const facts: [string, string | null][] = [['Department', m.department], ['Work role', m.workRole], ['Location', m.location], ['Title', m.title], ['Hire date', m.hireDate]];
  if (facts.every(([, value]) => value === null)) return html``;
  return html`${facts.map(([label, value]) => html`<dt>${label}</dt><dd>${value ?? '—'}</dd>`)}`;
}

function explainPage(v: Viewer, e: Explained, events: SurveyEventView[], summary: { count: number; average: number | null }, notice?: Html): Html {
  const m = e.member;
  const own = v.principal.role === 'employee';
  return layout(
    v,
    // An employee's own member page; "My record" is their dashboard (/me), one page of that name.
    own ? 'My member record' : m.name,
    html`${notice ?? ''}<div class="card"><dl class="facts">
<dt>Name</dt><dd>${m.name}</dd><dt>Email</dt><dd>${m.email ?? '—'}</dd><dt>Identifier</dt><dd>${m.identifier ?? '—'}</dd>
${profileFacts(m)}
<dt>List</dt><dd>${m.list === 'staff' ? 'All Staff' : 'Inactive Synced Members'}</dd>
<dt>Active</dt><dd>${m.active ? html`<span class="badge ok">Active</span>` : html`<span class="badge warn">Not active</span>`}${m.inactiveReason ? html` <span class="muted">(${valueWords('inactiveReason', m.inactiveReason)})</span>` : ''}${m.adminInactive ? html` <span class="muted">— an admin's decision, kept across syncs</span>` : ''}</dd>
<dt>In the PSA</dt><dd>${m.psaActive === null ? '—' : m.psaActive ? 'active' : 'inactive'}</dd>
<dt>First seen · last seen</dt><dd>${when(m.firstSeenAt, zoneOf(v))} · ${when(m.lastSeenAt, zoneOf(v))}</dd>
<dt>Source</dt><dd>${m.source}</dd>
</dl></div>
${
  canChange(v)
    ? html`<div class="table-wrap"><table><caption>Active box</caption><thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Source</th><th scope="col">List</th><th scope="col">First seen</th><th scope="col">Active</th></tr></thead>
<tbody>${memberRow(v, m.accountId, { ...m, role: null })}</tbody></table></div>
<p><a href="${href(`/accounts/${m.accountId}/people`, { member: m.id })}">Give ${m.name} a sign-in</a></p>`
    : ''
}
<h2>What happened, and why</h2>
${timeline(e, zoneOf(v))}
${ratings(events, summary, zoneOf(v))}
${own ? '' : html`<p><a href="/accounts/${m.accountId}/members">All members</a></p>`}`,
  );
}

/** "Explain this member": a timeline of every change, by run or person, with reasons (an employee's dashboard is /me, me-pages.ts). */
export function registerExplainPages(server: FastifyInstance, app: App): void {
  // A manager narrowed by client sees this member's ratings of those clients only, in the list and the total.
  const load = async (accountId: string, memberId: string, reader: Principal) =>
    Promise.all([app.members.explain(accountId, memberId, reader), app.survey.page(accountId, { limit: '20' }, { mode: 'include', ids: [memberId] }, reader.clientScope ?? null), app.survey.summary(accountId, memberId, reader.clientScope ?? null)]);

  server.get<{ Params: { id: string; memberId: string }; Querystring: { saved?: string } }>('/accounts/:id/members/:memberId', CONSOLE, async (req, reply) => {
    const memberId = requireId('member', req.params.memberId);
    const viewer = await memberPageViewer(app, req, req.params.id, 'members');
    assertCanReadMember(viewer.principal, viewer.account!.id, memberId);
    const [explained, events, summary] = await load(viewer.account!.id, memberId, viewer.principal);
    return sendHtml(reply, explainPage(viewer, { ...explained, audit: hiddenClientWords(explained.audit) }, events.events, summary, req.query.saved ? alert('ok', 'Saved.') : undefined));
  });
}
