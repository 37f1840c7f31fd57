import type { RatingFigures, RatingGroup, RatingView } from '../domain/ratings.js';
import { barChart, BARS_NARROW, chartLegend, trendChart, TREND_NARROW, type BarItem, type TrendPoint } from './charts.js';
import { html, type Html } from './html.js';

/**
 * Fragments the ratings pages share (the reports page and an employee's /me): the figures, a chart
 * with its table beside it, and the list of individual ratings. Pure: data in, markup out.
 */

const dayFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A local day `YYYY-MM-DD` as a person reads it: "5 Jan 2026". */
export const dayWords = (day: string): string => dayFormat.format(new Date(`${day}T00:00:00Z`));

/** An instant in the account's time zone: "5 Jan 2026, 10:00". */
export function localTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone }).format(new Date(iso));
}

export const averageText = (a: number | null): string => (a === null ? '—' : a.toFixed(2));
export const shareText = (s: number | null): string => (s === null ? '—' : `${Math.round(s * 100)}%`);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The three figures of a selection: count, average, positive share (with the sentiments when known). */
export function figuresList(f: RatingFigures & { positive?: number; neutral?: number; negative?: number }, label = 'Ratings'): Html {
  const mix = f.positive !== undefined && f.count > 0 ? html`<span class="muted">${f.positive} positive · ${f.neutral} neutral · ${f.negative} negative</span>` : '';
  return html`<dl class="figures">
<div class="figure"><dt>${label}</dt><dd>${f.count}</dd></div>
<div class="figure"><dt>Average rating</dt><dd>${averageText(f.average)}${f.average === null ? '' : html` <span class="muted">of 10</span>`}</dd></div>
<div class="figure"><dt>Positive share (7–10)</dt><dd>${shareText(f.positiveShare)} ${mix}</dd></div>
</dl>`;
}

/** A period of a trend as a person names it. */
export const periodWords = (g: Pick<RatingGroup, 'key'>, interval: 'day' | 'week'): string => (interval === 'week' ? `Week of ${dayWords(g.key)}` : dayWords(g.key));

/**
 * A chart drawn twice, for a wide screen and for a phone (the stylesheet shows one: an SVG scaled
 * to a phone's width would shrink its words below reading size).
 */
const sized = (wide: Html, narrow: Html): Html => html`<div class="chart-wide">${wide}</div><div class="chart-narrow">${narrow}</div>`;

/**
 * The trend chart with its table beside it. Weeks are all listed; days only those with ratings (a
 * 90-day table of mostly zeros reads worse than the caption saying so).
 */
export function trendSection(id: string, title: string, groups: readonly RatingGroup[], interval: 'day' | 'week'): Html {
  const points: TrendPoint[] = groups.map((g) => ({ start: g.key, label: periodWords(g, interval), count: g.count, average: g.average }));
  const rows = interval === 'day' ? groups.filter((g) => g.count > 0) : groups;
  const caption = interval === 'day' ? `${title}: the days with ratings (the others had none)` : title;
  return html`<div class="chart-row">
<figure class="chart-box">${sized(trendChart({ id, title, interval, points }), trendChart({ id: `${id}-narrow`, title, interval, points }, TREND_NARROW))}${points.some((p) => p.count > 0) ? chartLegend('trend') : ''}</figure>
<div class="table-wrap" tabindex="0" role="region" aria-label="${caption}"><table>
<caption class="visually-hidden">${caption}</caption>
<thead><tr><th scope="col">${interval === 'week' ? 'Week' : 'Day'}</th><th scope="col" class="num">Ratings</th><th scope="col" class="num">Average</th><th scope="col" class="num">Positive</th></tr></thead>
<tbody>${
    rows.length === 0
      ? html`<tr><td colspan="4" class="muted">No ratings in this range.</td></tr>`
      : rows.map((g) => html`<tr><th scope="row">${periodWords(g, interval)}</th><td class="num">${g.count}</td><td class="num">${averageText(g.average)}</td><td class="num">${shareText(g.positiveShare)}</td></tr>`)
  }</tbody></table></div>
</div>`;
}

