import { scaleBand, scaleLinear, scaleUtc } from 'd3-scale';
import { line } from 'd3-shape';
import { html, type Html } from './html.js';

/**
 * The ratings charts (product.md §12): pure functions from figures to server-rendered SVG, so they
 * read without scripts and under `script-src 'self'`. d3-scale and d3-shape do the geometry; colours
 * and type come from classes in the console's stylesheet (no style attributes: the CSP forbids
 * them). Every chart is `role="img"`, named by its `<title>` and described by a `<desc>` that
 * states what a sighted reader takes from it; the page puts the same numbers in a table beside it.
 */

/** One period of a trend: its first day (`YYYY-MM-DD`), how a person names it, and its figures. */
export interface TrendPoint {
  start: string;
  label: string;
  count: number;
  average: number | null;
}

export interface TrendInput {
  /** Prefix of the element ids (unique on the page). */
  id: string;
  title: string;
  interval: 'day' | 'week';
  points: readonly TrendPoint[];
}

/** One bar: an engineer or a client and its figures. */
export interface BarItem {
  key: string;
  label: string;
  count: number;
  average: number | null;
}

export interface BarInput {
  id: string;
  title: string;
  /** What a bar stands for, in words: "engineer", "client". */
  noun: string;
  items: readonly BarItem[];
  /** How many more the table lists than the chart draws (they are said in the description). */
  omitted?: number;
}

/** Shown instead of a chart when the range holds no rating. */
export const NO_RATINGS = 'No ratings in this range.';

/** The rating from which a rating counts as positive (product.md §12). */
const POSITIVE_FROM = 7;
const DAY_MS = 86_400_000;

const r1 = (n: number): number => Math.round(n * 10) / 10;
const avg = (n: number): string => n.toFixed(2);
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);
const shortDay = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const longDay = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** "Good", "fair" or "poor" band of an average, as bars are coloured (the same bands as one rating). */
export function band(average: number): 'positive' | 'neutral' | 'negative' {
  return average >= POSITIVE_FROM ? 'positive' : average >= 4 ? 'neutral' : 'negative';
}

/** The SVG shell: `role="img"`, named and described by its own title and desc. */
function svg(id: string, width: number, height: number, title: string, desc: string, body: Html): Html {
  return html`<svg class="chart" id="${id}" role="img" aria-labelledby="${id}-title ${id}-desc" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">
<title id="${id}-title">${title}</title>
<desc id="${id}-desc">${desc}</desc>
${body}
</svg>`;
}

const empty = (id: string): Html => html`<p class="chart-empty" id="${id}">${NO_RATINGS}</p>`;

// ---- Trend: average per period (line) above the number of ratings per period (columns) ----

/** Where a trend's parts sit, in SVG units; `maxTicks`: most labels under the time axis. */
export interface TrendLayout {
  width: number;
  height: number;
  left: number;
  right: number;
  avgTop: number;
  avgBottom: number;
  countTop: number;
  countBottom: number;
  maxTicks: number;
}

/** The trend as drawn beside its table on a wide screen. */
export const TREND: TrendLayout = { width: 640, height: 312, left: 44, right: 24, avgTop: 34, avgBottom: 196, countTop: 230, countBottom: 282, maxTicks: 10 };
/** The trend on a phone: drawn for its width (about 360 CSS pixels), so its words keep their size. */
export const TREND_NARROW: TrendLayout = { width: 360, height: 300, left: 30, right: 12, avgTop: 30, avgBottom: 180, countTop: 218, countBottom: 268, maxTicks: 4 };

