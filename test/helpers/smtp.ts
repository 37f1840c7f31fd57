import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server on 127.0.0.1 that keeps what it receives, for tests that read mailed links. */
export async function startSmtp(): Promise<{ url: string; received: ParsedMail[]; next(to: string, timeoutMs?: number): Promise<ParsedMail>; find(to: string, subject: string, timeoutMs?: number): Promise<ParsedMail>; close(): Promise<void> }> {
  const received: ParsedMail[] = [];
  const waiters: (() => void)[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData: (stream, _session, callback) => {
      simpleParser(stream).then((mail) => {
        received.push(mail);
        waiters.splice(0).forEach((w) => w());
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as AddressInfo).port;
  const toOf = (m: ParsedMail) => (m.to && 'text' in m.to ? m.to.text : '');
  const seen = new Set<ParsedMail>();
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** The next message to `to` not yet returned by `next`. */
    async next(to, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = received.find((m) => !seen.has(m) && toOf(m) === to);
        if (mail) return seen.add(mail), mail;
        if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms (received: ${received.map(toOf).join(', ') || 'none'})`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    /** The first message to `to` whose subject contains `subject` (waiting for it). */
    async find(to, subject, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = received.find((m) => toOf(m) === to && (m.subject ?? '').includes(subject));
        if (mail) return mail;
        if (Date.now() > deadline) throw new Error(`no mail to ${to} about "${subject}" within ${timeoutMs} ms (subjects: ${received.filter((m) => toOf(m) === to).map((m) => m.subject).join(' | ') || 'none'})`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    close: () => new Promise<void>((resolve) => smtp.close(() => resolve())),
  };
}

/** The link in a mail's text that starts with `prefix`, and its token (the last path segment). */
export function linkIn(mail: ParsedMail, prefix: string): { url: string; token: string } {
  const url = (mail.text ?? '').split(/\s+/).find((w) => w.startsWith(prefix));
  if (!url) throw new Error(`no link starting ${prefix} in: ${mail.text}`);
  return { url, token: url.slice(prefix.length) };
}
