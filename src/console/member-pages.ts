import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import { AppError, InputError } from '../core/errors.js';
import { requireId } from '../core/ids.js';
import type { MemberView } from '../db/views.js';
import { assertCanChange } from '../access/policy.js';
import { httpError } from '../access/http-errors.js';
import type { BulkResult } from '../services/members.js';
import { formBodySchema } from './form.js';
import { href, html, type Html } from './html.js';
import { alert, canChange, csrfField, layout, when, type Viewer } from './layout.js';
import { CONSOLE, isHtmx, seeOther, sendHtml, viewerOf } from './reply.js';
import { accountViewer, accountViewerWith } from './viewer.js';
import { sentence } from './words.js';
import { confirmBulkPage } from './member-bulk.js';

type Query = Record<string, string | undefined>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
type Row = MemberView & { role: string | null };

/** The query keys a members view keeps in its URL (so a view is a link, and survives reload). */
const VIEW_KEYS = ['list', 'q', 'active', 'source', 'role', 'department', 'location', 'sort', 'order', 'cursor'] as const;
const viewQuery = (q: Query, overrides: Query = {}): Query => Object.fromEntries(VIEW_KEYS.map((k) => [k, k in overrides ? overrides[k] : q[k]]));

/** The list a view shows (`inactive_synced` is the API's spelling of the Inactive Synced tab). */
const listOf = (q: Query): string => (q.list === 'inactive' || q.list === 'inactive_synced' ? 'inactive' : q.list === 'all' ? 'all' : 'staff');

const COLUMNS: { key?: string; label: string }[] = [
  { key: 'name', label: 'Name' },
  { key: 'email', label: 'Email' },
  { label: 'Role' },
  { key: 'source', label: 'Source' },
  { key: 'list', label: 'List' },
  { key: 'firstSeenAt', label: 'First seen' },
  { key: 'active', label: 'Active' },
];

const inactiveWhy: Record<string, string> = { psa_inactive: 'inactive in the PSA', vanished: 'no longer in the PSA', admin: 'unchecked by an admin', seat_limit: 'over the seat limit', out_of_scope: 'outside the sync scope' };

/**
 * The Active cell of a member row: its box saves at once (htmx swaps this cell alone, so the box keeps
 * the keyboard focus by its id and the row's bulk tick stays), or with its Save button without
 * scripts. `view` is the members list the box is on (its URL query), so the answer returns there;
 * on a member's own page (`view` undefined) it returns to that page.
 */
function activeCell(v: Viewer, accountId: string, m: Row, view: Query | undefined, refusal?: string): Html {
  const box = canChange(v)
    ? html`<form method="post" action="${href(`/accounts/${accountId}/members/${m.id}/active`, view ?? { back: 'member' })}" hx-post="${href(`/accounts/${accountId}/members/${m.id}/active`, view ?? { back: 'member' })}" hx-trigger="change" hx-target="closest td" hx-swap="innerHTML">${csrfField(v)}
<label class="inline"><input type="checkbox" id="active-${m.id}" name="active" value="true" ${m.active ? 'checked' : ''} aria-describedby="why-${m.id}"><span class="visually-hidden">Active: ${m.name}</span></label>
<button type="submit" class="small secondary nojs">Save</button></form>`
    : html`<span>${m.active ? 'Active' : 'Not active'}</span>`;
  return html`${box}<span id="why-${m.id}" class="muted">${!m.active && m.inactiveReason ? inactiveWhy[m.inactiveReason] ?? m.inactiveReason : ''}</span>${refusal ? html`<span class="refusal" role="alert">${refusal}</span>` : ''}`;
}

/** One member row; `view` as for its Active cell (a member's own page passes none, and has no bulk tick). */
export function memberRow(v: Viewer, accountId: string, m: Row, refusal?: string, view?: Query): Html {
  const admin = canChange(v);
  // data-label: a phone shows each row as a card, every value under its column's name (the stylesheet).
  return html`<tr id="member-${m.id}">
${admin && view ? html`<td class="select"><input type="checkbox" name="memberIds" value="${m.id}" form="bulk" aria-label="Select ${m.name}"></td>` : ''}
<td data-label="Name"><a href="/accounts/${accountId}/members/${m.id}">${m.name}</a>${m.identifier ? html`<div class="muted">${m.identifier}</div>` : ''}</td>
<td data-label="Email">${m.email ?? html`<span class="muted">—</span>`}</td>
<td data-label="Role">${m.role ? html`<span class="badge">${m.role.replace('_', ' ')}</span>` : html`<span class="muted">—</span>`}</td>
<td data-label="Source">${m.source}</td>
<td data-label="List" class="nowrap">${m.list === 'staff' ? 'All Staff' : 'Inactive Synced'}</td>
<td data-label="First seen" class="nowrap">${when(m.firstSeenAt, v.account?.timeZone).slice(0, 10)}</td>
<td data-label="Active">${activeCell(v, accountId, m, view, refusal)}</td>
</tr>`;
}

