import type { FastifyInstance } from 'fastify';
import type { Principal } from '../access/principal.js';
import type { App } from '../app.js';
import type { SkippedRecord, SurveyEventView } from '../db/survey-repository.js';
import { href, html, type Html } from './html.js';
import { layout, when, zoneOf, type Viewer } from './layout.js';
import { CONSOLE, seeOther, sendHtml, viewerOf } from './reply.js';
import { matchedByWords, skippedAgent, skippedWords, unmatchedWords } from './survey-words.js';
import { accountViewer } from './viewer.js';

interface Shown {
  events: SurveyEventView[];
  nextCursor: string | null;
  names: Map<string, string>;
  skipped: SkippedRecord[];
}

/** Whom a narrowed account manager sees, in words ("the engineers you see"); null for everyone else. */
function narrowedTo(p: Principal): string | null {
  const members = p.memberScope !== null;
  const clients = (p.clientScope ?? null) !== null;
  if (!members && !clients) return null;
  return members && clients ? 'the engineers and clients you see' : members ? 'the engineers you see' : 'the clients you see';
}

/** Unmatched ratings are credited to no engineer, so a manager narrowed to chosen engineers never sees one: no tab for them. */
const seesUnmatched = (p: Principal): boolean => p.memberScope === null;

function credited(v: Viewer, e: SurveyEventView, shown: Shown): Html {
  const accountId = v.account!.id;
  if (e.memberId) {
    const name = shown.names.get(e.memberId) ?? 'a member';
    return html`<a href="/accounts/${accountId}/members/${e.memberId}">${name}</a><div class="muted small">${matchedByWords(e.matchedBy)}</div>`;
  }
  const skipped = skippedAgent(e.agent, shown.skipped);
  return html`<span class="badge warn">unmatched</span><div class="muted small">${unmatchedWords(e.unmatchedReason)}</div>${skipped ? html`<div class="muted small">${skippedWords(skipped)}</div>` : ''}`;
}

function emptyWords(v: Viewer, unmatched: boolean): string {
  const seen = narrowedTo(v.principal);
  if (unmatched) return seen ? `No unmatched ratings among ${seen}.` : 'No ratings left unmatched.';
  return seen ? `No ratings among ${seen} yet.` : 'No ratings yet.';
}

function surveyPage(v: Viewer, unmatched: boolean, shown: Shown, cursor: string | undefined): Html {
  const accountId = v.account!.id;
  const tz = zoneOf(v);
  const tab = (key: boolean, label: string) => html`<a href="${href(`/accounts/${accountId}/survey`, { unmatched: key ? 'true' : undefined })}" ${unmatched === key ? html`aria-current="page"` : ''}>${label}</a>`;
  const agent = (e: SurveyEventView) => [e.agent.name, e.agent.email, e.agent.identifier, e.agent.id].filter(Boolean).join(' · ') || '—';
  const body =
    unmatched && !seesUnmatched(v.principal)
      ? html`<p class="muted">Unmatched ratings are credited to no engineer, so none are among the engineers you see.</p>`
      : html`<div class="table-wrap"><table><caption class="visually-hidden">${unmatched ? 'Ratings no member was credited with, and why' : 'Recent ratings, newest first'}</caption>
<thead><tr><th scope="col">When</th><th scope="col">Rating</th><th scope="col">Credited to</th><th scope="col">Agent in the link</th><th scope="col">Client</th><th scope="col">Ticket</th><th scope="col">Comment</th><th scope="col">Link</th></tr></thead>
<tbody>${
          shown.events.length === 0
            ? html`<tr><td colspan="8" class="muted">${emptyWords(v, unmatched)}</td></tr>`
            : shown.events.map(
                (e) => html`<tr><td class="nowrap">${when(e.updatedAt, tz)}</td><td>${e.rating}</td>
<td class="credited">${credited(v, e, shown)}</td>
<td>${agent(e)}</td><td>${e.client ?? '—'}</td><td>${e.ticket.startsWith('no-ticket:') ? '—' : e.ticket || '—'}</td><td class="comment">${e.comment ?? ''}</td><td>${e.channel}${e.signed ? ', signed' : ''}</td></tr>`,
              )
        }</tbody></table></div>
<nav class="pager" aria-label="Pages">${cursor ? html`<a href="${href(`/accounts/${accountId}/survey`, { unmatched: unmatched ? 'true' : undefined })}">Newest</a>` : ''}${shown.nextCursor ? html`<a href="${href(`/accounts/${accountId}/survey`, { unmatched: unmatched ? 'true' : undefined, cursor: shown.nextCursor })}">Older</a>` : ''}</nav>`;
  return layout(
    v,
    'Survey ratings',
    html`<nav class="tabs" aria-label="Ratings">${tab(false, 'Recent ratings')}${seesUnmatched(v.principal) ? tab(true, 'Unmatched') : ''}</nav>
${body}`,
  );
}

/** Survey: recent ratings, and unmatched events with why (an employee reads their own on /me). */
export function registerSurveyPages(server: FastifyInstance, app: App): void {
  server.get<{ Params: { id: string }; Querystring: { unmatched?: string; cursor?: string } }>('/accounts/:id/survey', CONSOLE, async (req, reply) => {
    if (viewerOf(req).role === 'employee') return seeOther(reply, '/me');
    const { viewer, account } = await accountViewer(app, req, req.params.id, 'survey', 'survey');
    const unmatched = req.query.unmatched === 'true';
    const raw: Record<string, string> = { limit: '50' };
    if (unmatched) raw.unmatched = 'true';
    if (req.query.cursor) raw.cursor = req.query.cursor;
    const page = await app.survey.page(account.id, raw, viewer.principal.memberScope, viewer.principal.clientScope ?? null);
    const context = await app.survey.eventContext(account.id, page.events);
    return sendHtml(reply, surveyPage(viewer, unmatched, { ...page, ...context }, req.query.cursor));
  });
}
