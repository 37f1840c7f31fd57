import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PASSWORD_MAX, PASSWORD_MIN } from '../people/password-policy.js';

/**
 * The console's stylesheet and script, served from its own origin (`/assets/…`) so every page runs
 * under `script-src 'self'` with no inline script or style. Kept as strings, like the survey
 * assets, so the compiled daemon needs no files beside it; htmx comes from its npm package.
 */
export const CONSOLE_CSS = `:root { --ink: #1f2933; --muted: #5f6b7a; --line: #d9dee5; --bg: #f4f6f9; --card: #fff; --accent: #1a5fd0; --accent-ink: #fff; --ok: #1e7a46; --warn: #9a5b00; --bad: #b42318; --focus: #0b3d91; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); font-size: 15px; line-height: 1.45; }
body { margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--card); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
header.top { background: #14213d; color: #fff; }
header.top .bar { max-width: 76rem; margin: 0 auto; display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.25rem; flex-wrap: wrap; }
header.top .brand { color: #fff; font-weight: 700; text-decoration: none; letter-spacing: .01em; }
header.top .brand .muted { color: #c3cde0; font-weight: 500; }
header.top nav ul { list-style: none; display: flex; gap: .25rem; margin: 0; padding: 0; flex-wrap: wrap; }
header.top nav a { color: #dce4f2; text-decoration: none; padding: .35rem .65rem; border-radius: 4px; display: inline-block; }
header.top nav a[aria-current="page"], header.top nav a:hover { background: rgba(255, 255, 255, .14); color: #fff; }
header.top .who { margin-left: auto; display: flex; gap: .75rem; align-items: center; color: #dce4f2; font-size: .9rem; }
header.top .who button { background: transparent; border: 1px solid rgba(255, 255, 255, .4); color: #fff; }
header.top a:focus-visible, header.top button:focus-visible { outline: 3px solid #fff; outline-offset: 2px; box-shadow: 0 0 0 5px #14213d; }
main { max-width: 76rem; margin: 0 auto; padding: 1.25rem; }
h1 { font-size: 1.45rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .6rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
.narrow { max-width: 26rem; margin: 3rem auto; }
.muted { color: var(--muted); }
.row { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }
.spread { justify-content: space-between; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1.25rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
table { width: 100%; border-collapse: collapse; background: var(--card); }
th, td { text-align: left; padding: .5rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); font-weight: 600; white-space: nowrap; }
th a { color: inherit; text-decoration: none; }
th a:hover { text-decoration: underline; }
tbody tr:hover { background: #f8fafc; }
/* position: relative keeps what is absolutely placed inside (visually hidden labels) within the scroll box, not widening the page. */
.table-wrap { border: 1px solid var(--line); border-radius: 8px; overflow-x: auto; background: var(--card); position: relative; }
.badge { display: inline-block; padding: .1rem .55rem; border-radius: 999px; font-size: .8rem; font-weight: 600; background: #e8edf5; color: #243b63; white-space: nowrap; }
.badge.ok { background: #e3f4ea; color: var(--ok); }
.badge.warn { background: #fdf1dc; color: var(--warn); }
.badge.bad { background: #fde7e5; color: var(--bad); }
label { display: block; font-weight: 600; margin: .6rem 0 .25rem; }
label.inline { display: inline-flex; gap: .4rem; align-items: center; font-weight: 400; margin: 0; }
input[type=text], input[type=email], input[type=password], input[type=number], input[type=search], input[type=date], input[type=time], select, textarea { font: inherit; padding: .45rem .6rem; border: 1px solid #aab4c3; border-radius: 5px; background: #fff; color: var(--ink); max-width: 100%; }
input[type=text], input[type=email], input[type=password], textarea { width: 100%; }
form.card input[type=text], form.card input[type=email], form.card input[type=password] { max-width: 34rem; }
input.reason { max-width: 20rem; }
textarea { min-height: 6rem; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; }
button, .button { font: inherit; padding: .45rem 1rem; border-radius: 5px; border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary { background: #fff; color: var(--accent); }
button.danger, .button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
button.small, .button.small { padding: .2rem .6rem; font-size: .85rem; }
select.small { padding: .2rem .4rem; font-size: .85rem; }
.nowrap { white-space: nowrap; }
form .row.actions { margin-top: .75rem; }
.small { font-size: .85rem; }
.decide { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 20rem), 1fr)); gap: 1rem; align-items: stretch; }
.decide > form.card { margin: 0; }
ul.ways { padding-left: 1.2rem; }
footer.page-foot { max-width: 76rem; margin: 0 auto; padding: 0 1.25rem 1.25rem; font-size: .85rem; }
button:disabled { opacity: .55; cursor: not-allowed; }
form.inline { display: inline; }
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: .75rem 0; padding: .5rem 1rem 1rem; min-width: 0; }
legend { font-weight: 600; padding: 0 .3rem; }
.filters { display: flex; gap: .75rem; align-items: flex-end; flex-wrap: wrap; margin-bottom: .75rem; }
.filters label { margin: 0 0 .2rem; font-size: .85rem; }
.tabs { display: flex; gap: .25rem; border-bottom: 1px solid var(--line); margin-bottom: 1rem; }
.tabs a { padding: .5rem .9rem; text-decoration: none; color: var(--muted); border-bottom: 3px solid transparent; }
.tabs a[aria-current="page"] { color: var(--ink); border-bottom-color: var(--accent); font-weight: 600; }
.alert { border-radius: 6px; padding: .6rem .9rem; margin: .6rem 0; border: 1px solid; }
.alert.error { background: #fde7e5; border-color: #f3b4ad; color: #7a1a12; }
.alert.ok { background: #e3f4ea; border-color: #a9dcbc; color: #14532d; }
.alert.info { background: #e8effb; border-color: #b5c9ef; color: #1b3b73; }
.field-error { color: var(--bad); font-size: .85rem; font-weight: 600; margin-top: .2rem; }
[aria-invalid="true"] { border-color: var(--bad) !important; box-shadow: 0 0 0 1px var(--bad); }
.refusal { color: var(--bad); font-size: .85rem; display: block; margin-top: .2rem; }
.pager { display: flex; gap: .75rem; align-items: center; margin: .75rem 0; }
ul.rules { list-style: none; padding: 0; margin: .4rem 0; font-size: .9rem; }
ul.rules li::before { content: "○ "; color: var(--muted); }
ul.rules li.met { color: var(--ok); }
ul.rules li.met::before { content: "✓ "; }
ol.timeline { list-style: none; padding: 0; margin: 0; border-left: 2px solid var(--line); }
ol.timeline li { margin: 0 0 .9rem 1rem; position: relative; }
ol.timeline li::before { content: ""; position: absolute; left: -1.45rem; top: .45rem; width: .6rem; height: .6rem; border-radius: 50%; background: var(--accent); }
pre.snippet { background: #0f172a; color: #e2e8f0; padding: .75rem; border-radius: 6px; overflow-x: auto; font-size: .8rem; white-space: pre-wrap; word-break: break-all; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.js .nojs { display: none; }
/* htmx's request indicator (its own styles are off under the CSP): shown while a request runs. */
.htmx-indicator { display: none; }
.htmx-request .htmx-indicator, .htmx-request.htmx-indicator { display: inline-flex; }
.progress { align-items: center; gap: .5rem; color: var(--muted); }
.progress::before { content: ""; width: 1rem; height: 1rem; border: 2px solid var(--line); border-top-color: var(--accent); border-radius: 50%; animation: spin .8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .progress::before { animation: none; } }
/* Buttons that need the script (copy to the clipboard) are not offered without it. */
html:not(.js) [data-copy] { display: none; }
#member-counts { margin-bottom: .75rem; }
.tabs a { white-space: nowrap; }
.tabs { flex-wrap: wrap; }
header.top .who button { white-space: nowrap; }
header.top .who span { overflow-wrap: anywhere; }
.muted { overflow-wrap: break-word; }
@media (max-width: 48rem) {
  dl.facts { grid-template-columns: 1fr; }
  header.top .bar { gap: .35rem 1rem; padding: .5rem .75rem; }
  header.top nav a { padding: .3rem .5rem; }
  header.top nav ul { margin-left: -.5rem; }
  header.top .who { margin-left: 0; }
  main { padding: 1rem .75rem; }
  footer.page-foot { padding: 0 .75rem 1rem; }
}
/* On a phone the members table is a list of cards: each value under its column's name, the Active box
   within reach without scrolling sideways; the column heads stay as a row of sort links. */
@media (max-width: 40rem) {
  table.stack, table.stack thead { display: block; }
  table.stack thead tr { display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: center; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
  table.stack thead th { border: none; padding: .15rem 0; }
  table.stack tbody, table.stack tbody tr, table.stack tbody td { display: block; }
  table.stack tbody tr { border-bottom: 1px solid var(--line); padding: .5rem .6rem; position: relative; }
  table.stack tbody td { border: none; padding: .1rem 2rem .1rem 6.5rem; position: relative; overflow-wrap: anywhere; min-height: 1.6rem; }
  table.stack tbody td::before { content: attr(data-label); position: absolute; left: 0; top: .15rem; width: 6rem; color: var(--muted); font-size: .85rem; font-weight: 600; }
  table.stack tbody td.select { position: absolute; right: .6rem; top: .5rem; display: block; padding: 0; }
  table.stack tbody td.select::before { content: none; }
  table.stack tbody td[colspan] { padding-left: 0; }
  table.stack tbody td[colspan]::before { content: none; }
}
`;