type Seats = { active: number; limit: number | null } | null;

/** "N Active / N Total" of the view and the account's seats; `oob` when a box's answer carries them. */
function countBadges(page: { activeCount: number; total: number }, seats: Seats, oob = false): Html {
  return html`<div class="row" id="member-counts" ${oob ? html`hx-swap-oob="true"` : ''}><span class="badge">${page.activeCount} Active / ${page.total} Total</span>
${seats ? html`<span class="badge ${seats.limit !== null && seats.active >= seats.limit ? 'warn' : ''}">${seats.limit === null ? `${seats.active} Active, no seat limit` : `${seats.active} of ${seats.limit} seats`}</span>` : ''}</div>`;
}

function sortHeader(accountId: string, q: Query, col: { key?: string; label: string }): Html {
  if (!col.key) return html`<th scope="col">${col.label}</th>`;
  const current = (q.sort ?? 'name') === col.key;
  const order = current && (q.order ?? 'asc') === 'asc' ? 'desc' : 'asc';
  const aria = current ? ((q.order ?? 'asc') === 'asc' ? 'ascending' : 'descending') : undefined;
  return html`<th scope="col" ${aria ? html`aria-sort="${aria}"` : ''}><a href="${href(`/accounts/${accountId}/members`, viewQuery(q, { sort: col.key, order, cursor: undefined }))}">${col.label}${current ? (order === 'desc' ? ' ▲' : ' ▼') : ''}</a></th>`;
}

function select(name: string, label: string, value: string | undefined, options: [string, string][]): Html {
  return html`<div><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}">${options.map(([v, l]) => html`<option value="${v}" ${(value ?? '') === v ? 'selected' : ''}>${l}</option>`)}</select></div>`;
}

/** The departments and locations of the account's members, for their filters. */
export type ProfileChoices = Awaited<ReturnType<App['members']['profileChoices']>>;

/**
 * A filter by one profile field, offered when the account's members have any value for it (or the
 * view already filters by one): its options are the values they have.
 */
function profileSelect(name: string, label: string, value: string | undefined, values: readonly string[]): Html {
  const options = value && !values.includes(value) ? [...values, value] : values;
  if (options.length === 0) return html``;
  return select(name, label, value, [['', 'Any'], ...options.map((o): [string, string] => [o, o])]);
}

export function membersPage(v: Viewer, q: Query, page: Awaited<ReturnType<App['members']['page']>>, seats: Seats, choices: ProfileChoices, notice?: Html, refused?: { memberId: string; message: string }): Html {
  const accountId = v.account!.id;
  const list = listOf(q);
  const admin = canChange(v);
  const tab = (key: string, label: string) => html`<a href="${href(`/accounts/${accountId}/members`, viewQuery(q, { list: key, cursor: undefined }))}" ${list === key ? html`aria-current="page"` : ''}>${label}</a>`;
  const filters = html`<form class="filters" method="get" action="/accounts/${accountId}/members" role="search" aria-label="Filter members">
<input type="hidden" name="list" value="${list}"><input type="hidden" name="sort" value="${q.sort ?? ''}"><input type="hidden" name="order" value="${q.order ?? ''}">
<div><label for="f-q">Name or email</label><input type="search" id="f-q" name="q" value="${q.q ?? ''}"></div>
${select('active', 'Active', q.active, [['', 'Any'], ['true', 'Active'], ['false', 'Not active']])}
${select('source', 'Source', q.source, [['', 'Any'], ['psa', 'PSA'], ['import', 'Import'], ['survey', 'Survey'], ['manual', 'Manual']])}
${select('role', 'Role', q.role, [['', 'Any'], ['admin', 'Admin'], ['account_manager', 'Account manager'], ['employee', 'Employee'], ['none', 'No sign-in']])}
${profileSelect('department', 'Department', q.department, choices.departments)}
${profileSelect('location', 'Location', q.location, choices.locations)}
<button type="submit" class="secondary">Apply</button> <a href="${href(`/accounts/${accountId}/members`, { list })}">Clear</a></form>`;
  const bulk = admin
    ? html`<form id="bulk" class="card" method="post" action="/accounts/${accountId}/members/bulk">${csrfField(v)}
${VIEW_KEYS.filter((k) => k !== 'cursor').map((k) => html`<input type="hidden" name="view_${k}" value="${k === 'list' ? list : (q[k] ?? '')}">`)}
<fieldset><legend>Bulk change</legend>
<label class="inline"><input type="radio" name="scope" value="selected" checked> The rows selected below</label>
<label class="inline"><input type="radio" name="scope" value="matching"> ${page.total === 1 ? 'The 1 member' : `All ${page.total} members`} matching this view</label>
<div class="row"><button type="submit" name="active" value="true">Check (make Active)</button><button type="submit" name="active" value="false" class="secondary">Uncheck</button>
<label class="inline" for="bulk-reason">Reason (optional)</label><input type="text" id="bulk-reason" class="reason" name="reason" maxlength="500"></div>
</fieldset></form>`
    : '';
  return layout(
    v,
    'Members',
    html`${notice ?? ''}<nav class="tabs" aria-label="Lists">${tab('staff', 'All Staff')}${tab('inactive', 'Inactive Synced Members')}${tab('all', 'Both')}</nav>
<div class="row spread">${countBadges(page, seats)}</div>
${filters}${bulk}
<div class="table-wrap"><table class="stack"><caption class="visually-hidden">Members, ${list === 'staff' ? 'All Staff' : list === 'inactive' ? 'Inactive Synced Members' : 'both lists'}</caption>
<thead><tr>${admin ? html`<th scope="col"><input type="checkbox" data-select-all aria-label="Select every row on this page"></th>` : ''}${COLUMNS.map((c) => sortHeader(accountId, q, c))}</tr></thead>
<tbody>${page.members.length === 0 ? html`<tr><td colspan="8" class="muted">No members match this view.</td></tr>` : page.members.map((m) => memberRow(v, accountId, m, refused?.memberId === m.id ? refused.message : undefined, viewQuery(q, { list })))}</tbody></table></div>
<nav class="pager" aria-label="Pages">${q.cursor ? html`<a href="${href(`/accounts/${accountId}/members`, viewQuery(q, { cursor: undefined }))}">First page</a>` : ''}
${page.nextCursor ? html`<a href="${href(`/accounts/${accountId}/members`, viewQuery(q, { cursor: page.nextCursor }))}">Next page</a>` : html`<span class="muted">Last page</span>`}</nav>`,
  );
}

