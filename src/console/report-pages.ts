import { clientKey } from '../domain/person-scope.js';
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../access/principal.js';
import type { App } from '../app.js';
import { ForbiddenError, InputError } from '../core/errors.js';
import { addDays, localDay, MAX_RANGE_DAYS, NO_CLIENT } from '../domain/rating-query.js';
import type { RatingGroup, RatingPage, RatingSummary } from '../domain/ratings.js';
import { html, type Html } from './html.js';
import { alert, layout, type Viewer } from './layout.js';
import { barsSection, dayWords, figuresList, ratingsTable, trendSection } from './report-parts.js';
import { csvHref, filterInput, parseReportView, REPORT_DEFAULT_DAYS, trendInterval, viewHref, viewProblems, type ReportView } from './report-view.js';
import { CONSOLE, sendHtml, viewerOf } from './reply.js';
import { accountViewer } from './viewer.js';

/** Ratings listed per page under the figures. */
const LIST_LIMIT = 25;

interface Choice {
  value: string;
  label: string;
  count: number | null;
}

interface Report {
  engineers: RatingSummary;
  trend: RatingSummary;
  clients: RatingSummary | null;
  list: RatingPage;
}

const GROUP_WORDS: [string, string][] = [
  ['member', 'Engineer'],
  ['client', 'Client'],
  ['day', 'Day'],
  ['week', 'Week'],
];

/** One picker (engineers or clients): "only the checked" or "all but the checked", and a box per choice. */
function picker(name: 'member' | 'client', legend: string, plural: string, choices: readonly Choice[], checked: readonly string[], except: boolean): Html {
  // Clients compare in one form (clientKey), as the API filters them: a typed "acme" ticks "Acme".
  const keyOf = name === 'client' ? clientKey : (v: string) => v;
  const on = new Set(checked.map(keyOf));
  return html`<fieldset class="picker"><legend>${legend}</legend>
<div class="modes">
<label><input type="radio" name="${name}Mode" value="only" ${except ? '' : 'checked'}> Only the checked</label>
<label><input type="radio" name="${name}Mode" value="except" ${except ? 'checked' : ''}> All except the checked</label>
</div>
<div class="choices">${
    choices.length === 0
      ? html`<span class="muted">No ${plural} with ratings in this range.</span>`
      : choices.map((c) => html`<label><input type="checkbox" name="${name}" value="${c.value}" ${on.has(keyOf(c.value)) ? 'checked' : ''}> ${c.label}${c.count === null ? '' : html`<span class="count">${c.count}</span>`}</label>`)
  }</div>
<p class="hint muted">None checked: every ${plural.replace(/s$/, '')}.</p>
</fieldset>`;
}

function filterForm(accountId: string, v: ReportView, engineers: readonly Choice[], clients: readonly Choice[]): Html {
  return html`<form class="card report-filters" method="get" action="/accounts/${accountId}/reports" aria-label="Report filters">
<div>
<div class="dates">
<div><label for="from">From</label><input type="date" id="from" name="from" value="${v.from}" required></div>
<div><label for="to">To</label><input type="date" id="to" name="to" value="${v.to}" required></div>
</div>
<label for="groupBy">Break down by</label>
<select id="groupBy" name="groupBy">${GROUP_WORDS.map(([value, words]) => html`<option value="${value}" ${v.groupBy === value ? 'selected' : ''}>${words}</option>`)}</select>
</div>
${picker('member', 'Engineers', 'engineers', engineers, v.members, v.membersExcept)}
${picker('client', 'Clients', 'clients', clients, v.clients, v.clientsExcept)}
<div class="actions"><button type="submit">Show report</button> <a href="/accounts/${accountId}/reports">Back to the last ${REPORT_DEFAULT_DAYS} days, everyone</a></div>
</form>`;
}

/** The view in words, names as the pickers show them. */
function viewWords(v: ReportView, engineers: readonly Choice[], timeZone: string, p: Principal): Html {
  const names = (values: readonly string[], choices: readonly Choice[]) => values.map((x) => choices.find((c) => c.value === x)?.label ?? x).join(', ');
  const part = (what: string, values: readonly string[], except: boolean, shown: string) => (values.length === 0 ? `all ${what}` : except ? `all ${what} except ${shown}` : `only ${shown}`);
  const narrowed = p.role === 'account_manager' && (p.memberScope !== null || (p.clientScope ?? null) !== null);
  return html`<p class="view-words">${dayWords(v.from)} to ${dayWords(v.to)} <span class="muted">(days in ${timeZone})</span> · engineers: ${part('engineers', v.members, v.membersExcept, names(v.members, engineers))} · clients: ${part('clients', v.clients, v.clientsExcept, v.clients.join(', ')).replace(/\.$/, '')}.${
    narrowed ? html` <span class="muted">An admin has narrowed your view to chosen engineers or clients; every figure counts only those.</span>` : ''
  }</p>`;
}