/** Where each period of a trend is drawn: the geometry of `trendChart`, for the chart and its tests. */
export function trendGeometry(input: TrendInput, layout: TrendLayout = TREND) {
  const t = layout;
  const days = input.interval === 'week' ? 7 : 1;
  const first = dayMs(input.points[0]?.start ?? '1970-01-01');
  const end = dayMs(input.points[input.points.length - 1]?.start ?? '1970-01-01') + days * DAY_MS;
  const x = scaleUtc().domain([new Date(first), new Date(end)]).range([t.left, t.width - t.right]);
  const y = scaleLinear().domain([0, 10]).range([t.avgBottom, t.avgTop]);
  const maxCount = Math.max(1, ...input.points.map((p) => p.count));
  const yCount = scaleLinear().domain([0, maxCount]).nice(3).range([t.countBottom, t.countTop]);
  const points = input.points.map((p) => {
    const start = dayMs(p.start);
    const x0 = x(new Date(start));
    const x1 = x(new Date(start + days * DAY_MS));
    return { ...p, x: r1((x0 + x1) / 2), y: p.average === null ? null : r1(y(p.average)), barX: r1(x0 + (x1 - x0) * 0.15), barWidth: r1(Math.max(1, (x1 - x0) * 0.7)), barY: r1(yCount(p.count)), barHeight: r1(t.countBottom - yCount(p.count)) };
  });
  // Whole days inside the range only, thinned so that labels never crowd. A day's label sits under
  // its middle when days are drawn (as its dot and column do); a week's under the day it names.
  let ticks = x.ticks(8).filter((d) => d.getTime() % DAY_MS === 0 && d.getTime() < end);
  while (ticks.length > t.maxTicks) ticks = ticks.filter((_, i) => i % 2 === 0);
  const shift = days === 1 ? DAY_MS / 2 : 0;
  const tickLabels = ticks.map((d, i) => ({ x: r1(x(new Date(d.getTime() + shift))), label: i === 0 || d.getUTCFullYear() !== ticks[i - 1]!.getUTCFullYear() ? longDay.format(d) : shortDay.format(d) }));
  return { x, y, yCount, points, ticks: tickLabels, countTicks: [0, yCount.domain()[1]!] };
}

function trendDescription(input: TrendInput): string {
  const per = input.interval === 'week' ? 'week' : 'day';
  const rated = input.points.filter((p) => p.count > 0 && p.average !== null);
  const total = input.points.reduce((n, p) => n + p.count, 0);
  const first = input.points[0]!;
  const last = input.points[input.points.length - 1]!;
  const high = rated.reduce((a, b) => (b.average! > a.average! ? b : a));
  const low = rated.reduce((a, b) => (b.average! < a.average! ? b : a));
  const busiest = rated.reduce((a, b) => (b.count > a.count ? b : a));
  return (
    `Average rating (0 to 10) and number of ratings per ${per}, from ${first.label} to ${last.label}: ${plural(total, 'rating')} in ${plural(rated.length, per)} with ratings. ` +
    `Highest average ${avg(high.average!)} (${high.label}), lowest ${avg(low.average!)} (${low.label}); most ratings in ${busiest.label} (${busiest.count}). ` +
    `The dashed line marks 7, where positive ratings start. The same figures are in the table beside the chart.`
  );
}

/**
 * A trend: the average per day or week as a line with a dot per period, and the count per period
 * as columns below. Its legend is the page's (`chartLegend`), so it can wrap on a narrow screen.
 */
