import type { ChangeView, MemberView, RunView, AccountView } from '../db/views.js';
import type { SurveyEventView } from '../db/survey-repository.js';
import type { TokenView } from '../services/tokens.js';
import type { HeldMail } from '../db/mail-repository.js';
import type { AuditEntry } from '../db/audit-repository.js';
import type { PersonView } from '../db/people-repository.js';
import type { MailOutcome } from '../services/people.js';

function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

const yes = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'no');

export function formatAccounts(accounts: AccountView[]): string {
  if (accounts.length === 0) return 'No accounts yet. Add one with: psa-sync accounts add --name N --integration connectwise --config FILE';
  return table([
    ['ID', 'NAME', 'INTEGRATION', 'SEATS', 'SYNC AT', 'STATE', 'NEXT RUN', 'LAST RUN'],
    ...accounts.map((a) => [
      a.id,
      a.name,
      a.integration,
      a.seatLimit === null ? '-' : String(a.seatLimit),
      a.syncAt ? `${a.syncAt} ${a.timezone}` : `(spread) ${a.timezone}`,
      (a.schedule.state === 'ok' || a.schedule.state === 'not_scheduled' ? a.schedule.state : `${a.schedule.state} (${a.schedule.consecutiveFailures} failures)`) +
        (a.schedule.stale ? `, STALE: no complete sync since ${a.schedule.lastCompleteSyncAt ?? 'it was added'}` : '') +
        (a.noAdmin ? ', no admin' : ''),
      a.schedule.state === 'not_scheduled' ? '-' : (a.schedule.nextAttemptAt ?? 'after new settings or a manual sync'),
      a.lastRun ? `${a.lastRun.status}${a.lastRun.error ? ` (${a.lastRun.error.kind})` : ''} ${a.lastRun.finishedAt ?? ''}`.trim() : 'never',
    ]),
  ]);
}

export function formatAccount(a: AccountView): string {
  return [
    `Account ${a.id}`,
    `  name:        ${a.name}`,
    `  integration: ${a.integration}`,
    `  settings:    ${JSON.stringify(a.settings)}`,
    `  seat limit:  ${a.seatLimit ?? 'none'}`,
    `  survey key:  ${a.publicKey}${a.requireSignedLinks ? ' (signed links only)' : ''}`,
    `  state:       ${a.schedule.state}${a.schedule.blockedReason ? ` — ${a.schedule.blockedReason}` : ''}`,
    `  next run:    ${a.schedule.state === 'not_scheduled' ? 'none (no PSA to sync)' : (a.schedule.nextAttemptAt ?? 'after new settings or a manual sync')}`,
  ].join('\n');
}

export function formatMembers(members: MemberView[]): string {
  if (members.length === 0) return 'No members in this list.';
  return table([
    ['ID', 'PSA ID', 'IDENTIFIER', 'NAME', 'EMAIL', 'ACTIVE', 'LIST', 'WHY INACTIVE'],
    ...members.map((m) => [m.id, m.externalId ?? '-', m.identifier ?? '-', m.name, m.email ?? '-', m.active ? '[x]' : '[ ]', m.list, m.inactiveReason ?? '']),
  ]);
}

function formatChange(c: ChangeView): string {
  const who = `${c.name}${c.identifier ? ` (${c.identifier})` : ''}${c.externalId ? ` psa:${c.externalId}` : ''}${c.memberId ? ` id:${c.memberId}` : ''}`;
  const fields = c.changes.map((f) => `${f.field}: ${JSON.stringify(f.before)} → ${JSON.stringify(f.after)}`).join(', ');
  const note = NOTES[c.reason] ? ` — ${NOTES[c.reason]}` : '';
  const event = c.surveyEventId ? ` (survey event ${c.surveyEventId})` : '';
  return `  ${c.state === 'planned' ? '(planned) ' : ''}${c.action} [${c.reason}] ${who}${fields ? ` — ${fields}` : ''}${note}${event}`;
}

