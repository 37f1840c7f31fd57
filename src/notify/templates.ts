/** A message in plain text and HTML, with the purpose it serves (for the outbox and logs). */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
  purpose: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A plain, readable HTML body: one heading, paragraphs, and at most one button-like link. */
function html(title: string, paragraphs: string[], link?: { href: string; label: string }): string {
  const body = paragraphs.map((p) => `<p style="margin:0 0 12px">${escapeHtml(p)}</p>`).join('');
  const button = link
    ? `<p style="margin:20px 0"><a href="${escapeHtml(link.href)}" style="display:inline-block;padding:10px 18px;background:#1f6feb;color:#fff;border-radius:4px;text-decoration:none">${escapeHtml(link.label)}</a></p><p style="margin:0 0 12px;color:#555;font-size:13px">${escapeHtml(link.href)}</p>`
    : '';
  return `<!doctype html><html lang="en"><body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2933;max-width:36rem;margin:24px auto"><h1 style="font-size:20px">${escapeHtml(title)}</h1>${body}${button}<p style="color:#888;font-size:12px">Sent by psa-sync</p></body></html>`;
}

/** `psa-sync mail test`: proves the mail channel works end to end. */
export function testMail(publicUrl: string): MailContent {
  const title = 'psa-sync can send you mail';
  const lines = ['This is a test message from psa-sync. If you can read it, activation links and notifications will reach you too.'];
  return {
    subject: title,
    text: `${title}\n\n${lines.join('\n\n')}\n\nThe console: ${publicUrl}/\n`,
    html: html(title, lines, { href: `${publicUrl}/`, label: 'Open the console' }),
    purpose: 'test',
  };
}

const ROLE_WORDS: Record<string, string> = { admin: 'an admin', account_manager: 'an account manager', employee: 'an employee', support: 'support' };

