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

/** The activation email: a link valid 7 days, usable once, that sets a password and signs in. */
export function activationMail(input: { name: string; role: string; accountName: string | null; link: string; expiresAt: Date }): MailContent {
  const title = input.accountName ? `You have been invited to ${input.accountName} on psa-sync` : 'You have been invited to psa-sync support';
  const lines = [
    `Hello ${input.name},`,
    input.accountName ? `You have been given access as ${ROLE_WORDS[input.role] ?? input.role} of ${input.accountName}.` : 'You have been given support access to every account.',
    `Choose a password with the link below to sign in. It works once, until ${input.expiresAt.toUTCString()}; if it has expired, ask for a new one.`,
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
