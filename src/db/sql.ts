import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs one SQL statement with real bind parameters, inside the entity manager's transaction when
 * it has one. (MikroORM's `em.execute` inlines parameters into the SQL text, which is slow for
 * bulk JSON documents and would copy values into error messages.)
 */
export async function exec<T = Record<string, any>>(em: EntityManager, sql: string, params: readonly unknown[] = []): Promise<T[]> {
  const query = em.getKnex().raw(sql, params as any[]);
  const trx = em.getTransactionContext();
  if (trx) query.transacting(trx);
  const result = (await query) as { rows: T[] };
  return result.rows;
}

/** Rows per bulk statement: large enough to amortise round trips, small enough to bound the JSON text in memory. */
export const BULK_CHUNK = 5000;

/** Runs `write` once per chunk of `rows`, in order. */
export async function inChunks<T>(rows: readonly T[], write: (chunk: readonly T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BULK_CHUNK) await write(rows.slice(i, i + BULK_CHUNK));
}