export function trendChart(input: TrendInput, layout: TrendLayout = TREND): Html {
  if (!input.points.some((p) => p.count > 0)) return empty(input.id);
  const t = layout;
  const g = trendGeometry(input, layout);
  const per = input.interval === 'week' ? 'week' : 'day';
  const rated = g.points.filter((p) => p.y !== null);
  const path = line<(typeof rated)[number]>()
    .x((p) => p.x)
    .y((p) => p.y!)(rated);
  const yPositive = r1(g.y(POSITIVE_FROM));
  const body = html`<g class="grid">${[0, 2, 4, 6, 8, 10].map((v) => html`<line x1="${t.left}" x2="${t.width - t.right}" y1="${r1(g.y(v))}" y2="${r1(g.y(v))}"></line>`)}</g>
<g class="axis y-axis">${[0, 2, 4, 6, 8, 10].map((v) => html`<text x="${t.left - 8}" y="${r1(g.y(v)) + 4}" text-anchor="end">${v}</text>`)}</g>
<text class="chart-label" x="${t.left}" y="${t.avgTop - 14}">Average rating (0–10) per ${per}</text>
<line class="threshold" x1="${t.left}" x2="${t.width - t.right}" y1="${yPositive}" y2="${yPositive}"></line>
${path ? html`<path class="trend-line" d="${path}"></path>` : ''}
<g class="trend-points">${rated.map((p) => html`<circle cx="${p.x}" cy="${p.y!}" r="3.5"><title>${p.label}: average ${avg(p.average!)} from ${plural(p.count, 'rating')}</title></circle>`)}</g>
<text class="chart-label" x="${t.left}" y="${t.countTop - 10}">Ratings per ${per}</text>
<g class="grid">${g.countTicks.map((v) => html`<line x1="${t.left}" x2="${t.width - t.right}" y1="${r1(g.yCount(v))}" y2="${r1(g.yCount(v))}"></line>`)}</g>
<g class="axis y-axis">${g.countTicks.map((v) => html`<text x="${t.left - 8}" y="${r1(g.yCount(v)) + 4}" text-anchor="end">${v}</text>`)}</g>
<g class="count-bars">${g.points.filter((p) => p.count > 0).map((p) => html`<rect x="${p.barX}" y="${p.barY}" width="${p.barWidth}" height="${p.barHeight}"><title>${p.label}: ${plural(p.count, 'rating')}</title></rect>`)}</g>
<line class="axis-line" x1="${t.left}" x2="${t.width - t.right}" y1="${t.countBottom}" y2="${t.countBottom}"></line>
<g class="axis x-axis">${g.ticks.map((k) => html`<line x1="${k.x}" x2="${k.x}" y1="${t.countBottom}" y2="${t.countBottom + 5}"></line><text x="${k.x}" y="${t.countBottom + 20}" text-anchor="middle">${k.label}</text>`)}</g>`;
  return svg(input.id, t.width, t.height, input.title, trendDescription(input), body);
}

// ---- Bars: one per engineer (or client), its average on a 0–10 scale ----

/**
 * Where a bar chart's parts sit, in SVG units. `stacked`: each name on its own line above its bar
 * (a phone), else beside it in a column `left` wide; `labelChars`: longest name drawn whole.
 */
export interface BarLayout {
  width: number;
  left: number;
  right: number;
  top: number;
  row: number;
  bottom: number;
  labelChars: number;
  stacked: boolean;
}

/** The bars as drawn beside their table on a wide screen. */
export const BARS: BarLayout = { width: 640, left: 170, right: 136, top: 34, row: 30, bottom: 34, labelChars: 22, stacked: false };
/** The bars on a phone: names above the bars, drawn for its width so the words keep their size. */
export const BARS_NARROW: BarLayout = { width: 360, left: 8, right: 122, top: 30, row: 44, bottom: 34, labelChars: 42, stacked: true };

/** Where each bar is drawn: the geometry of `barChart`, for the chart and its tests. */
export function barGeometry(input: BarInput, layout: BarLayout = BARS) {
  const b = layout;
  const items = input.items.filter((i) => i.average !== null && i.count > 0);
  const height = b.top + items.length * b.row + b.bottom;
  const x = scaleLinear().domain([0, 10]).range([b.left, b.width - b.right]);
  const y = scaleBand<string>()
    .domain(items.map((i) => i.key))
    .range([b.top, b.top + items.length * b.row])
    .paddingInner(0.3)
    .paddingOuter(0.15);
  // Stacked, the name takes the top of a row and the bar the rest.
  const nameLine = b.stacked ? 16 : 0;
  const bars = items.map((i) => ({
    ...i,
    band: band(i.average!),
    x: b.left,
    y: r1(y(i.key)! + nameLine),
    width: r1(x(i.average!) - b.left),
    height: r1(y.bandwidth() - nameLine),
    name: [...i.label].length > b.labelChars ? `${[...i.label].slice(0, b.labelChars - 1).join('')}…` : i.label,
  }));
  return { x, y, height, bars };
}

