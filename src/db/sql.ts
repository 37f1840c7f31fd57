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

/** The node-postgres client knex hands out from its pool. */
interface PgConnection {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs one hot statement as a named prepared statement (`$1`-style parameters), outside any
 * transaction: PostgreSQL plans it once per connection instead of at every call, which for a
 * statement like the survey click's (a few index lookups and an upsert) is most of its cost.
 */
export async function execPrepared<T = Record<string, any>>(em: EntityManager, name: string, sql: string, params: readonly unknown[]): Promise<T[]> {
  if (em.getTransactionContext()) return exec<T>(em, sql.replace(/\$\d+/g, '?'), orderedParams(sql, params));
  const client = em.getKnex().client as { acquireConnection(): Promise<PgConnection>; releaseConnection(c: PgConnection): Promise<void> };
  const connection = await client.acquireConnection();
  try {
    return (await connection.query({ name, text: sql, values: params })).rows as T[];
  } catch (err) {
    // A migration by another replica changed a table under this connection's prepared plan
    // ("cached plan must not change result type"): run it unprepared this once.
    if ((err as { code?: string }).code !== '0A000') throw err;
    return exec<T>(em, sql.replace(/\$\d+/g, '?'), orderedParams(sql, params));
  } finally {
    await client.releaseConnection(connection);
  }
}

/** `$n` parameters as `?` placeholders take the values in order of appearance. */
function orderedParams(sql: string, params: readonly unknown[]): unknown[] {
  return [...sql.matchAll(/\$(\d+)/g)].map((m) => params[Number(m[1]) - 1]);
}
