import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { actorOf } from '../access/principal.js';
import { InputError } from '../core/errors.js';
import type { RunTally, RunView } from '../db/views.js';
import { assertCanChange } from '../access/policy.js';
import { cleanReason } from '../services/members.js';
import { href, html, type Html } from './html.js';
import { actorLabel, alert, canChange, csrfField, layout, when, zoneOf, type Viewer } from './layout.js';
import { CONSOLE, seeOther, sendHtml } from './reply.js';
import { changesTable, ERROR_ADVICE, outcomeLine, runLinkText, statusBadge } from './run-parts.js';
import { plural } from './words.js';
import { accountViewer } from './viewer.js';

type Query = Record<string, string | undefined>;
const FILTER_KEYS = ['status', 'trigger', 'since', 'until'] as const;

function runsPage(v: Viewer, q: Query, page: { runs: RunView[]; nextCursor: string | null }, tallies: Map<string, RunTally>): Html {
  const accountId = v.account!.id;
  const opt = (name: string, value: string | undefined, options: string[]) =>
    html`<select id="r-${name}" name="${name}"><option value="">Any</option>${options.map((o) => html`<option value="${o}" ${value === o ? 'selected' : ''}>${o}</option>`)}</select>`;
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, q[k]]));
  return layout(
    v,
    'Runs',
    html`<form class="filters" method="get" action="/accounts/${accountId}/runs" role="search" aria-label="Filter runs">
<div><label for="r-status">Status</label>${opt('status', q.status, ['queued', 'running', 'succeeded', 'failed', 'held', 'rejected', 'expired'])}</div>
<div><label for="r-trigger">Trigger</label>${opt('trigger', q.trigger, ['schedule', 'manual', 'setup', 'retry', 'callback'])}</div>
<div><label for="r-since">From</label><input type="date" id="r-since" name="since" value="${q.since ?? ''}"></div>
<div><label for="r-until">Until</label><input type="date" id="r-until" name="until" value="${q.until ?? ''}"></div>
<button type="submit" class="secondary">Apply</button> <a href="/accounts/${accountId}/runs">Clear</a></form>
<div class="table-wrap"><table><caption class="visually-hidden">Runs, newest first</caption>
<thead><tr><th scope="col">Started</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">By</th><th scope="col">Outcome</th></tr></thead>
<tbody>${
      page.runs.length === 0
        ? html`<tr><td colspan="5" class="muted">No runs match.</td></tr>`
        : page.runs.map(
            (r) => html`<tr><td class="nowrap"><a href="/runs/${r.id!}">${runLinkText(r, zoneOf(v))}</a></td><td>${statusBadge(r.status)}</td><td>${r.trigger}</td><td>${actorLabel(r.requestedBy)}</td>
<td>${r.error ? html`<span>${r.error.kind}: ${r.error.message}</span>` : r.holdReason && r.status === 'held' ? r.holdReason : outcomeLine(r, tallies.get(r.id!))}</td></tr>`,
          )
    }</tbody></table></div>
<nav class="pager" aria-label="Pages">${q.cursor ? html`<a href="${href(`/accounts/${accountId}/runs`, filters)}">Newest</a>` : ''}${page.nextCursor ? html`<a href="${href(`/accounts/${accountId}/runs`, { ...filters, cursor: page.nextCursor })}">Older runs</a>` : ''}</nav>`,
  );
}

/**
 * Approve and Reject of a held run, after its list: Approve applies every planned change of the
 * run (`planned`, all pages), not only the page shown, and says so when the list goes on.
 */
function decisionForms(v: Viewer, run: RunView, planned: number, nextPage: string | null): Html {
  if (run.holdKind === 'scope_matches_nobody') {
    // Never applied: approving is refused, so the page offers only what helps.
    return html`<h2 id="decide">Decide this held run</h2>
<p class="alert info">This run cannot be approved: the sync scope leaves none of the PSA's active members in. <a href="/accounts/${run.accountId}/settings/scope">Change the sync scope</a>, then reject this run.</p>
<form class="card" method="post" action="/runs/${run.id!}/reject">${csrfField(v)}
<p>Rejecting discards the plan; nothing changes. The next sync plans again from the PSA.</p>
<label for="reject-reason">Reason (optional)</label><input type="text" id="reject-reason" name="reason" maxlength="500">
<p><button type="submit" class="danger">Reject</button></p></form>`;
  }
  return html`<h2 id="decide">Decide this held run</h2>
${nextPage ? html`<p class="alert info">The list of planned changes continues: <a href="${nextPage}">next page</a>. Approving applies all of them, on every page.</p>` : ''}
<div class="decide">
<form class="card" method="post" action="/runs/${run.id!}/approve">${csrfField(v)}
<p>Approving applies all ${plural(planned, 'planned change')} of this run now, exactly as listed.</p>
<label class="inline"><input type="checkbox" name="confirm" value="yes" required> I have read the planned changes</label>
<label for="approve-reason">Reason (optional)</label><input type="text" id="approve-reason" name="reason" maxlength="500">
<p><button type="submit">Approve and apply</button></p></form>
<form class="card" method="post" action="/runs/${run.id!}/reject">${csrfField(v)}
<p>Rejecting discards the plan; nothing changes. The next sync plans again from the PSA.</p>
<label for="reject-reason">Reason (optional)</label><input type="text" id="reject-reason" name="reason" maxlength="500">
<p><button type="submit" class="danger">Reject</button></p></form>
</div>`;
}

