import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import type { EmployeeDashboard } from '../domain/ratings.js';
import { href, html, type Html } from './html.js';
import { layout, type Viewer } from './layout.js';
import { averageText, dayWords, figuresList, ratingCount, ratingsTable, shareText, trendSection } from './report-parts.js';
import { CONSOLE, seeOther, sendHtml, viewerOf } from './reply.js';

/** Ratings listed per page on the dashboard. */
const LIST_LIMIT = 25;

function mePage(v: Viewer, d: EmployeeDashboard, timeZone: string, cursor: string | undefined): Html {
  const accountId = v.account!.id;
  const first = d.trend[0]?.key ?? d.today;
  const range = `${dayWords(first)} to ${dayWords(d.today)}`;
  return layout(
    v,
    'My record',
    html`<p class="row spread"><span>${d.member.name} · <span class="muted">your ratings over the last 90 days (${range})</span></span>
<a href="/accounts/${accountId}/members/${d.member.id}">Your member record and its history</a></p>
${figuresList(d.last90Days, 'Ratings in the last 90 days')}
<p class="muted">All time: ${ratingCount(d.overall.count)}${d.overall.count > 0 ? `, average ${averageText(d.overall.average)}, ${shareText(d.overall.positiveShare)} positive` : ''}.</p>
<h2 id="trend">Your last 90 days</h2>
${trendSection('my-trend', `Your average rating and number of ratings per day, ${range}`, d.trend, 'day')}
<h2 id="ratings">Your ratings</h2>
<p class="muted">Newest first, in your account's time zone (${timeZone}).</p>
${ratingsTable(d.ratings, timeZone, { engineer: false, caption: 'Your ratings, newest first', empty: 'No ratings yet.' })}
<nav class="pager" aria-label="Pages of ratings">${cursor ? html`<a href="/me#ratings">Newest</a>` : ''}${d.nextCursor ? html`<a href="${href('/me', { cursor: d.nextCursor })}#ratings">Older</a>` : ''}</nav>`,
  );
}

/**
 * An employee's dashboard (`/me`, product.md §12): their own count, average and positive share,
 * the 90-day trend (chart and table) and their ratings with client, ticket and comment, newest
 * first, in pages. Others are sent to their landing page.
 */
export function registerMePages(server: FastifyInstance, app: App): void {
  server.get<{ Querystring: { cursor?: string } }>('/me', CONSOLE, async (req, reply) => {
    const p = viewerOf(req);
    if (p.role !== 'employee') return seeOther(reply, '/');
    // The dashboard checks that the caller reads this member; of the account the page shows only its name and time zone.
    const dashboard = await app.ratings.dashboard(p.accountId!, p, { limit: String(LIST_LIMIT), cursor: req.query.cursor || undefined });
    const { id, name, timezone } = await app.accounts.get(p.accountId!);
    return sendHtml(reply, mePage({ principal: p, account: { id, name, timeZone: timezone }, section: 'me' }, dashboard, timezone, req.query.cursor));
  });
}