function reportPage(v: Viewer, view: ReportView, timeZone: string, engineers: Choice[], clients: Choice[], report: Report | null, problem?: string): Html {
  const accountId = v.account!.id;
  const interval = trendInterval(view);
  const range = `${dayWords(view.from)} to ${dayWords(view.to)}`;
  const memberLink = (g: RatingGroup) => `/accounts/${accountId}/members/${g.key}`;
  const body = report
    ? html`${viewWords(view, engineers, timeZone, v.principal)}
${figuresList(report.engineers.overall)}
<h2 id="trend">Trend per ${interval}</h2>
${trendSection('trend-chart', `Average rating and number of ratings per ${interval}, ${range}`, report.trend.groups, interval)}
<h2 id="engineers">Per engineer</h2>
${barsSection('engineer-chart', `Average rating per engineer, ${range}`, 'engineer', report.engineers.groups, memberLink)}
${report.clients ? html`<h2 id="clients">Per client</h2>${barsSection('client-chart', `Average rating per client, ${range}`, 'client', report.clients.groups)}` : ''}
<h2 id="ratings">The ratings</h2>
<p class="row spread"><span class="muted">Newest first, in the account's time zone (${timeZone}).</span> <a class="button secondary" href="${csvHref(accountId, view)}" download>Download these ratings as CSV</a></p>
${ratingsTable(report.list.ratings, timeZone, { engineer: true, caption: `Ratings from ${range}, newest first` })}
<nav class="pager" aria-label="Pages of ratings">${view.cursor ? html`<a href="${viewHref(accountId, view, { cursor: undefined })}#ratings">Newest</a>` : ''}${report.list.nextCursor ? html`<a href="${viewHref(accountId, view, { cursor: report.list.nextCursor })}#ratings">Older</a>` : ''}</nav>`
    : '';
  return layout(v, 'Ratings report', html`${problem ? alert('error', problem) : ''}${filterForm(accountId, view, engineers, clients)}${body}`);
}

/**
 * Ratings reports (product.md §12): figures, a trend, a bar per engineer (and per client), and the
 * ratings behind them, for admins, account managers and support. Every read goes through the
 * ratings service with the viewer, so a narrowed manager's hidden engineers and clients are absent
 * from every figure, chart, picker, list and export; an employee reads their own on /me.
 */
export function registerReportPages(server: FastifyInstance, app: App): void {
  server.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>('/accounts/:id/reports', CONSOLE, async (req, reply) => {
    if (viewerOf(req).role === 'employee') throw new ForbiddenError('an employee sees only their own ratings, on My record');
    const { viewer, account } = await accountViewer(app, req, req.params.id, 'reports', 'survey');
    const p = viewer.principal;
    const today = localDay(app.clock.now(), account.timezone);
    const view = parseReportView(req.query, today);
    const input = filterInput(view);
    // Both pickers count the ratings of the chosen range, each for every engineer or client (never
    // narrowed by the pickers' own boxes), so a count says what checking that box would select.
    const engineerChoices = async (from: string, to: string): Promise<Choice[]> => {
      const rated = (await app.ratings.summary(account.id, { from, to, groupBy: 'member' }, p)).groups.map((g) => ({ value: g.key, label: g.label, count: g.count }));
      const missing = view.members.filter((id) => !rated.some((c) => c.value === id));
      // A checked engineer not rated in this range stays listed (by name when the caller may see them), so it can be unchecked.
      const named = missing.length === 0 ? [] : (await app.ratings.summary(account.id, { from: addDays(to, -(MAX_RANGE_DAYS - 1)), to, groupBy: 'member', members: missing.join(',') }, p).catch(() => null))?.groups ?? [];
      const others = missing.map((id) => ({ value: id, label: named.find((g) => g.key === id)?.label ?? `engineer ${id}`, count: 0 }));
      return [...rated, ...others].sort((a, b) => a.label.localeCompare(b.label, 'en', { sensitivity: 'base' }));
    };
    // Clients: those rated in the range ("(no client)" for ratings naming none, a choice like any
    // other), then checked ones not rated in it (typed, or rated outside the range), last.
    const clientChoices = async (from: string, to: string): Promise<Choice[]> => {
      const rated = (await app.ratings.summary(account.id, { from, to, groupBy: 'client' }, p)).groups
        .map((g) => ({ value: g.key === '' ? NO_CLIENT : g.key, label: g.key === '' ? NO_CLIENT : g.label, count: g.count }))
        .sort((a, b) => Number(a.value === NO_CLIENT) - Number(b.value === NO_CLIENT) || a.label.localeCompare(b.label, 'en', { sensitivity: 'base' }));
      const checked = view.clients.filter((n) => !rated.some((c) => clientKey(c.value) === clientKey(n))).map((n) => ({ value: n, label: n, count: 0 }));
      return [...rated, ...checked];
    };
    const pickers = (from: string, to: string) => Promise.all([engineerChoices(from, to), clientChoices(from, to)]);
    try {
      const problems = viewProblems(req.query);
      if (problems.length > 0) throw new InputError(problems.join('; '));
      const [engineers, trend, clients, list, [engineerBoxes, clientBoxes]] = await Promise.all([
        app.ratings.summary(account.id, { ...input, groupBy: 'member' }, p),
        app.ratings.summary(account.id, { ...input, groupBy: trendInterval(view) }, p),
        view.groupBy === 'client' ? app.ratings.summary(account.id, { ...input, groupBy: 'client' }, p) : null,
        app.ratings.page(account.id, { ...input, limit: String(LIST_LIMIT), cursor: view.cursor }, p),
        pickers(view.from, view.to),
      ]);
      return sendHtml(reply, reportPage(viewer, view, account.timezone, engineerBoxes, clientBoxes, { engineers, trend, clients, list }));
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      // A range the service refuses (from after to, too long): the form again, saying why.
      const [engineerBoxes, clientBoxes] = await pickers(addDays(today, -(REPORT_DEFAULT_DAYS - 1)), today);
      return sendHtml(reply, reportPage(viewer, view, account.timezone, engineerBoxes, clientBoxes, null, err.message), 400);
    }
  });
}