function bulkPage(v: Viewer, result: BulkResult, names: Map<string, string>, back: string, active: boolean): Html {
  return layout(
    v,
    'Bulk change: summary',
    html`${alert(result.refused.length === 0 ? 'ok' : 'info', `${result.changed} member${result.changed === 1 ? '' : 's'} ${active ? 'made Active' : 'unchecked'}; ${result.refused.length} refused.`)}
${
  result.refused.length > 0
    ? html`<h2>Refused, and why</h2><div class="table-wrap"><table><caption class="visually-hidden">Refused members</caption><thead><tr><th scope="col">Member</th><th scope="col">Why</th></tr></thead>
<tbody>${result.refused.map((r) => html`<tr><td>${names.get(r.memberId) ?? r.memberId}</td><td>${r.reason}</td></tr>`)}</tbody></table></div>`
    : ''
}
<p><a href="${back}">Back to the members</a></p>`,
  );
}

/** The members table (tabs, search, filters, sort, pages, badges), the Active box, and bulk changes. */
export function registerMemberPages(server: FastifyInstance, app: App): void {
  /** The members list of a view, with a notice (a box saved or refused without scripts). */
  const listPage = async (req: FastifyRequest, q: Query, notice?: (members: Row[], viewer: Viewer) => Promise<Html | undefined>, refused?: { memberId: string; message: string }) => {
    const scope = viewerOf(req).memberScope;
    const { viewer, account, data } = await accountViewerWith(app, req, (req.params as { id: string }).id, 'members', 'members', (accountId) =>
      Promise.all([app.members.page(accountId, { ...viewQuery(q), list: listOf(q), limit: '50' }, scope), app.members.profileChoices(accountId, scope)]),
    );
    const [page, choices] = data;
    return membersPage(viewer, q, page, account.seats, choices, await notice?.(page.members, viewer), refused);
  };

  server.get<{ Params: { id: string }; Querystring: Query }>('/accounts/:id/members', CONSOLE, async (req, reply) => {
    // An employee's view of the members is their own record.
    if (viewerOf(req).role === 'employee') return seeOther(reply, '/me');
    const saved = req.query.saved;
    const notice = saved
      ? async (members: Row[], viewer: Viewer) => {
          // Only an admin saves a box (and sees every member): anyone else reads no notice, so no name leaks.
          if (!UUID.test(saved) || !canChange(viewer)) return undefined;
          const m = members.find((x) => x.id === saved) ?? (await app.members.page(viewer.account!.id, { list: 'all' }, [saved])).members[0];
          return m ? alert('ok', `Saved: ${m.name} is ${m.active ? 'Active' : 'not Active'}.`) : undefined;
        }
      : undefined;
    return sendHtml(reply, await listPage(req, req.query, notice));
  });

  // The box's form carries its list's view in its URL (or back=member on a member's own page).
  server.post<{ Params: { id: string; memberId: string }; Querystring: Query; Body: Query }>('/accounts/:id/members/:memberId/active', CONSOLE, async (req, reply) => {
    const { viewer, account } = await accountViewer(app, req, req.params.id, 'members', 'members');
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, 'change members');
    const memberId = requireId('member', req.params.memberId);
    const active = req.body?.active === 'true';
    const onList = req.query.back !== 'member';
    const view = onList ? viewQuery(req.query, { list: listOf(req.query) }) : undefined;
    let refusal: string | undefined;
    let status = 200;
    try {
      await app.members.setActive(account.id, memberId, active, actorOf(viewer.principal), req.body?.reason);
    } catch (err) {
      if (!(err instanceof AppError) || (!isHtmx(req) && !onList)) throw err;
      ({ status } = httpError(err));
      refusal = err.message;
    }
    if (!isHtmx(req) && !onList) return seeOther(reply, `/accounts/${account.id}/members/${memberId}?saved=1`);
    // Without scripts: back to the same list (filters, sort, page), saying what was saved.
    if (!isHtmx(req) && refusal === undefined) return seeOther(reply, `${href(`/accounts/${account.id}/members`, { ...view, saved: memberId })}#member-${memberId}`);
    const [row] = (await app.members.page(account.id, { list: 'all', q: undefined }, [memberId])).members;
    if (!isHtmx(req)) {
      // A refusal without scripts: the same list again, with why at the top and in the member's row.
      const words = sentence(`${row!.name} was not ${active ? 'made Active' : 'unchecked'}: ${refusal!}`);
      return sendHtml(reply, await listPage(req, view!, async () => alert('error', words), { memberId, message: refusal! }), status);
    }
    const cell = activeCell(viewer, account.id, row!, view, refusal);
    if (!view) return sendHtml(reply, cell, status);
    // The list's badges follow the change, out of band: the view's counts and the account's seats.
    const [counts, after] = await Promise.all([app.members.page(account.id, { ...view, cursor: undefined, limit: '1' }, viewer.principal.memberScope), app.accounts.get(account.id)]);
    return sendHtml(reply, html`${cell}${countBadges(counts, after.seats, true)}`, status);
  });

  // The ticked rows arrive as one memberIds field per row.
  server.post<{ Params: { id: string }; Body: Query & { memberIds?: string | string[] } }>('/accounts/:id/members/bulk', { ...CONSOLE, schema: { body: formBodySchema(['memberIds']) } }, async (req, reply) => {
    const { viewer, account } = await accountViewer(app, req, req.params.id, 'members', 'members');
    assertCanChange(viewer.principal, account.id, `account ${account.id}`, 'change members');
    const body = req.body ?? {};
    if (body.active !== 'true' && body.active !== 'false') throw new InputError('choose Check or Uncheck');
    const view: Query = Object.fromEntries(VIEW_KEYS.filter((k) => k !== 'cursor').map((k) => [k, body[`view_${k}`] || undefined]));
    const back = href(`/accounts/${account.id}/members`, view);
    const active = body.active === 'true';
    const ids = body.memberIds === undefined ? [] : [body.memberIds].flat();
    if (body.scope !== 'matching' && ids.length === 0) {
      // The same list again with why at the top, as a refused box shows it: not a bare error page.
      return sendHtml(reply, await listPage(req, view, async () => alert('error', 'Nothing was changed: tick some rows first, or choose "all members matching this view".')), 400);
    }
    const { sort: _sort, order: _order, ...filter } = view;
    const input = body.scope === 'matching' ? { active, filter: Object.fromEntries(Object.entries(filter).filter(([, val]) => val !== undefined)) as Record<string, string>, reason: body.reason } : { active, memberIds: ids, reason: body.reason };
    // Unchecking every member a view matches is asked first: who and how many, then the same form, confirmed.
    if (body.scope === 'matching' && !active && body.confirm !== 'yes') {
      const found = await app.members.page(account.id, { ...filter, limit: '20' }, viewer.principal.memberScope);
      return sendHtml(reply, confirmBulkPage(viewer, body, view, { total: found.total, activeCount: found.activeCount, names: found.members.map((m) => m.name) }, back));
    }
    const result = await app.members.bulkSetActive(account.id, input, actorOf(viewer.principal));
    const names = new Map<string, string>();
    if (result.refused.length > 0) {
      const refusedIds = result.refused.map((r) => r.memberId).filter((id) => /^[0-9a-f-]{36}$/i.test(id));
      for (const m of (await app.members.page(account.id, { list: 'all', limit: '500' }, refusedIds.slice(0, 500))).members) names.set(m.id, m.name);
    }
    return sendHtml(reply, bulkPage(viewer, result, names, back, active));
  });
}

