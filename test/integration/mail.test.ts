import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_SECRET_KEY } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/db.js';

/** Mail (issue 10, item 9): a real SMTP server on 127.0.0.1, or the outbox when none is set. */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let smtp: SMTPServer;
let port: number;
const received: ParsedMail[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  smtp = new SMTPServer({
    authOptional: false,
    disabledCommands: ['STARTTLS'],
    onAuth: (auth, _session, callback) => (auth.username === 'mailer' && auth.password === 's3cret-smtp-pass' ? callback(null, { user: 'mailer' }) : callback(new Error('Invalid username or password'))),
    onData: (stream, _session, callback) => {
      simpleParser(stream).then((mail) => {
        received.push(mail);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  port = (smtp.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  await db.drop();
});

const env = (extra: Record<string, string> = {}) => ({ DATABASE_URL: db.url, PSA_SYNC_SECRET_KEY: TEST_SECRET_KEY, PSA_SYNC_PUBLIC_URL: 'https://reviews.example.test', ...extra });

describe('mail', () => {
  it('with SMTP_URL, psa-sync mail test delivers a text and HTML message with the public URL', async () => {
    const res = await runCli(['mail', 'test', '--to', 'ops@acme.test'], env({ SMTP_URL: `smtp://mailer:s3cret-smtp-pass@127.0.0.1:${port}`, PSA_SYNC_MAIL_FROM: 'Reviews <reviews@acme.test>' }));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`Sent to ops@acme.test through smtp://127.0.0.1:${port}`);
    expect(res.stdout + res.stderr).not.toContain('s3cret-smtp-pass');
    const mail = received.at(-1)!;
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toBe('ops@acme.test');
    expect(mail.from?.value[0]).toMatchObject({ name: 'Reviews', address: 'reviews@acme.test' });
    expect(mail.subject).toBe('psa-sync can send you mail');
    expect(mail.text).toContain('https://reviews.example.test/');
    expect(mail.html).toContain('href="https://reviews.example.test/"');
  });

  it('a refused SMTP login is a one-line error that names the server, never the password', async () => {
    const res = await runCli(['mail', 'test', '--to', 'ops@acme.test'], env({ SMTP_URL: `smtp://mailer:wrong-pass-123@127.0.0.1:${port}` }));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`^psa-sync: could not send mail through smtp://127\\.0\\.0\\.1:${port}: EAUTH`));
    expect(res.stderr).not.toContain('wrong-pass-123');
  });

  it('without SMTP_URL, messages are held in the outbox and psa-sync mail outbox prints them, by recipient', async () => {
    expect((await runCli(['mail', 'test', '--to', 'first@acme.test'], env())).stdout).toContain('in the outbox');
    await runCli(['mail', 'test', '--to', 'Second@Acme.test'], env());
    const all = await runCli(['--json', 'mail', 'outbox'], env());
    expect((JSON.parse(all.stdout) as { to: string }[]).map((m) => m.to)).toEqual(['Second@Acme.test', 'first@acme.test']);
    const one = await runCli(['mail', 'outbox', '--to', 'second@acme.test'], env());
    expect(one.stdout).toContain('To: Second@Acme.test');
    expect(one.stdout).toContain('Subject: psa-sync can send you mail');
    expect(one.stdout).toContain('https://reviews.example.test/');
    expect(one.stdout).not.toContain('first@acme.test');
    const bad = await runCli(['mail', 'test', '--to', 'not-an-address'], env());
    expect(bad.code).toBe(2);
  });

  it('refuses an SMTP_URL that is not one, naming the variable', async () => {
    const res = await runCli(['mail', 'outbox'], env({ SMTP_URL: 'mail.example.com:25' }));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
  });
});