function barDescription(input: BarInput, bars: ReturnType<typeof barGeometry>['bars']): string {
  const high = bars.reduce((a, c) => (c.average! > a.average! ? c : a));
  const low = bars.reduce((a, c) => (c.average! < a.average! ? c : a));
  const more = input.omitted ? ` The chart shows the ${plural(bars.length, input.noun)} with the most ratings; the table lists ${input.omitted} more.` : '';
  return (
    `Average rating (0 to 10) of ${plural(bars.length, input.noun)}. Highest ${high.label}: ${avg(high.average!)} from ${plural(high.count, 'rating')}; ` +
    `lowest ${low.label}: ${avg(low.average!)} from ${plural(low.count, 'rating')}.${more} Bars of 7 or more are positive, 4 to under 7 neutral, under 4 negative; the dashed line marks 7. The same figures are in the table beside the chart.`
  );
}

/**
 * Horizontal bars: one per item, its length the average rating, coloured by band, labelled with
 * average and count. The colours' legend is the page's (`chartLegend`), so it wraps instead of
 * overlapping whatever the font.
 */
export function barChart(input: BarInput, layout: BarLayout = BARS): Html {
  const b = layout;
  const g = barGeometry(input, layout);
  if (g.bars.length === 0) return empty(input.id);
  const bottom = g.height - b.bottom;
  const xPositive = r1(g.x(POSITIVE_FROM));
  const body = html`<text class="chart-label" x="${b.stacked ? b.left : 8}" y="16">Average rating (0–10)</text>
<g class="grid">${g.x.ticks(5).map((v) => html`<line x1="${r1(g.x(v))}" x2="${r1(g.x(v))}" y1="${b.top - 6}" y2="${bottom}"></line>`)}</g>
<line class="threshold" x1="${xPositive}" x2="${xPositive}" y1="${b.top - 6}" y2="${bottom}"></line>
${g.bars.map(
  (c) => html`<g class="bar"><title>${c.label}: average ${avg(c.average!)} from ${plural(c.count, 'rating')}</title>
${b.stacked ? html`<text class="bar-name" x="${b.left}" y="${r1(c.y - 5)}">${c.name}</text>` : html`<text class="bar-name" x="${b.left - 10}" y="${r1(c.y + c.height / 2 + 4)}" text-anchor="end">${c.name}</text>`}
<rect class="bar-${c.band}" x="${c.x}" y="${c.y}" width="${Math.max(c.width, 1)}" height="${c.height}"></rect>
<text class="bar-value" x="${r1(c.x + c.width + 6)}" y="${r1(c.y + c.height / 2 + 4)}">${avg(c.average!)} · ${plural(c.count, 'rating')}</text></g>`,
)}
<line class="axis-line" x1="${b.left}" x2="${b.left}" y1="${b.top - 6}" y2="${bottom}"></line>
<g class="axis x-axis">${g.x.ticks(5).map((v) => html`<text x="${r1(g.x(v))}" y="${bottom + 18}" text-anchor="middle">${v}</text>`)}</g>`;
  return svg(input.id, b.width, g.height, input.title, barDescription(input, g.bars), body);
}

/**
 * What a chart's colours and dashed line mean, as the page's own list: it wraps on a narrow screen
 * and never overlaps, whatever the font. Bars: their bands (an average of 7 or more is positive, as
 * one rating is); both charts: the line at 7.
 */
export function chartLegend(kind: 'bars' | 'trend'): Html {
  const bands = [
    ['positive', 'positive: average 7 or more'],
    ['neutral', 'neutral: 4 to under 7'],
    ['negative', 'negative: under 4'],
  ] as const;
  return html`<ul class="chart-legend">${kind === 'bars' ? bands.map(([k, words]) => html`<li><span class="swatch bar-${k}"></span>${words}</li>`) : ''}<li><span class="swatch threshold-line"></span>${kind === 'bars' ? 'dashed line: 7, where positive starts' : 'dashed line: 7, positive from here'}</li></ul>`;
}
