import { randomUUID } from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Clock } from '../core/clock.js';
import { AppError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { holdMail } from '../db/mail-repository.js';
import type { Orm } from '../db/orm.js';
import type { MailContent } from './templates.js';

/** Where a message went: the SMTP server, or the outbox (no SMTP_URL). */
export interface Delivery {
  channel: 'smtp' | 'outbox';
  id: string;
}

/** How a send is bounded. */
export interface SendOptions {
  /** Abandons the send (the SMTP connection is closed) when it aborts. */
  signal?: AbortSignal;
}

/** Sends psa-sync's mail (activation, reset, notifications) through one channel. */
export interface Mailer {
  send(to: string, content: MailContent, options?: SendOptions): Promise<Delivery>;
}

/**
 * SMTP time limits. Each phase is bounded (nodemailer's defaults are 2 min to connect and 10 min
 * of silence), and a whole send ends within SEND_DEADLINE_MS unless the caller bounds it tighter:
 * the notification worker ends each send well inside its delivery claim (notify/worker.ts), so a
 * slow server can never make two workers send the same message.
 */
export const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000, dnsTimeout: 5_000 } as const;
export const SEND_DEADLINE_MS = 30_000;

/** `smtp://user:pass@host:587` without its password, for messages and logs. */
export function smtpLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}`;
  } catch {
    return 'the SMTP server';
  }
}

/** Through an SMTP server (nodemailer), from `SMTP_URL`. */
export class SmtpMailer implements Mailer {
  readonly #transport: Transporter;
  readonly #label: string;

  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly logger: Logger,
  ) {
    this.#transport = nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS });
    this.#label = smtpLabel(smtpUrl);
  }

  async send(to: string, content: MailContent, options: SendOptions = {}): Promise<Delivery> {
    const signal = AbortSignal.any([AbortSignal.timeout(SEND_DEADLINE_MS), ...(options.signal ? [options.signal] : [])]);
    try {
      // nodemailer 10 closes the connection when `signal` aborts (its types do not list the option yet).
      const info = await this.#transport.sendMail({ from: this.from, to, subject: content.subject, text: content.text, html: content.html, signal } as Parameters<Transporter['sendMail']>[0]);
      this.logger.info({ purpose: content.purpose, messageId: info.messageId }, 'mail sent');
      return { channel: 'smtp', id: info.messageId };
    } catch (cause) {
      // nodemailer's message can quote the server's reply; never the URL's password.
      const e = cause as { code?: string; responseCode?: number };
      if (e.code === 'EABORT') throw new AppError('mail_failed', `sending mail through ${this.#label} took too long and was abandoned`, { cause });
      throw new AppError('mail_failed', `could not send mail through ${this.#label}: ${e.code ?? 'error'}${e.responseCode ? ` (${e.responseCode})` : ''}; check SMTP_URL and that the server accepts this sender (PSA_SYNC_MAIL_FROM)`, { cause });
    }
  }
}

/** No SMTP server configured: messages are kept in the outbox for `psa-sync mail outbox`. */
export class OutboxMailer implements Mailer {
  constructor(
    private readonly orm: Orm,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async send(to: string, content: MailContent): Promise<Delivery> {
    const id = randomUUID();
    await holdMail(this.orm.em.fork(), { id, to, subject: content.subject, text: content.text, html: content.html, purpose: content.purpose }, this.clock.now());
    this.logger.info({ purpose: content.purpose, outboxId: id }, 'mail held in the outbox (no SMTP_URL); see psa-sync mail outbox');
    return { channel: 'outbox', id };
  }
}
