import { describe, expect, it } from 'vitest';
import { band, BARS, BARS_NARROW, barChart, barGeometry, chartLegend, NO_RATINGS, TREND, TREND_NARROW, trendChart, trendGeometry, type TrendPoint } from '../../src/console/charts.js';

/** The ratings charts (issue 18): pure functions from figures to accessible SVG. */

const days = (values: [string, number, number | null][]): TrendPoint[] => values.map(([start, count, average]) => ({ start, label: start, count, average }));

describe('the trend chart', () => {
  const points = days([
    ['2026-01-05', 2, 10],
    ['2026-01-06', 0, null],
    ['2026-01-07', 4, 5],
    ['2026-01-08', 1, 0],
  ]);
  const input = { id: 't', title: 'Average per day', interval: 'day' as const, points };

  it('maps each day to its place: time across (mid-day), the average 0–10 up the upper panel, the count in the lower one', () => {
    const g = trendGeometry(input);
    const width = TREND.width - TREND.right - TREND.left;
    // Four days across the plot: day i is centred at (i + ½) quarters.
    expect(g.points.map((p) => p.x)).toEqual([0.5, 1.5, 2.5, 3.5].map((q) => Math.round((TREND.left + (q * width) / 4) * 10) / 10));
    expect(g.points.map((p) => p.y)).toEqual([TREND.avgTop, null, (TREND.avgTop + TREND.avgBottom) / 2, TREND.avgBottom]);
    // Counts: the busiest day (4) reaches the top of the lower panel; an empty day has no height.
    expect(g.points[2]!.barY).toBe(TREND.countTop);
    expect(g.points[2]!.barHeight).toBe(TREND.countBottom - TREND.countTop);
    expect(g.points[1]!.barHeight).toBe(0);
    expect(g.points[0]!.barHeight).toBe((TREND.countBottom - TREND.countTop) / 2);
    // A day's tick sits under that day's dot; the first carries the year; none falls past the last day.
    expect(g.ticks.map((k) => k.label)).toEqual(['5 Jan 2026', '6 Jan', '7 Jan', '8 Jan']);
    expect(g.ticks.map((k) => k.x)).toEqual(g.points.map((p) => p.x));
  });

  it('draws those points as dots joined by a line that skips days without ratings, and names and describes itself', () => {
    const svg = trendChart(input).text;
    expect(svg).toMatch(/^<svg class="chart" id="t" role="img" aria-labelledby="t-title t-desc"/);
    expect(svg).toContain('<title id="t-title">Average per day</title>');
    expect(svg).toContain('<desc id="t-desc">Average rating (0 to 10) and number of ratings per day, from 2026-01-05 to 2026-01-08: 7 ratings in 3 days with ratings. Highest average 10.00 (2026-01-05), lowest 0.00 (2026-01-08); most ratings in 2026-01-07 (4).');
    const g = trendGeometry(input);
    const dots = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((x) => [Number(x[1]), Number(x[2])]);
    expect(dots).toEqual(g.points.filter((p) => p.y !== null).map((p) => [p.x, p.y]));
    const d = /<path class="trend-line" d="([^"]+)"/.exec(svg)![1]!;
    expect(d).toBe(`M${g.points[0]!.x},${g.points[0]!.y}L${g.points[2]!.x},${g.points[2]!.y}L${g.points[3]!.x},${g.points[3]!.y}`);
    expect(svg.match(/<rect /g)).toHaveLength(3); // one column per day with ratings
    expect(svg).toContain('The dashed line marks 7, where positive ratings start.');
    expect(svg).not.toMatch(/ style=/);
  });

  it('escapes labels, and says plainly when the range holds no rating', () => {
    const svg = trendChart({ ...input, title: '<b>x</b>', points: [{ start: '2026-01-05', label: '<i>', count: 1, average: 7 }] }).text;
    expect(svg).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(svg).not.toContain('<i>');
    const empty = trendChart({ ...input, points: days([['2026-01-05', 0, null]]) }).text;
    expect(empty).toBe(`<p class="chart-empty" id="t">${NO_RATINGS}</p>`);
    expect(NO_RATINGS).toBe('No ratings in this range.');
    expect(trendChart({ ...input, points: [] }).text).toContain(NO_RATINGS);
  });
});

