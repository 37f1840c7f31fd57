import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../access/principal.js';
import type { App } from '../app.js';
import { AppError } from '../core/errors.js';
import type { PersonView } from '../db/people-repository.js';
import type { MemberView } from '../db/views.js';
import { clientKey, MAX_SCOPE_VALUES } from '../domain/person-scope.js';
import { assertCanChange } from '../access/policy.js';
import { httpError } from '../access/http-errors.js';
import { href, html, type Html } from './html.js';
import { alert, csrfField, layout, type Viewer } from './layout.js';
import { CONSOLE, seeOther, sendHtml } from './reply.js';
import { clientPage, EDITOR_PAGE, modeOf, parseEditorView, scopeFromForm, valuesOf, viewQuery, type EditorView, type Mode } from './scope-editor.js';
import { scopeWords } from './scope-words.js';
import { accountViewer } from './viewer.js';

type Form = Record<string, string | undefined>;

/**
 * The People page's scope editor (product.md §8, §12): an admin narrows an account manager to
 * chosen engineers and chosen clients, each as include or exclude, through the same
 * `PeopleService.update` as `PATCH …/people/:personId` and `people update`. At a thousand engineers
 * and clients it shows a page of each (50 boxes), found by a search or as "only the checked";
 * saving changes the boxes shown and keeps the rest (scope-editor.ts). Forms and links only: it
 * works without scripts.
 */

const MODES: [Mode, string][] = [
  ['all', 'All'],
  ['include', 'Only the checked'],
  ['exclude', 'All except the checked'],
];

interface Shown {
  members: { page: MemberView[]; total: number; next: string | null };
  clients: { names: string[]; total: number; next: boolean };
  /** Names of the chosen engineers (the words at the top). */
  chosenNames: Map<string, string>;
}

function modes(name: string, plural: string, current: Mode): Html {
  return html`<div class="modes">${MODES.map(([value, words]) => html`<label><input type="radio" name="${name}" value="${value}" ${current === value ? 'checked' : ''}> ${words} ${value === 'all' ? plural : ''}</label>`)}</div>`;
}

const count = (n: number, noun: string) => `${n.toLocaleString('en')} ${noun}${n === 1 ? '' : 's'}`;

/** "Showing 51–100 of 1,000 engineers matching “ann”", and the links to other pages. */
function pager(base: string, v: EditorView, which: 'm' | 'c', shown: number, total: number, first: number, next: Partial<EditorView> | null, noun: string): Html {
  const query = which === 'm' ? v.mq : v.cq;
  const checkedOnly = which === 'm' ? v.mchecked : v.cchecked;
  const range = shown === 0 ? `No ${noun}s` : `Showing ${first + 1}–${first + shown} of ${count(total, checkedOnly ? `checked ${noun}` : noun)}`;
  const restart: Partial<EditorView> = which === 'm' ? { mafter: '', moff: 0 } : { cpage: 0 };
  const toggle: Partial<EditorView> = which === 'm' ? { mafter: '', moff: 0, mchecked: !v.mchecked } : { cpage: 0, cchecked: !v.cchecked };
  return html`<p class="muted">${range}${query ? ` matching “${query}”` : ''}.</p>
<nav class="pager" aria-label="Pages of ${noun}s">${first > 0 ? html`<a href="${href(base, viewQuery(v, restart))}">First ${EDITOR_PAGE}</a>` : ''}${next ? html`<a href="${href(base, viewQuery(v, next))}">Next ${EDITOR_PAGE}</a>` : ''}<a href="${href(base, viewQuery(v, toggle))}">${checkedOnly ? `Show every ${noun}` : `Show only the checked ${noun}s`}</a></nav>`;
}