/** Words for reasons that ask a person to act. */
const NOTES: Record<string, string> = {
  disabled_in_psa: 'disabled in HaloPSA — deactivate by hand?',
  kept_inactive_by_admin: 'kept inactive by admin',
  out_of_scope: 'outside the sync scope',
  new_out_of_scope: 'new, outside the sync scope',
  back_in_scope: 'inside the sync scope again',
};

export function formatRun(run: RunView, changes?: ChangeView[]): string {
  const lines = [
    `${run.dryRun ? 'Preview (dry run, nothing applied)' : `Run ${run.id}`}: ${run.status}`,
    `  account: ${run.accountId}   trigger: ${run.trigger}   requested by: ${run.requestedBy}`,
    `  started: ${run.startedAt ?? '-'}   finished: ${run.finishedAt ?? '-'}`,
  ];
  if (run.counts) {
    const c = run.counts;
    lines.push(
      `  fetched ${c.fetched}, added ${c.added}, updated ${c.updated}, deactivated ${c.deactivated}, moved to inactive ${c.movedToInactive}, reactivated ${c.reactivated}, unchanged ${c.unchanged}, kept inactive by admin ${c.keptInactiveByAdmin}, skipped ${c.skipped}` +
        (c.flaggedDisabled ? `, disabled in the PSA (deactivate by hand?) ${c.flaggedDisabled}` : '') +
        (c.outOfScope ? `, out of scope ${c.outOfScope}` : ''),
    );
  }
  if (run.holdReason) lines.push(`  ${run.dryRun ? 'would be held' : 'held'}: ${run.holdReason}`);
  if (run.error) lines.push(`  error (${run.error.kind}): ${run.error.message}`);
  if (run.decidedBy) lines.push(`  decided by ${run.decidedBy} at ${run.decidedAt}`);
  if (changes && changes.length > 0) {
    lines.push('  changes:');
    lines.push(...changes.map(formatChange));
  }
  return lines.join('\n');
}

export function formatRuns(runs: RunView[]): string {
  if (runs.length === 0) return 'No runs yet.';
  return table([
    ['ID', 'TRIGGER', 'STATUS', 'STARTED', 'ADDED', 'DEACTIVATED', 'ERROR'],
    ...runs.map((r) => [r.id ?? '-', r.trigger, r.status, r.startedAt ?? '-', String(r.counts?.added ?? '-'), String(r.counts?.deactivated ?? '-'), r.error ? `${r.error.kind}: ${r.error.message}` : '']),
  ]);
}

export function formatExplain(member: MemberView, history: ChangeView[]): string {
  const lines = [
    `${member.name} (${member.id})`,
    `  PSA id: ${member.externalId ?? '-'}   identifier: ${member.identifier ?? '-'}   email: ${member.email ?? '-'}`,
    `  Active: ${yes(member.active)}   list: ${member.list}   active in PSA: ${yes(member.psaActive)}   why inactive: ${member.inactiveReason ?? '-'}   unchecked by admin: ${yes(member.adminInactive)}`,
    `  first seen ${member.firstSeenAt}, last seen ${member.lastSeenAt}`,
    'History (oldest first):',
    ...history.map((c) => `${c.createdAt} by ${c.actor}${c.runId ? ` (run ${c.runId})` : ''}\n${formatChange(c)}`),
  ];
  return lines.join('\n');
}

export function formatSurveyEvents(events: SurveyEventView[]): string {
  if (events.length === 0) return 'No survey events.';
  return table([
    ['ID', 'WHEN', 'TICKET', 'RATING', 'AGENT', 'MEMBER', 'MATCH', 'CLIENT', 'COMMENT'],
    ...events.map((e) => [
      e.id,
      e.updatedAt,
      e.ticket.startsWith('no-ticket:') ? '-' : e.ticket,
      String(e.rating),
      [e.agent.id && `id ${e.agent.id}`, e.agent.identifier, e.agent.email, e.agent.name].filter(Boolean).join(' / '),
      e.memberId ?? '-',
      e.matchedBy ?? `unmatched: ${e.unmatchedReason}`,
      e.client ?? '-',
      // One line per event: a comment's line breaks are shown as spaces, long ones cut (--json has it whole).
      e.comment ? (e.comment.length > 60 ? `${e.comment.slice(0, 59)}…` : e.comment).replace(/\s+/g, ' ') : '-',
    ]),
  ]);
}

