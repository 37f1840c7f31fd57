import type { ChangeView, RunTally, RunView } from '../db/views.js';
import { changeWords, tallyWords } from './change-words.js';
import { href, html, type Html } from './html.js';
import { actorLabel, when } from './layout.js';
import { stamp } from './words.js';

const STATUS_KIND: Record<string, string> = { succeeded: 'ok', held: 'warn', failed: 'bad', rejected: 'warn', expired: 'warn', queued: '', running: '' };

export const statusBadge = (status: string): Html => html`<span class="badge ${STATUS_KIND[status] ?? ''}">${status}</span>`;

const COUNT_WORDS: [keyof NonNullable<RunView['counts']>, string][] = [
  ['fetched', 'read from the PSA'],
  ['added', 'added'],
  ['updated', 'updated'],
  ['deactivated', 'deactivated'],
  ['movedToInactive', 'moved to Inactive Synced'],
  // "reactivated" counts members back in All Staff; whether they took a seat is the tally's (tallyWords).
  ['reactivated', 'back in All Staff'],
  ['unchanged', 'unchanged'],
  ['keptInactiveByAdmin', 'kept inactive by an admin'],
  ['skipped', 'skipped'],
  ['flaggedDisabled', 'disabled in the PSA, left for an admin'],
  // Every member the PSA reports active outside the sync scope, moved now or already on Inactive Synced.
  ['outOfScope', 'outside the sync scope'],
];

const TRIGGER_WORDS: Record<string, string> = { schedule: 'scheduled', manual: 'manual', setup: 'setup', retry: 'retried', callback: 'callback' };

/**
 * What a link to a run says, so a list of them reads as distinct places: "Manual run of
 * 2026-03-10 09:00:12", "Held scheduled run of …" (to the second: runs of one minute differ), in
 * the account's time zone (UTC, said so, without one).
 */
export function runLinkText(run: RunView, timeZone?: string): string {
  const words = `${run.status === 'held' ? 'held ' : ''}${TRIGGER_WORDS[run.trigger] ?? run.trigger} run of ${stamp(run.startedAt ?? run.createdAt, timeZone, true)}`;
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A run's counts, as words ("12 added, 3 moved to Inactive Synced"); zero counts left out. */
export function countsLine(run: RunView): string {
  if (!run.counts) return '';
  const parts = COUNT_WORDS.filter(([k]) => (run.counts![k] ?? 0) > 0).map(([k, words]) => `${run.counts![k]} ${words}`);
  return parts.length > 0 ? parts.join(', ') : 'nothing to read';
}

/**
 * A run's outcome: its counts, then what its entries did to the Active box ("45 became Active;
 * 9 wait for a seat (the seat limit is reached)."), so "54 back in All Staff" never reads as 54 seats.
 */
export function outcomeLine(run: RunView, tally: RunTally | undefined): string {
  const counts = countsLine(run);
  const seats = tally ? tallyWords(tally, run.status === 'held' || run.dryRun) : '';
  return [counts ? `${counts}.` : '', seats].filter(Boolean).join(' ');
}

/** What a person can do about a failed run, by error kind. */
export const ERROR_ADVICE: Record<string, string> = {
  auth: "The PSA refused the credentials: check them in Settings (an admin). The account waits for new settings or a manual sync.",
  rate_limited: 'The PSA kept asking psa-sync to slow down. It will try again later; if it keeps happening, ask the PSA admin about API limits.',
  network: 'The PSA could not be reached. It will be retried automatically.',
  remote_error: 'The PSA answered with an error. It will be retried automatically; if it persists, check the PSA.',
  bad_response: 'The PSA answered with something unexpected. Support can read the details in the logs.',
  incomplete_read: 'The PSA returned fewer members than it said it has, so nothing was changed. It will be retried.',
  config: 'The account settings are unusable: an admin should correct them in Settings.',
  internal: 'Something failed inside psa-sync; nothing was changed. Support has the error id.',
  interrupted: 'The run was interrupted (a restart); nothing was half-applied. It will be retried.',
};

/** The live status of a run (queued → running → outcome), polled every 2 s until it ends; times in `timeZone`. */
export function runStatusPanel(run: RunView, timeZone?: string, tally?: RunTally): Html {
  const live = run.status === 'queued' || run.status === 'running';
  const attrs = live ? html`hx-get="/runs/${run.id!}/status" hx-trigger="every 2s" hx-swap="outerHTML"` : '';
  const words =
    run.status === 'queued'
      ? 'Sync Members is queued; it starts in a moment.'
      : run.status === 'running'
        ? 'Sync Members is running: reading the PSA and applying changes…'
        : run.status === 'succeeded'
          ? `Sync finished: ${outcomeLine(run, tally)}`
          : run.status === 'held'
            ? `Sync held for an admin's approval: ${run.holdReason ?? ''}`
            : run.status === 'failed'
              ? `Sync failed: ${run.error?.message ?? ''}`
              : `Run ${run.status}.`;
  return html`<div id="run-status" class="card" role="status" aria-live="polite" ${attrs}>
<div class="row">${statusBadge(run.status)} <span>${words}</span></div>
<p class="muted">Started ${when(run.startedAt ?? run.createdAt, timeZone)} by ${actorLabel(run.requestedBy)}. <a href="/runs/${run.id!}">Open the run</a>${live ? html`<span class="nojs"> · <a href="">Reload to update</a></span>` : ''}</p>
</div>`;
}

function changeDetail(c: ChangeView, timeZone?: string): Html {
  const { fields } = changeWords(c, timeZone);
  if (fields.length === 0) return html`<span class="muted">—</span>`;
  return html`${fields.map((f) => html`<div>${f}</div>`)}`;
}

/** The member an entry is about exists (a planned addition's member does not yet, so it gets no link). */
const memberExists = (c: ChangeView): boolean => c.memberId !== null && !(c.state === 'planned' && c.action === 'added');

/**
 * A table of change entries (a run's, a preview's, or a held run's planned ones). `empty` is what
 * an empty list says: "No changes.", or for a narrowed manager, none among the engineers they see.
 */
export function changesTable(changes: ChangeView[], caption: string, accountId: string, opts: { empty?: string; timeZone?: string } = {}): Html {
  if (changes.length === 0) return html`<p class="muted">${opts.empty ?? 'No changes.'}</p>`;
  return html`<div class="table-wrap"><table>
<caption class="visually-hidden">${caption}</caption>
<thead><tr><th scope="col">Member</th><th scope="col">Action</th><th scope="col">Why</th><th scope="col">What changed</th></tr></thead>
<tbody>${changes.map((c) => {
    const words = changeWords(c, opts.timeZone);
    return html`<tr><td>${memberExists(c) ? html`<a href="${href(`/accounts/${accountId}/members/${c.memberId!}`)}">${c.name}</a>` : c.name}<div class="muted">${c.email ?? c.identifier ?? ''}</div></td>
<td>${words.what}</td><td>${words.why}</td><td>${changeDetail(c, opts.timeZone)}</td></tr>`;
  })}</tbody></table></div>`;
}