function scopeForm(v: Viewer, person: PersonView, view: EditorView, shown: Shown, base: string): Html {
  const chosenMembers = new Set(valuesOf(person.scope.members));
  const chosenClients = new Set(valuesOf(person.scope.clients).map(clientKey));
  const firstClient = view.cpage * EDITOR_PAGE;
  return html`<form class="card" method="get" action="${base}" role="search">
<label for="mq">Find engineers <span class="muted">(name or email)</span></label><input type="search" id="mq" name="mq" value="${view.mq}">
<label for="cq">Find clients</label><input type="search" id="cq" name="cq" value="${view.cq}">
${view.mchecked ? html`<input type="hidden" name="mchecked" value="1">` : ''}${view.cchecked ? html`<input type="hidden" name="cchecked" value="1">` : ''}
<p><button type="submit" class="secondary">Find</button> <span class="muted">Save your ticks before you search or turn a page; a save keeps the boxes of other pages as they are.</span></p>
</form>
<form class="card" method="post" action="${href(base, viewQuery(view))}">${csrfField(v)}
<fieldset class="picker"><legend>Engineers ${person.name} sees</legend>
${modes('membersMode', 'engineers', modeOf(person.scope.members))}
<p>${count(chosenMembers.size, 'engineer')} checked.</p>
<div class="choices">${
    shown.members.page.length === 0
      ? html`<span class="muted">${view.mq || view.mchecked ? 'No engineer matches.' : 'The account has no members yet.'}</span>`
      : shown.members.page.map(
          (m, i) => html`<label><input type="hidden" name="shown_member_${i}" value="${m.id}"><input type="checkbox" name="member_${i}" value="${m.id}" ${chosenMembers.has(m.id) ? 'checked' : ''}> ${m.name}${m.email ? html`<span class="count">${m.email}</span>` : ''}</label>`,
        )
  }</div>
${pager(base, view, 'm', shown.members.page.length, shown.members.total, view.moff, shown.members.next ? { mafter: shown.members.next, moff: view.moff + EDITOR_PAGE } : null, 'engineer')}
</fieldset>
<fieldset class="picker"><legend>Clients ${person.name} sees</legend>
${modes('clientsMode', 'clients', modeOf(person.scope.clients))}
<p>${count(chosenClients.size, 'client')} checked.</p>
<div class="choices">${
    shown.clients.names.length === 0
      ? html`<span class="muted">${view.cq || view.cchecked ? 'No client matches.' : 'No ratings name a client yet; type names below.'}</span>`
      : shown.clients.names.map((c, i) => html`<label><input type="hidden" name="shown_client_${i}" value="${c}"><input type="checkbox" name="client_${i}" value="${c}" ${chosenClients.has(clientKey(c)) ? 'checked' : ''}> ${c}</label>`)
  }</div>
${pager(base, view, 'c', shown.clients.names.length, shown.clients.total, firstClient, shown.clients.next ? { cpage: view.cpage + 1 } : null, 'client')}
<label for="moreClients">More client names, one per line <span class="muted">(clients no rating names yet)</span></label>
<textarea id="moreClients" name="moreClients" rows="3"></textarea>
</fieldset>
<p class="muted">A scope lists at most ${MAX_SCOPE_VALUES.toLocaleString('en')} engineers and ${MAX_SCOPE_VALUES.toLocaleString('en')} clients; for more, choose the other mode for the shorter list.</p>
<label for="reason">Reason <span class="muted">(optional, kept in the audit trail)</span></label><input type="text" id="reason" name="reason" class="reason">
<p><button type="submit">Save what ${person.name} sees</button> <a href="/accounts/${v.account!.id}/people">Back to People</a></p>
</form>`;
}

function scopePage(v: Viewer, person: PersonView, view: EditorView, shown: Shown, base: string, notice?: Html): Html {
  const manager = person.role === 'account_manager';
  return layout(
    v,
    `What ${person.name} sees`,
    html`${notice ?? ''}<div class="card"><p class="scope-words">${
      manager
        ? html`<strong>${person.name}</strong> sees ${scopeWords(person.scope, (id) => shown.chosenNames.get(id) ?? `a member no longer in the account (${id})`)}, in every report, list, total and export.`
        : html`${person.name} is not an account manager: only an account manager's view can be narrowed. Change their role on the People page first.`
    }</p></div>
${manager ? scopeForm(v, person, view, shown, base) : html`<p><a href="/accounts/${v.account!.id}/people">Back to People</a></p>`}`,
  );
}

export function registerScopePages(server: FastifyInstance, app: App): void {
  const load = async (req: FastifyRequest, accountId: string, personId: string, raw: Record<string, unknown>) => {
    const { viewer, account } = await accountViewer(app, req, accountId, 'people', 'audit');
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, "change what an account manager sees");
    const person = await app.people.get(account.id, personId, viewer.principal);
    const view = parseEditorView(raw);
    const chosen = valuesOf(person.scope.members);
    const memberQuery = { list: 'all', sort: 'name', limit: String(EDITOR_PAGE), q: view.mq || undefined, cursor: view.mafter || undefined };
    const [members, rated, chosenNames] = await Promise.all([
      view.mchecked && chosen.length === 0 ? { members: [], total: 0, nextCursor: null } : app.members.page(account.id, memberQuery, view.mchecked ? chosen : null),
      app.ratings.clients(account.id, viewer.principal),
      app.members.names(account.id, chosen),
    ]);
    const clients = new Map(rated.map((c) => [clientKey(c.name), c.name]));
    for (const c of valuesOf(person.scope.clients)) if (!clients.has(clientKey(c))) clients.set(clientKey(c), c);
    const allClients = [...clients.values()].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
    const shown: Shown = { members: { page: members.members, total: members.total, next: members.nextCursor }, clients: clientPage(allClients, valuesOf(person.scope.clients), view), chosenNames };
    return { viewer, account, person, view, shown, base: `/accounts/${account.id}/people/${person.id}/scope` };
  };

  server.get<{ Params: { id: string; personId: string }; Querystring: Record<string, unknown> }>('/accounts/:id/people/:personId/scope', CONSOLE, async (req, reply) => {
    const { viewer, person, view, shown, base } = await load(req, req.params.id, req.params.personId, req.query);
    return sendHtml(reply, scopePage(viewer, person, view, shown, base, req.query.saved ? alert('ok', `Saved. ${person.name} sees this from their next page on.`) : undefined));
  });

  server.post<{ Params: { id: string; personId: string }; Querystring: Record<string, unknown>; Body: Form }>('/accounts/:id/people/:personId/scope', CONSOLE, async (req, reply) => {
    const { viewer, account, person, view, shown, base } = await load(req, req.params.id, req.params.personId, req.query);
    try {
      await app.people.update(account.id, person.id, { scope: scopeFromForm(req.body ?? {}, person.scope), reason: req.body?.reason || undefined }, actorOf(viewer.principal), viewer.principal);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const { status, body } = httpError(err);
      return sendHtml(reply, scopePage(viewer, person, view, shown, base, alert('error', body.error.message)), status);
    }
    return seeOther(reply, href(base, { ...viewQuery(view), saved: '1' }));
  });
}