export function formatTokens(tokens: TokenView[]): string {
  if (tokens.length === 0) return 'No tokens. Create one with: psa-sync tokens create --role admin --account ACCOUNT';
  const when = (d: Date | null) => (d ? d.toISOString() : '-');
  return table([
    ['ID', 'NAME', 'ROLE', 'ACCOUNT', 'STATE', 'CREATED', 'EXPIRES', 'LAST USED'],
    ...tokens.map((t) => [
      t.id,
      t.name,
      t.role,
      t.accountId ?? '(all accounts)',
      t.state === 'revoked' ? `revoked ${when(t.revokedAt)} by ${t.revokedBy}` : t.state,
      when(t.createdAt),
      when(t.expiresAt),
      when(t.lastUsedAt),
    ]),
  ]);
}

export function formatHeldMail(held: HeldMail[], smtpConfigured: boolean): string {
  const note = smtpConfigured ? 'SMTP_URL is set now, so new messages are sent, not held.' : 'No SMTP_URL is set: messages are held here instead of sent.';
  if (held.length === 0) return `The outbox is empty. ${note}`;
  const blocks = held.map((m) => [`To: ${m.to}`, `Subject: ${m.subject}`, `Date: ${m.createdAt}`, `Purpose: ${m.purpose}`, '', m.text.trimEnd()].join('\n'));
  return [note, '', blocks.join('\n\n----------------------------------------\n\n')].join('\n');
}

export function formatAudit(entries: AuditEntry[]): string {
  if (entries.length === 0) return 'No admin actions recorded yet.';
  const show = (v: unknown) => (v === null || v === undefined ? '-' : JSON.stringify(v));
  return table([
    ['WHEN', 'WHO', 'ACTION', 'TARGET', 'BEFORE', 'AFTER', 'REASON'],
    ...entries.map((e) => [e.createdAt, e.actor, e.action, `${e.target.type}${e.target.id ? ` ${e.target.id}` : ''}`, show(e.before), show(e.after), e.reason ?? '-']),
  ]);
}

/** What an account manager sees, in words: "all", or e.g. "3 chosen members; all clients but 2". */
function sees(p: PersonView): string {
  const part = (c: PersonView['scope']['members'], what: string) => (c === null ? null : 'include' in c ? `${c.include.length} chosen ${what}` : `all ${what} but ${c.exclude.length}`);
  const parts = [part(p.scope.members, 'members'), part(p.scope.clients, 'clients')].filter(Boolean);
  return parts.length === 0 ? 'all' : parts.join('; ');
}

export function formatPeople(people: PersonView[]): string {
  if (people.length === 0) return 'No people yet. Invite one with: psa-sync people invite ACCOUNT --member MEMBER --role admin';
  return table([
    ['ID', 'NAME', 'EMAIL', 'ROLE', 'STATE', 'MEMBER', 'SEES', 'INVITATION EXPIRES'],
    ...people.map((p) => [p.id, p.name, p.email, p.role, p.state, p.memberId ?? '-', sees(p), p.invitationExpiresAt ?? '-']),
  ]);
}

/** What happened to an invitation's email, in words that say what to do next. */
export function formatInvited(p: PersonView, mail: MailOutcome, resent = false): string {
  const head = `${resent ? 'Invitation resent to' : 'Invited'} ${p.name} <${p.email}> as ${p.role} (person ${p.id}).`;
  if (!mail.sent) return `${head}\nThe activation email was NOT sent: ${mail.error}\nFix the mail settings, then: psa-sync people resend ${p.accountId ?? ''} ${p.id}`.replace('  ', ' ');
  if (mail.channel === 'outbox') return `${head}\nNo SMTP_URL is set: the activation link is in the outbox (psa-sync mail outbox --to ${p.email}). It works once, for 7 days.`;
  return `${head}\nThe activation email is sent; its link works once, for 7 days.`;
}
