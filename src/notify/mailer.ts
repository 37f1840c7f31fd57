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

/** Sends psa-sync's mail (activation, reset, notifications) through one channel. */
export interface Mailer {
  send(to: string, content: MailContent): Promise<Delivery>;
}

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
    this.#transport = nodemailer.createTransport(smtpUrl);
    this.#label = smtpLabel(smtpUrl);
  }

  async send(to: string, content: MailContent): Promise<Delivery> {
    try {
      const info = await this.#transport.sendMail({ from: this.from, to, subject: content.subject, text: content.text, html: content.html });
      this.logger.info({ purpose: content.purpose, messageId: info.messageId }, 'mail sent');
      return { channel: 'smtp', id: info.messageId };
    } catch (cause) {
      // nodemailer's message can quote the server's reply; never the URL's password.
      const e = cause as { code?: string; responseCode?: number };
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