/** "Monday 8 June 2026, 22:00 (Pacific/Auckland)": an instant as a person in `timeZone` reads it. */
export function dateTimeIn(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.day} ${parts.month} ${parts.year}, ${parts.hour}:${parts.minute} (${timeZone})`;
}

/**
 * The activation email: a link valid `validDays` (7), usable once, that sets a password and signs
 * in. Says until when, in the account's time zone (UTC for support).
 */
export function activationMail(input: { name: string; role: string; accountName: string | null; link: string; expiresAt: Date; validDays: number; timeZone: string }): MailContent {
  const title = input.accountName ? `You have been invited to ${input.accountName} on psa-sync` : 'You have been invited to psa-sync support';
  const lines = [
    `Hello ${input.name},`,
    input.accountName ? `You have been given access as ${ROLE_WORDS[input.role] ?? input.role} of ${input.accountName}.` : 'You have been given support access to every account.',
    // Support belongs to no account: their invitation comes from whoever runs psa-sync.
    `Choose a password with the link below to sign in. The link is valid for ${input.validDays} days, until ${dateTimeIn(input.expiresAt, input.timeZone)}, and works once; if it has expired, ask ${input.accountName ? 'an admin of your account' : 'the psa-sync operator'} (or use "Forgot your password?" on the sign-in page) for a new one.`,
  ];
  return {
    subject: title,
    text: `${title}\n\n${lines.join('\n\n')}\n\n${input.link}\n`,
    html: html(title, lines, { href: input.link, label: 'Set your password' }),
    purpose: 'activation',
  };
}

/** The password reset email: a link valid 1 hour. */
export function resetMail(input: { name: string; link: string; expiresAt: Date }): MailContent {
  const title = 'Reset your psa-sync password';
  const lines = [
    `Hello ${input.name},`,
    `Someone asked to reset the password of this email address. The link below lets you choose a new one; it works once, until ${input.expiresAt.toUTCString()}.`,
    'If it was not you, ignore this message: your password stays as it is.',
  ];
  return {
    subject: title,
    text: `${title}\n\n${lines.join('\n\n')}\n\n${input.link}\n`,
    html: html(title, lines, { href: input.link, label: 'Choose a new password' }),
    purpose: 'reset',
  };
}

/** What each event says to a person, and where in the console to act on it. */
export function eventMail(input: { event: string; accountName: string | null; accountId: string | null; payload: Record<string, any>; publicUrl: string }): MailContent {
  const { event, payload: p, publicUrl } = input;
  const account = input.accountName ?? 'an account';
  const accountUrl = input.accountId ? `${publicUrl}/accounts/${input.accountId}` : `${publicUrl}/`;
  const runUrl = p.runId ? `${publicUrl}/runs/${p.runId}` : accountUrl;
  const words: Record<string, [string, string[], string, string]> = {
    'run.held':
      p.holdKind === 'scope_matches_nobody'
        ? [`${account}: the sync scope matches nobody`, [`A sync was held before applying: ${p.holdReason ?? ''}`, 'Nothing has changed, and this run can never be approved. Widen the sync scope in Settings, then reject the held run.'], `${accountUrl}/settings/scope`, 'Open the sync scope']
        : [`${account}: a sync is waiting for your approval`, [`A sync was held before applying: ${p.holdReason ?? ''}`, 'Nothing has changed yet. Read the planned changes, then approve or reject the run.'], runUrl, 'Review the held run'],
    'run.failed': [`${account}: Sync Members is failing`, [`The last sync failed: ${p.error?.message ?? 'unknown error'}`, 'Nothing was changed. psa-sync retries on its own; this is the only email for this run of failures.'], runUrl, 'Open the run'],
    'account.auth_blocked': [`${account}: the PSA refused psa-sync's credentials`, [`${p.blockedReason ?? 'The PSA rejected the credentials.'}`, 'Syncing waits until an admin enters new credentials in Settings.'], `${accountUrl}/settings`, 'Open Settings'],
    'account.stale': [`${account}: no complete sync for 48 hours`, [`The last complete read of the PSA was ${p.lastCompleteSyncAt ?? 'never'}. The staff lists may be out of date.`], accountUrl, 'Open the account'],
    'account.no_admin': [`${account} has no admin who can sign in`, ['The account\'s last admin who could sign in lost their sign-in: their member is not Active (they left the company, or were made inactive in the PSA). Admins only invited, who never set a password, do not count. Name a new first admin for the account.'], accountUrl, 'Open the account'],
    'seats.limit_reached': [`${account}: the seat limit is reached`, [`A member could not be made Active because the seat limit of ${p.seatLimit ?? '?'} Active members is reached. Uncheck someone, or raise the plan's limit.`], `${accountUrl}/members`, 'Open the members'],
    'members.auto_added': [`${account}: ${p.count ?? 0} members added from survey activity`, [`On ${p.day ?? 'the last day'}, survey ratings named people psa-sync did not know, so it added them:`, ...((p.members as { name: string; email: string | null }[] | undefined) ?? []).slice(0, 50).map((m) => `• ${m.name}${m.email ? ` <${m.email}>` : ''}`)], `${accountUrl}/members?source=survey`, 'Review them'],
    'webhook.disabled': [`${account}: a webhook was disabled`, [`psa-sync stopped calling ${p.url ?? 'a webhook'}: ${p.reason ?? ''}`, 'Fix the receiver, then add it again in Settings.'], `${accountUrl}/settings`, 'Open Settings'],
    'webhook.test': [`${account}: test event`, ['This is a test event from psa-sync.'], accountUrl, 'Open the account'],
  };
  const [title, lines, href, label] = words[event] ?? [`${account}: ${event}`, [JSON.stringify(p)], accountUrl, 'Open the console'];
  return { subject: title, text: `${title}\n\n${lines.join('\n\n')}\n\n${label}: ${href}\n`, html: html(title, lines, { href, label }), purpose: event };
}