/** How many bars a chart draws at most (those with the most ratings); the table lists every one. */
export const MAX_BARS = 30;

/** Highest average first (then most ratings, then name): the order of both the bars and the table. */
export function byAverage(groups: readonly RatingGroup[]): RatingGroup[] {
  return [...groups].sort((a, b) => (b.average ?? -1) - (a.average ?? -1) || b.count - a.count || a.label.localeCompare(b.label, 'en', { sensitivity: 'base' }));
}

/** Bars (one per engineer or client) with the table beside them; `link` names an engineer's page. */
export function barsSection(id: string, title: string, noun: string, groups: readonly RatingGroup[], link?: (g: RatingGroup) => string): Html {
  const ordered = byAverage(groups);
  const drawn = new Set([...ordered].sort((a, b) => b.count - a.count).slice(0, MAX_BARS).map((g) => g.key));
  const items: BarItem[] = ordered.filter((g) => drawn.has(g.key)).map((g) => ({ key: g.key, label: g.label, count: g.count, average: g.average }));
  const omitted = ordered.length - items.length;
  const head = noun.charAt(0).toUpperCase() + noun.slice(1);
  return html`<div class="chart-row">
<figure class="chart-box">${sized(barChart({ id, title, noun, items, omitted }), barChart({ id: `${id}-narrow`, title, noun, items, omitted }, BARS_NARROW))}${items.length > 0 ? chartLegend('bars') : ''}
${omitted > 0 ? html`<figcaption class="chart-note">The chart shows the ${items.length} ${noun}s with the most ratings; the table beside it lists all ${ordered.length}.</figcaption>` : ''}</figure>
<div class="table-wrap" tabindex="0" role="region" aria-label="${title}"><table>
<caption class="visually-hidden">${title}</caption>
<thead><tr><th scope="col">${head}</th><th scope="col" class="num">Ratings</th><th scope="col" class="num">Average</th><th scope="col" class="num">Positive</th></tr></thead>
<tbody>${
    ordered.length === 0
      ? html`<tr><td colspan="4" class="muted">No ratings in this range.</td></tr>`
      : ordered.map((g) => html`<tr><th scope="row">${link ? html`<a href="${link(g)}">${g.label}</a>` : g.label}</th><td class="num">${g.count}</td><td class="num">${averageText(g.average)}</td><td class="num">${shareText(g.positiveShare)}</td></tr>`)
  }</tbody></table></div>
</div>`;
}

const SENTIMENT_BADGE = { positive: 'ok', neutral: '', negative: 'bad' } as const;

/** The individual ratings, newest first; `engineer` adds the engineer column (reports, not /me). */
export function ratingsTable(ratings: readonly RatingView[], timeZone: string, options: { engineer: boolean; caption: string; empty?: string }): Html {
  const cols = options.engineer ? 6 : 5;
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">${options.caption}</caption>
<thead><tr><th scope="col">When</th><th scope="col">Rating</th>${options.engineer ? html`<th scope="col">Engineer</th>` : ''}<th scope="col">Client</th><th scope="col">Ticket</th><th scope="col">Comment</th></tr></thead>
<tbody>${
    ratings.length === 0
      ? html`<tr><td colspan="${cols}" class="muted">${options.empty ?? 'No ratings in this range.'}</td></tr>`
      : ratings.map(
          (r) => html`<tr><td class="nowrap">${localTime(r.at, timeZone)}</td>
<td class="nowrap"><strong>${r.rating}</strong> <span class="badge ${SENTIMENT_BADGE[r.sentiment]}">${r.sentiment}</span></td>
${options.engineer ? html`<td>${r.memberName}</td>` : ''}<td>${r.client ?? html`<span class="muted">—</span>`}</td><td>${r.ticket ?? html`<span class="muted">—</span>`}</td><td class="comment">${r.comment ?? ''}</td></tr>`,
        )
  }</tbody></table></div>`;
}

/** "3 ratings" / "1 rating". */
export const ratingCount = (n: number): string => plural(n, 'rating');
