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