describe('the bar chart', () => {
  const items = [
    { key: 'a', label: 'Ann Archer', count: 3, average: 10 },
    { key: 'b', label: 'Bob Baker', count: 1, average: 5 },
    { key: 'c', label: 'Cy Cole <script>', count: 2, average: 2.5 },
    { key: 'd', label: 'Dee (no ratings)', count: 0, average: null },
  ];
  const input = { id: 'b', title: 'Average per engineer', noun: 'engineer', items };

  it('one bar per rated item, its length the average on 0–10, in the order given, coloured by band', () => {
    const g = barGeometry(input);
    const full = BARS.width - BARS.right - BARS.left;
    expect(g.bars.map((b) => [b.key, b.width, b.band])).toEqual([
      ['a', full, 'positive'],
      ['b', full / 2, 'neutral'],
      ['c', full / 4, 'negative'],
    ]);
    expect(g.bars[0]!.y).toBeLessThan(g.bars[1]!.y);
    expect(g.height).toBe(BARS.top + 3 * BARS.row + BARS.bottom);
    expect([band(7), band(6.99), band(4), band(3.99)]).toEqual(['positive', 'neutral', 'neutral', 'negative']);
  });

  it('labels each bar with its figures, escaped, and describes the highest and lowest', () => {
    const svg = barChart({ ...input, omitted: 4 }).text;
    expect(svg).toContain('role="img" aria-labelledby="b-title b-desc"');
    expect(svg).toContain('<title id="b-title">Average per engineer</title>');
    expect(svg).toContain('Highest Ann Archer: 10.00 from 3 ratings; lowest Cy Cole &lt;script&gt;: 2.50 from 2 ratings. The chart shows the 3 engineers with the most ratings; the table lists 4 more.');
    expect(svg).toContain('>10.00 · 3 ratings</text>');
    expect(svg).toContain('>5.00 · 1 rating</text>');
    expect(svg).not.toContain('<script>');
    const g = barGeometry(input);
    const rects = [...svg.matchAll(/<rect class="bar-(\w+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)"/g)].filter((x) => Number(x[3]) >= BARS.top);
    expect(rects.map((x) => [x[1], Number(x[4])])).toEqual(g.bars.map((b) => [b.band, b.width]));
  });

  it('long names are shortened in the chart (the table has them whole); no rated item says so plainly', () => {
    const long = barGeometry({ ...input, items: [{ key: 'x', label: 'Maximilian Alexander Featherstonehaugh-Smythe', count: 1, average: 8 }] });
    expect([...long.bars[0]!.name]).toHaveLength(BARS.labelChars);
    expect(long.bars[0]!.name.endsWith('…')).toBe(true);
    expect(barChart({ ...input, items: [items[3]!] }).text).toBe(`<p class="chart-empty" id="b">${NO_RATINGS}</p>`);
  });
});

describe('charts on a phone, and their legend (UX review, items 6 and 7)', () => {
  const items = [
    { key: 'a', label: 'Maximilian Alexander Featherstonehaugh-Smythe', count: 3, average: 10 },
    { key: 'b', label: 'Bob Baker', count: 1, average: 5 },
  ];
  const input = { id: 'n', title: 'Average per engineer', noun: 'engineer', items };

  it('bars drawn for a phone put each name above its bar, whole up to 42 characters, inside the chart', () => {
    const g = barGeometry(input, BARS_NARROW);
    expect(g.bars.map((b) => b.x)).toEqual([BARS_NARROW.left, BARS_NARROW.left]);
    expect(g.bars[0]!.width).toBe(BARS_NARROW.width - BARS_NARROW.right - BARS_NARROW.left);
    expect(g.bars[0]!.name).toBe(items[0]!.label.slice(0, 41) + '…');
    const svg = barChart(input, BARS_NARROW).text;
    expect(svg).toContain(`viewBox="0 0 ${BARS_NARROW.width} ${g.height}"`);
    // The name sits on its own line just above the bar, left-aligned with it.
    expect(svg).toContain(`<text class="bar-name" x="${BARS_NARROW.left}" y="${Math.round((g.bars[1]!.y - 5) * 10) / 10}">Bob Baker</text>`);
  });

  it('a trend drawn for a phone keeps at most four dates under its axis', () => {
    const weeks: TrendPoint[] = Array.from({ length: 13 }, (_, i) => ({ start: new Date(Date.UTC(2025, 9, 20) + i * 7 * 86_400_000).toISOString().slice(0, 10), label: `w${i}`, count: 1, average: 7 }));
    expect(trendGeometry({ id: 't', title: 'x', interval: 'week', points: weeks }, TREND_NARROW).ticks.length).toBeLessThanOrEqual(4);
    expect(trendGeometry({ id: 't', title: 'x', interval: 'week', points: weeks }).ticks.length).toBeGreaterThan(4);
    expect(trendChart({ id: 't', title: 'x', interval: 'week', points: weeks }, TREND_NARROW).text).toContain(`viewBox="0 0 ${TREND_NARROW.width} ${TREND_NARROW.height}"`);
  });

  it("the legend is a list of the page (it wraps), naming each band and the dashed line; the charts draw none", () => {
    expect(chartLegend('bars').text).toBe(
      '<ul class="chart-legend"><li><span class="swatch bar-positive"></span>positive: average 7 or more</li><li><span class="swatch bar-neutral"></span>neutral: 4 to under 7</li><li><span class="swatch bar-negative"></span>negative: under 4</li><li><span class="swatch threshold-line"></span>dashed line: 7, where positive starts</li></ul>',
    );
    expect(chartLegend('trend').text).not.toContain('bar-positive');
    expect(barChart(input).text).not.toContain('class="legend"');
  });
});
