import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../access/principal.js';
import type { App } from '../app.js';
import { AppError, InputError } from '../core/errors.js';
import type { PersonView } from '../db/people-repository.js';
import type { MemberView } from '../db/views.js';
import { choiceParts, clientKey, type PersonScopeInput, type ScopeChoice } from '../domain/person-scope.js';
import { assertCanChange } from '../access/policy.js';
import { httpError } from '../access/http-errors.js';
import { html, type Html } from './html.js';
import { alert, csrfField, layout, type Viewer } from './layout.js';
import { CONSOLE, seeOther, sendHtml } from './reply.js';
import { scopeWords } from './scope-words.js';
import { accountViewer } from './viewer.js';

type Form = Record<string, string | undefined>;
type Mode = 'all' | 'include' | 'exclude';

/**
 * The People page's scope editor (product.md §8, §12): an admin narrows an account manager to
 * chosen engineers and chosen clients, each as include or exclude, through the same
 * `PeopleService.update` as `PATCH …/people/:personId` and `people update`. Every box has a field
 * of its own (`member_N`, `client_N`), so the form is one value per field and works without scripts.
 */

const MODES: [Mode, string][] = [
  ['all', 'All'],
  ['include', 'Only the checked'],
  ['exclude', 'All except the checked'],
];

const modeOf = (c: ScopeChoice | null): Mode => (c ? choiceParts(c).mode : 'all');
const valuesOf = (c: ScopeChoice | null): string[] => (c ? choiceParts(c).values : []);

function modes(name: string, plural: string, current: Mode): Html {
  return html`<div class="modes">${MODES.map(([value, words]) => html`<label><input type="radio" name="${name}" value="${value}" ${current === value ? 'checked' : ''}> ${words} ${value === 'all' ? plural : ''}</label>`)}</div>`;
}

function scopeForm(v: Viewer, person: PersonView, members: MemberView[], clients: string[]): Html {
  const accountId = v.account!.id;
  const chosenMembers = new Set(valuesOf(person.scope.members));
  const chosenClients = new Set(valuesOf(person.scope.clients).map(clientKey));
  return html`<form class="card" method="post" action="/accounts/${accountId}/people/${person.id}/scope">${csrfField(v)}
<fieldset class="picker"><legend>Engineers ${person.name} sees</legend>
${modes('membersMode', 'engineers', modeOf(person.scope.members))}
<div class="choices">${
    members.length === 0
      ? html`<span class="muted">The account has no members yet.</span>`
      : members.map((m, i) => html`<label><input type="checkbox" name="member_${i}" value="${m.id}" ${chosenMembers.has(m.id) ? 'checked' : ''}> ${m.name}${m.email ? html`<span class="count">${m.email}</span>` : ''}</label>`)
  }</div>
</fieldset>
<fieldset class="picker"><legend>Clients ${person.name} sees</legend>
${modes('clientsMode', 'clients', modeOf(person.scope.clients))}
<div class="choices">${
    clients.length === 0
      ? html`<span class="muted">No ratings name a client yet; type names below.</span>`
      : clients.map((c, i) => html`<label><input type="checkbox" name="client_${i}" value="${c}" ${chosenClients.has(clientKey(c)) ? 'checked' : ''}> ${c}</label>`)
  }</div>
<label for="moreClients">More client names, one per line <span class="muted">(clients no rating names yet)</span></label>
<textarea id="moreClients" name="moreClients" rows="3"></textarea>
</fieldset>
<label for="reason">Reason <span class="muted">(optional, kept in the audit trail)</span></label><input type="text" id="reason" name="reason" class="reason">
<p><button type="submit">Save what ${person.name} sees</button> <a href="/accounts/${accountId}/people">Back to People</a></p>
</form>`;
}

function scopePage(v: Viewer, person: PersonView, members: MemberView[], clients: string[], notice?: Html): Html {
  const names = new Map(members.map((m) => [m.id, m.name]));
  const manager = person.role === 'account_manager';
  return layout(
    v,
    `What ${person.name} sees`,
    html`${notice ?? ''}<div class="card"><p class="scope-words">${
      manager
        ? html`<strong>${person.name}</strong> sees ${scopeWords(person.scope, (id) => names.get(id) ?? `a member no longer in the account (${id})`)}, in every report, list, total and export.`
        : html`${person.name} is not an account manager: only an account manager's view can be narrowed. Change their role on the People page first.`
    }</p></div>
${manager ? scopeForm(v, person, members, clients) : html`<p><a href="/accounts/${v.account!.id}/people">Back to People</a></p>`}`,
  );
}

/** The form as a scope change: each part all (null), or the checked (and typed) values to include or exclude. */
export function scopeFromForm(form: Form): PersonScopeInput {
  const mode = (name: string): Mode => {
    const m = form[name] ?? 'all';
    if (m !== 'all' && m !== 'include' && m !== 'exclude') throw new InputError(`${name} must be all, include or exclude`);
    return m;
  };
  const checked = (prefix: string) => Object.entries(form).filter(([k, val]) => new RegExp(`^${prefix}_\\d+$`).test(k) && val).map(([, val]) => val!.trim());
  const typed = (form.moreClients ?? '').split(/\r?\n/).map((c) => c.trim()).filter((c) => c !== '');
  const part = (which: 'engineer' | 'client', m: Mode, values: string[]): ScopeChoice | null => {
    if (m === 'all') return null;
    if (m === 'include' && values.length === 0) throw new InputError(`check at least one ${which} to show, or choose "All ${which}s"`);
    return m === 'include' ? { include: values } : { exclude: values };
  };
  return { members: part('engineer', mode('membersMode'), checked('member')), clients: part('client', mode('clientsMode'), [...checked('client'), ...typed]) };
}

export function registerScopePages(server: FastifyInstance, app: App): void {
  const load = async (req: FastifyRequest, accountId: string, personId: string) => {
    const { viewer, account } = await accountViewer(app, req, accountId, 'people', 'audit');
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, "change what an account manager sees");
    const [person, members, rated] = await Promise.all([app.people.get(account.id, personId, viewer.principal), app.members.list(account.id, 'all'), app.ratings.clients(account.id, viewer.principal)]);
    const clients = new Map(rated.map((c) => [clientKey(c.name), c.name]));
    for (const c of valuesOf(person.scope.clients)) if (!clients.has(clientKey(c))) clients.set(clientKey(c), c);
    const sorted = [...members].sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
    return { viewer, account, person, members: sorted, clients: [...clients.values()].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })) };
  };

  server.get<{ Params: { id: string; personId: string }; Querystring: { saved?: string } }>('/accounts/:id/people/:personId/scope', CONSOLE, async (req, reply) => {
    const { viewer, person, members, clients } = await load(req, req.params.id, req.params.personId);
    return sendHtml(reply, scopePage(viewer, person, members, clients, req.query.saved ? alert('ok', `Saved. ${person.name} sees this from their next page on.`) : undefined));
  });

  server.post<{ Params: { id: string; personId: string }; Body: Form }>('/accounts/:id/people/:personId/scope', CONSOLE, async (req, reply) => {
    const { viewer, account, person, members, clients } = await load(req, req.params.id, req.params.personId);
    try {
      await app.people.update(account.id, person.id, { scope: scopeFromForm(req.body ?? {}), reason: req.body?.reason || undefined }, actorOf(viewer.principal), viewer.principal);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const { status, body } = httpError(err);
      return sendHtml(reply, scopePage(viewer, person, members, clients, alert('error', body.error.message)), status);
    }
    return seeOther(reply, `/accounts/${account.id}/people/${person.id}/scope?saved=1`);
  });
}
