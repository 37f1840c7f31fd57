/**
 * The ratings pages' part of the console stylesheet (served with it, at /assets/console.css): the
 * figures, the filter pickers and the charts. SVG takes its colours and type from these classes,
 * since the CSP allows no style attributes. Colours keep 3:1 against white for marks and 4.5:1
 * for text (WCAG 1.4.11, 1.4.3).
 */
export const REPORT_CSS = `
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .75rem; margin: 0 0 1rem; }
.figure { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; margin: 0; }
.figure dt { color: var(--muted); font-size: .85rem; }
.figure dd { margin: .15rem 0 0; font-size: 1.6rem; font-weight: 700; }
.figure dd .muted { font-size: .85rem; font-weight: 400; }
.report-filters { display: grid; grid-template-columns: minmax(11rem, 1fr) minmax(14rem, 1.4fr) minmax(14rem, 1.4fr); gap: .25rem 1.25rem; align-items: start; }
.report-filters .dates { display: flex; gap: .75rem; flex-wrap: wrap; align-items: flex-end; }
.report-filters .dates label { margin-top: 0; font-size: .85rem; }
.report-filters .actions { grid-column: 1 / -1; display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; margin-top: .5rem; }
.picker { margin: 0; min-width: 0; }
.picker .choices { max-height: 12rem; overflow-y: auto; border: 1px solid var(--line); border-radius: 5px; padding: .35rem .5rem; margin: .35rem 0; background: #fff; }
.picker .choices label { font-weight: 400; margin: .15rem 0; display: flex; gap: .4rem; align-items: baseline; }
.picker .choices .count { color: var(--muted); font-size: .85rem; margin-left: auto; padding-left: .5rem; }
.picker .modes { display: flex; gap: .25rem 1rem; flex-wrap: wrap; }
.picker .modes label { font-weight: 400; margin: .2rem 0; display: inline-flex; gap: .35rem; align-items: baseline; }
.picker .hint { margin: 0; font-size: .85rem; }
.view-words { margin: .25rem 0 1rem; }
.chart-row { display: grid; grid-template-columns: minmax(0, 3fr) minmax(16rem, 2fr); gap: 1rem; align-items: start; margin-bottom: 1rem; }
.chart-row .chart-box { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .5rem; margin: 0; }
.chart-row .table-wrap { max-height: 24rem; overflow-y: auto; }
.chart-row td.num, .chart-row th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
.chart-row tbody th[scope="row"] { color: var(--ink); font-size: inherit; font-weight: 500; white-space: normal; }
svg.chart { display: block; width: 100%; height: auto; font-family: inherit; }
svg.chart text { fill: var(--ink); font-size: 13px; }
svg.chart .axis text { fill: var(--muted); font-size: 12.5px; }
svg.chart .chart-label { font-weight: 600; font-size: 13.5px; }
svg.chart .bar-value, svg.chart .threshold-label { paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
svg.chart .grid line { stroke: #e3e7ed; stroke-width: 1; }
svg.chart .axis-line, svg.chart .x-axis line { stroke: #8a94a3; stroke-width: 1; }
svg.chart .threshold { stroke: #1e7a46; stroke-width: 1.25; stroke-dasharray: 5 4; }
.chart-legend { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; margin: .4rem .25rem .1rem; padding: 0; font-size: .85rem; color: var(--ink); }
.chart-legend li { display: inline-flex; align-items: center; gap: .4rem; }
.chart-legend .swatch { display: inline-block; width: .8rem; height: .8rem; border-radius: 2px; }
.chart-legend .swatch.bar-positive { background: #1e7a46; }
.chart-legend .swatch.bar-neutral { background: #b26a00; }
.chart-legend .swatch.bar-negative { background: #b42318; }
.chart-legend .swatch.threshold-line { height: 0; width: 1.4rem; border-radius: 0; border-top: 2px dashed #1e7a46; }
.chart-note { font-size: .85rem; color: var(--muted); margin: .3rem .25rem 0; }
.chart-narrow { display: none; }
.chart-narrow svg.chart { max-width: 30rem; }
svg.chart .threshold-label { fill: #1e7a46; font-size: 12.5px; }
svg.chart .trend-line { fill: none; stroke: #1a5fd0; stroke-width: 2.5; stroke-linejoin: round; stroke-linecap: round; }
svg.chart .trend-points circle { fill: #1a5fd0; stroke: #fff; stroke-width: 1.5; }
svg.chart .count-bars rect { fill: #6a86b8; }
svg.chart .bar-positive { fill: #1e7a46; }
svg.chart .bar-neutral { fill: #b26a00; }
svg.chart .bar-negative { fill: #b42318; }
svg.chart .bar-value { font-variant-numeric: tabular-nums; }
.chart-box .chart-empty { border: none; }
.chart-empty { background: var(--card); border: 1px dashed #aab4c3; border-radius: 8px; padding: 2rem 1rem; text-align: center; color: var(--muted); font-weight: 600; margin: 0; }
td.comment { max-width: 28rem; overflow-wrap: anywhere; }
.scope-words { margin: .25rem 0 0; }
label .muted { font-weight: 400; }
@media (max-width: 60rem) { .chart-row, .report-filters { grid-template-columns: 1fr; } }
@media (max-width: 40rem) { .chart-wide { display: none; } .chart-narrow { display: block; } }
`;