/** When a run ran; a held run has planned, not finished: it waits for a decision since then. */
function timesFacts(run: RunView, timeZone: string | undefined): Html {
  if (run.status === 'held') return html`<dt>Held since</dt><dd>${when(run.finishedAt ?? run.startedAt ?? run.createdAt, timeZone)}, waiting for a decision</dd>`;
  return html`<dt>Started · finished</dt><dd>${when(run.startedAt, timeZone)} · ${run.finishedAt ? when(run.finishedAt, timeZone) : 'not yet'}</dd>`;
}

function runPage(v: Viewer, shown: Awaited<ReturnType<App['runs']['showPage']>>, tally: RunTally | undefined, q: Query, notice?: Html): Html {
  const { run, changes, nextCursor } = shown;
  const held = run.status === 'held';
  const tz = zoneOf(v);
  const narrowed = v.principal.memberScope !== null;
  const nextPage = nextCursor ? href(`/runs/${run.id!}`, { cursor: nextCursor }) : null;
  return layout(
    v,
    `Run of ${when(run.startedAt ?? run.createdAt, tz)}`,
    html`${notice ?? ''}<div class="card"><dl class="facts">
<dt>Status</dt><dd>${statusBadge(run.status)}${run.decidedBy ? html` <span class="muted">by ${actorLabel(run.decidedBy)} at ${when(run.decidedAt, tz)}</span>` : ''}</dd>
<dt>Trigger</dt><dd>${run.trigger}, requested by ${actorLabel(run.requestedBy)}</dd>
${timesFacts(run, tz)}
<dt>Counts</dt><dd>${outcomeLine(run, tally) || '—'}</dd>
${run.holdReason ? html`<dt>Held because</dt><dd>${run.holdReason}</dd>` : ''}
${run.error ? html`<dt>Error</dt><dd><strong>${run.error.kind}</strong>: ${run.error.message}<div class="muted">What to do: ${ERROR_ADVICE[run.error.kind] ?? 'Support can read the details in the logs.'}</div></dd>` : ''}
</dl></div>
${held && canChange(v) ? html`<p><a href="#decide">Approve or reject</a> after the list.</p>` : ''}
<h2>${held ? 'Planned changes' : 'Changes'}</h2>
${changesTable(changes, held ? 'Planned changes' : 'Changes of this run', run.accountId, { timeZone: tz, empty: narrowed ? `No ${held ? 'planned ' : ''}changes among the engineers you see.` : undefined })}
<nav class="pager" aria-label="Pages">${q.cursor ? html`<a href="/runs/${run.id!}">First page</a>` : ''}${nextPage ? html`<a href="${nextPage}">Next page</a>` : ''}</nav>
${held && canChange(v) ? decisionForms(v, run, tally?.changes ?? 0, nextPage) : ''}
<p><a href="/accounts/${run.accountId}/runs">All runs</a></p>`,
  );
}

/** Run history with filters; a run's counts, error and changes; Approve / Reject of a held run. */
export function registerRunPages(server: FastifyInstance, app: App): void {
  server.get<{ Params: { id: string }; Querystring: Query }>('/accounts/:id/runs', CONSOLE, async (req, reply) => {
    const { viewer, account } = await accountViewer(app, req, req.params.id, 'runs', 'runs');
    const raw = Object.fromEntries(Object.entries(req.query).filter(([k, val]) => [...FILTER_KEYS, 'cursor'].includes(k) && val));
    if (raw.until && /^\d{4}-\d{2}-\d{2}$/.test(raw.until)) raw.until = `${raw.until}T23:59:59.999Z`;
    const page = await app.runs.page(account.id, raw);
    return sendHtml(reply, runsPage(viewer, req.query, page, await app.runs.tallies(page.runs.map((r) => r.id))));
  });

  server.get<{ Params: { id: string }; Querystring: Query & { decided?: string } }>('/runs/:id', CONSOLE, async (req, reply) => {
    const run = await app.runs.get(req.params.id);
    const { viewer } = await accountViewer(app, req, run.accountId, 'runs', 'runs');
    const [shown, tallies] = await Promise.all([app.runs.showPage(run.id!, req.query.cursor ? { cursor: req.query.cursor } : {}, viewer.principal.memberScope), app.runs.tallies([run.id])]);
    const notice = req.query.decided ? alert('ok', req.query.decided === 'approved' ? 'Approved: the planned changes are applied.' : 'Rejected: nothing was changed.') : undefined;
    return sendHtml(reply, runPage(viewer, shown, tallies.get(run.id!), req.query, notice));
  });

  for (const verb of ['approve', 'reject'] as const) {
    server.post<{ Params: { id: string }; Body: Query }>(`/runs/:id/${verb}`, CONSOLE, async (req, reply) => {
      const run = await app.runs.get(req.params.id);
      const { viewer } = await accountViewer(app, req, run.accountId, 'runs', 'runs');
      assertCanChange(viewer.principal, run.accountId, `run ${run.id}`, `${verb} a held run`);
      if (verb === 'approve' && req.body?.confirm !== 'yes') throw new InputError('tick "I have read the planned changes" to approve');
      const reason = cleanReason(req.body?.reason);
      if (verb === 'approve') await app.engine.approve(run.id!, actorOf(viewer.principal), reason);
      else await app.engine.reject(run.id!, actorOf(viewer.principal), reason);
      return seeOther(reply, `/runs/${run.id}?decided=${verb === 'approve' ? 'approved' : 'rejected'}`);
    });
  }
}
