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
}

const toRecord = (r: Row): TokenRecord => ({ id: r.id, name: r.name, role: r.role, accountId: r.account_id, createdAt: r.created_at });

export async function insertToken(em: EntityManager, t: TokenRecord & { tokenHash: string }): Promise<TokenRecord> {
  const [row]: Row[] = await exec(
    em,
    'insert into api_token (id, name, token_hash, role, account_id, created_at) values (?, ?, ?, ?, ?, ?) returning *',
    [t.id, t.name, t.tokenHash, t.role, t.accountId, t.createdAt],
  );
  return toRecord(row!);
}

export async function findTokenByHash(em: EntityManager, tokenHash: string): Promise<TokenRecord | undefined> {
  const rows: Row[] = await exec(em, 'select * from api_token where token_hash = ?', [tokenHash]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/** Records that a token was used, at most once a minute per token (support can see live tokens). */
export async function touchToken(em: EntityManager, id: string, now: Date): Promise<void> {
  await exec(em, `update api_token set last_used_at = ? where id = ? and (last_used_at is null or last_used_at < ?::timestamptz - interval '1 minute')`, [now, id, now]);
}
