import type { EntityManager } from '@mikro-orm/postgresql';
import { exec } from './sql.js';
import { iso } from './views.js';

type Row = Record<string, any>;

/** A message held in the outbox. */
export interface HeldMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  purpose: string;
  createdAt: string;
}

const toHeld = (r: Row): HeldMail => ({ id: r.id, to: r.to_address, subject: r.subject, text: r.text_body, html: r.html_body, purpose: r.purpose, createdAt: iso(r.created_at)! });

export async function holdMail(em: EntityManager, m: Omit<HeldMail, 'createdAt'>, now: Date): Promise<void> {
  await exec(em, 'insert into mail_outbox (id, to_address, subject, text_body, html_body, purpose, created_at) values (?, ?, ?, ?, ?, ?, ?)', [m.id, m.to, m.subject, m.text, m.html, m.purpose, now]);
}

/** Held messages, newest first; only those to `to` (case-insensitive) when given. */
export async function listHeldMail(em: EntityManager, to?: string, limit = 100): Promise<HeldMail[]> {
  const rows: Row[] = await exec(em, `select * from mail_outbox ${to ? 'where lower(to_address) = lower(?)' : ''} order by created_at desc, id limit ?`, to ? [to, limit] : [limit]);
  return rows.map(toHeld);
}