/** Small, dependency-free behaviour: live password rules, copy buttons, select-all; everything else is htmx or plain forms. */
export const CONSOLE_JS = `document.documentElement.classList.add('js');
(function () {
  var RULES = {
    min_length: function (p) { return Array.from(p.normalize('NFKC')).length >= ${PASSWORD_MIN}; },
    max_length: function (p) { return Array.from(p.normalize('NFKC')).length <= ${PASSWORD_MAX}; },
    upper: function (p) { return /\\p{Lu}/u.test(p.normalize('NFKC')); },
    lower: function (p) { return /\\p{Ll}/u.test(p.normalize('NFKC')); },
    digit: function (p) { return /\\p{Nd}/u.test(p.normalize('NFKC')); },
    special: function (p) { return /[^\\p{L}\\p{Nd}]/u.test(p.normalize('NFKC')); }
  };
  function checkRules(input) {
    var list = document.getElementById(input.getAttribute('data-rules'));
    if (!list) return;
    var items = list.querySelectorAll('[data-rule]');
    for (var i = 0; i < items.length; i++) {
      var ok = RULES[items[i].getAttribute('data-rule')](input.value);
      items[i].classList.toggle('met', ok);
      items[i].setAttribute('aria-label', items[i].textContent.trim() + (ok ? ': met' : ': not met yet'));
    }
  }
  // The add-account form shows only the chosen integration's settings (without scripts, all of them).
  function showFieldsets(select) {
    var parts = select.form ? select.form.querySelectorAll('[data-integration]') : [];
    for (var i = 0; i < parts.length; i++) {
      var mine = parts[i].getAttribute('data-integration') === select.value;
      parts[i].hidden = !mine;
      if (parts[i].tagName === 'FIELDSET') parts[i].disabled = !mine;
    }
  }
  var selects = document.querySelectorAll('select[data-shows-fieldsets]');
  for (var s = 0; s < selects.length; s++) showFieldsets(selects[s]);
  document.addEventListener('change', function (e) {
    var t = e.target;
    if (t && t.matches && t.matches('select[data-shows-fieldsets]')) showFieldsets(t);
  });
  document.addEventListener('input', function (e) {
    var t = e.target;
    if (t && t.matches && t.matches('input[data-rules]')) checkRules(t);
  });
  document.addEventListener('click', function (e) {
    var t = e.target;
    if (!t || !t.closest) return;
    var copy = t.closest('[data-copy]');
    if (copy) {
      var source = document.getElementById(copy.getAttribute('data-copy'));
      var status = document.getElementById(copy.getAttribute('data-copy') + '-status');
      if (source && navigator.clipboard) navigator.clipboard.writeText(source.textContent).then(function () { if (status) status.textContent = 'Copied.'; });
    }
    var all = t.closest('[data-select-all]');
    if (all) {
      var boxes = document.querySelectorAll('input[name="memberIds"]');
      for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
    }
  });
})();
`;

const require = createRequire(import.meta.url);
let htmx: string | undefined;

/** htmx 2, from its npm package, read once. */
export function htmxScript(): string {
  return (htmx ??= readFileSync(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8'));
}
