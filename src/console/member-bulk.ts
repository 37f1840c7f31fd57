import { html, type Html } from './html.js';
import { csrfField, layout, type Viewer } from './layout.js';
import { plural } from './words.js';

type Query = Record<string, string | undefined>;

/** How each filter of the members view reads in words; a filter not named here reads as "key: value". */
const FILTER_WORDS: Record<string, (value: string) => string> = {
  q: (v) => `name or email contains “${v}”`,
  active: (v) => (v === 'true' ? 'Active' : 'not Active'),
  source: (v) => `source ${v}`,
  role: (v) => (v === 'none' ? 'no sign-in' : `role ${v.replace('_', ' ')}`),
  department: (v) => `department “${v}”`,
  location: (v) => `location “${v}”`,
};
const LIST_WORDS: Record<string, string> = { staff: 'All Staff', inactive: 'Inactive Synced Members', all: 'both lists' };

/** A members view (its list and filters, not its sort or page) in words: "All Staff · name or email contains “ann”". */
export function viewWords(view: Query): string {
  const filters = Object.entries(view)
    .filter(([k, v]) => v && !['list', 'sort', 'order', 'cursor'].includes(k))
    .map(([k, v]) => (FILTER_WORDS[k] ?? ((x: string) => `${k}: ${x}`))(v!));
  return [LIST_WORDS[view.list ?? 'staff'] ?? view.list, ...filters].join(' · ');
}

/** How many names a confirmation lists before "and N more". */
const NAMES_SHOWN = 20;

/**
 * "Uncheck every member matching this view?": the step before a bulk uncheck of all matching
 * members, without scripts — who and how many, then the real action (the same form, confirmed).
 */
export function confirmBulkPage(v: Viewer, fields: Record<string, unknown>, view: Query, matching: { total: number; activeCount: number; names: string[] }, back: string): Html {
  const accountId = v.account!.id;
  const more = matching.total - matching.names.length;
  const hidden = Object.entries(fields).filter((e): e is [string, string] => typeof e[1] === 'string' && !['_csrf', 'confirm', 'reason', 'memberIds'].includes(e[0]));
  return layout(
    v,
    `Uncheck ${plural(matching.total, 'member')}?`,
    html`<div class="card"><p>This unchecks Active on every member matching <strong>${viewWords(view)}</strong>: ${plural(matching.total, 'member')} now, ${matching.activeCount} of them Active.</p>
<p>Unchecked members stop counting as Active and stay unchecked after syncs until an admin checks them again. Anyone among them who signs in is suspended; the last admin who can sign in is skipped.</p>
${matching.names.length > 0 ? html`<ul class="names">${matching.names.map((n) => html`<li>${n}</li>`)}</ul>${more > 0 ? html`<p class="muted">…and ${plural(more, 'more member')}.</p>` : ''}` : ''}</div>
<form class="card" method="post" action="/accounts/${accountId}/members/bulk">${csrfField(v)}
${hidden.map(([k, val]) => html`<input type="hidden" name="${k}" value="${val}">`)}<input type="hidden" name="confirm" value="yes">
<label for="confirm-reason">Reason (optional, kept in the audit trail)</label><input type="text" id="confirm-reason" name="reason" maxlength="500" value="${typeof fields.reason === 'string' ? fields.reason : ''}">
<div class="row actions"><button type="submit" class="danger">Uncheck ${plural(matching.total, 'member')}</button> <a href="${back}">Cancel, back to the members</a></div></form>`,
  );
}
