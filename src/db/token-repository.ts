import type { EntityManager } from '@mikro-orm/postgresql';
import { exec } from './sql.js';

type Row = Record<string, any>;

export type Role = 'admin' | 'account_manager' | 'support';
export const ROLES: readonly Role[] = ['admin', 'account_manager', 'support'];

/** A stored token: never the token itself, only its hash. */
export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  accountId: string | null;
  createdAt: Date;
  /** After this the token answers 401; null: it does not expire. */
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

const date = (v: unknown): Date | null => (v == null ? null : new Date(v as string));
const toRecord = (r: Row): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  accountId: r.account_id,
  createdAt: new Date(r.created_at),
  expiresAt: date(r.expires_at),
  lastUsedAt: date(r.last_used_at),
  revokedAt: date(r.revoked_at),
  revokedBy: r.revoked_by ?? null,
});

export async function insertToken(em: EntityManager, t: Pick<TokenRecord, 'id' | 'name' | 'role' | 'accountId' | 'createdAt' | 'expiresAt'> & { tokenHash: string }): Promise<TokenRecord> {
  const [row]: Row[] = await exec(
    em,
    'insert into api_token (id, name, token_hash, role, account_id, created_at, expires_at) values (?, ?, ?, ?, ?, ?, ?) returning *',
    [t.id, t.name, t.tokenHash, t.role, t.accountId, t.createdAt, t.expiresAt],
  );
  return toRecord(row!);
}

/** Tokens, newest first: one account's, or (no account) every token. */
export async function listTokens(em: EntityManager, accountId: string | null): Promise<TokenRecord[]> {
  const rows: Row[] = await exec(em, `select * from api_token ${accountId ? 'where account_id = ?' : ''} order by created_at desc, id`, accountId ? [accountId] : []);
  return rows.map(toRecord);
}

export async function getToken(em: EntityManager, id: string): Promise<TokenRecord | undefined> {
  const rows: Row[] = await exec(em, 'select * from api_token where id = ?', [id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Revokes a token (once: a second revoke keeps the first time and actor). */
export async function revokeToken(em: EntityManager, id: string, by: string, now: Date): Promise<TokenRecord | undefined> {
  const rows: Row[] = await exec(
    em,
    'update api_token set revoked_at = coalesce(revoked_at, ?), revoked_by = coalesce(revoked_by, ?) where id = ? returning *',
    [now, by, id],
  );
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function findTokenByHash(em: EntityManager, tokenHash: string): Promise<TokenRecord | undefined> {
  const rows: Row[] = await exec(em, 'select * from api_token where token_hash = ?', [tokenHash]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Records that a token was used, at most once a minute per token (support can see live tokens). */
export async function touchToken(em: EntityManager, id: string, now: Date): Promise<void> {
  await exec(em, `update api_token set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?::timestamptz - interval '1 minute')`, [now, id, now]);
}
