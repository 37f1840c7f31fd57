import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import type { SurveyEventView } from '../db/survey-repository.js';
import { href, html, type Html } from './html.js';
import { layout, when, type Viewer } from './layout.js';
import { CONSOLE, seeOther, sendHtml, viewerOf } from './reply.js';
import { accountViewer } from './viewer.js';

function surveyPage(v: Viewer, unmatched: boolean, page: { events: SurveyEventView[]; nextCursor: string | null }, cursor: string | undefined): Html {
  const accountId = v.account!.id;
  const tab = (key: boolean, label: string) => html`<a href="${href(`/accounts/${accountId}/survey`, { unmatched: key ? 'true' : undefined })}" ${unmatched === key ? html`aria-current="page"` : ''}>${label}</a>`;
  const agent = (e: SurveyEventView) => [e.agent.name, e.agent.email, e.agent.identifier, e.agent.id].filter(Boolean).join(' · ') || '—';
  return layout(
    v,
    'Survey ratings',
    html`<nav class="tabs" aria-label="Ratings">${tab(false, 'Recent ratings')}${tab(true, 'Unmatched')}</nav>
<div class="table-wrap"><table><caption class="visually-hidden">${unmatched ? 'Ratings no member was credited with, and why' : 'Recent ratings, newest first'}</caption>
<thead><tr><th scope="col">When</th><th scope="col">Rating</th><th scope="col">Credited to</th><th scope="col">Agent in the link</th><th scope="col">Client</th><th scope="col">Ticket</th><th scope="col">Comment</th><th scope="col">Link</th></tr></thead>
<tbody>${
      page.events.length === 0
        ? html`<tr><td colspan="8" class="muted">No ratings${unmatched ? ' left unmatched' : ' yet'}.</td></tr>`
        : page.events.map(
            (e) => html`<tr><td>${when(e.updatedAt)}</td><td>${e.rating}</td>
<td>${e.memberId ? html`<a href="/accounts/${accountId}/members/${e.memberId}">member</a> <span class="muted">by ${e.matchedBy ?? ''}</span>` : html`<span class="badge warn">unmatched</span> <span class="muted">${e.unmatchedReason ?? ''}</span>`}</td>
<td>${agent(e)}</td><td>${e.client ?? '—'}</td><td>${e.ticket.startsWith('no-ticket:') ? '—' : e.ticket || '—'}</td><td class="comment">${e.comment ?? ''}</td><td>${e.channel}${e.signed ? ', signed' : ''}</td></tr>`,
          )
    }</tbody></table></div>
<nav class="pager" aria-label="Pages">${cursor ? html`<a href="${href(`/accounts/${accountId}/survey`, { unmatched: unmatched ? 'true' : undefined })}">Newest</a>` : ''}${page.nextCursor ? html`<a href="${href(`/accounts/${accountId}/survey`, { unmatched: unmatched ? 'true' : undefined, cursor: page.nextCursor })}">Older</a>` : ''}</nav>`,
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
    return sendHtml(reply, surveyPage(viewer, unmatched, await app.survey.page(account.id, raw, viewer.principal.memberScope, viewer.principal.clientScope ?? null), req.query.cursor));
  });
}
