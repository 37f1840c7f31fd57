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
