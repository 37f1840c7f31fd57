import type { Principal } from '../access/principal.js';
import { html, type Html } from './html.js';
import { stamp } from './words.js';

/** The part of the console a page belongs to, for the navigation's current item. */
export type Section = 'accounts' | 'overview' | 'members' | 'runs' | 'survey' | 'reports' | 'people' | 'settings' | 'me';

/** Who is looking, and at which account: every page knows, and shows only what they may do. */
export interface Viewer {
  principal: Principal;
  /** The account whose pages these are; its time zone is the one every time on them is in. */
  account?: { id: string; name: string; timeZone?: string };
  section?: Section;
}

/** May this viewer change things in this account? (admins of it only; support and managers read.) */
export const canChange = (v: Viewer): boolean => v.principal.role === 'admin' && v.principal.accountId === v.account?.id;

// htmx without eval or inline styles, so `script-src 'self'` holds; 4xx answers (a rule's refusal) are
// swapped in place like any other, so the person reads why.
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
  historyCacheSize: 0,
  responseHandling: [
    { code: '204', swap: false },
    { code: '[234]..', swap: true },
    { code: '...', swap: true, error: true },
  ],
});

const ROLE_WORDS: Record<string, string> = { admin: 'Admin', account_manager: 'Account manager', employee: 'Employee', support: 'Support' };

function nav(v: Viewer): Html {
  const p = v.principal;
  const a = v.account;
  const item = (section: Section, path: string, label: string) => html`<li><a href="${path}" ${v.section === section ? html`aria-current="page"` : ''}>${label}</a></li>`;
  const items: Html[] = [];
  if (p.role === 'support') items.push(item('accounts', '/accounts', 'Accounts'));
  if (a && p.role !== 'employee') {
    items.push(item('overview', `/accounts/${a.id}`, 'Overview'), item('members', `/accounts/${a.id}/members`, 'Members'), item('runs', `/accounts/${a.id}/runs`, 'Runs'), item('survey', `/accounts/${a.id}/survey`, 'Survey'));
    items.push(item('reports', `/accounts/${a.id}/reports`, 'Reports'));
    if (p.role !== 'account_manager' || p.memberScope === null) items.push(item('people', `/accounts/${a.id}/people`, 'People'));
    if (p.role === 'admin') items.push(item('settings', `/accounts/${a.id}/settings`, 'Settings'));
  }
  if (p.role === 'employee') items.push(item('me', '/me', 'My record'));
  return html`<nav aria-label="Main"><ul>${items}</ul></nav>`;
}

/** A console page: the shell, the navigation for this viewer, and the CSRF token every change carries. */
export function layout(v: Viewer, title: string, body: Html): Html {
  const p = v.principal;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content="${HTMX_CONFIG}">
<title>${title}${v.account ? ` · ${v.account.name}` : ''} · psa-sync</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/htmx.min.js" defer></script>
<script src="/assets/console.js" defer></script>
</head>
<body hx-headers="${JSON.stringify({ 'x-csrf-token': p.csrfToken ?? '' })}">
<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="bar">
<a class="brand" href="/">psa-sync${v.account ? html` <span class="muted">· ${v.account.name}</span>` : ''}</a>
${nav(v)}
<div class="who"><span>${p.name} · ${ROLE_WORDS[p.role] ?? p.role}</span>
<form class="inline" method="post" action="/logout"><input type="hidden" name="_csrf" value="${p.csrfToken ?? ''}"><button type="submit" class="small">Sign out</button></form></div>
</div></header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${body}
</main>
${v.account?.timeZone ? html`<footer class="page-foot"><p class="muted">Times are in ${v.account.timeZone}, the time zone of ${v.account.name}.</p></footer>` : ''}
</body>
</html>`;
}

/** A page for people not signed in (sign-in, activation, reset): no navigation. */
export function bareLayout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · psa-sync</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<main id="main" class="narrow">
<div class="card">
<h1>${title}</h1>
${body}
</div>
</main>
</body>
</html>`;
}

/** The CSRF field of a plain form. */
export const csrfField = (v: Viewer): Html => html`<input type="hidden" name="_csrf" value="${v.principal.csrfToken ?? ''}">`;

/**
 * An instant on a page: in the account's time zone when the page passes it (the footer names it
 * once), else in UTC, saying so (support's list of every account).
 */
export const when = (d: string | Date | null | undefined, timeZone?: string): string => (d ? stamp(d, timeZone) : '—');

/** The time zone of the account a page shows, if it shows one. */
export const zoneOf = (v: Viewer): string | undefined => v.account?.timeZone;

/** Who did something, as a person reads it: the person's email, a token's name, a sync run. */
export function actorLabel(actor: string): string {
  const person = /^person:(.+) \([0-9a-f-]{36}\)$/.exec(actor);
  if (person) return person[1]!;
  const token = /^token:(.+) \([0-9a-f-]{36}\)$/.exec(actor);
  if (token) return `token “${token[1]}”`;
  if (/^run:[0-9a-f-]{36}$/.test(actor)) return 'a sync run';
  return actor;
}

/** A message box: `role="alert"` for errors, so a screen reader announces it. */
export const alert = (kind: 'error' | 'ok' | 'info', message: string | Html): Html =>
  kind === 'error' ? html`<div class="alert error" role="alert">${message}</div>` : html`<div class="alert ${kind}" role="status">${message}</div>`;
