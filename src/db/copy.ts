import type { EntityManager } from '@mikro-orm/postgresql';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value COPY can carry: objects are written as JSON (for json/jsonb columns). */
export type CopyValue = string | number | boolean | Date | null | object;

/** Escapes one value for COPY's text format. */
export function copyText(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  const text = value instanceof Date ? value.toISOString() : typeof value === 'string' ? value : JSON.stringify(value);
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPES, (c) => ESCAPED[c]!) : text;
}

const NEEDS_ESCAPE = /[\\\n\r\t]/;
const ESCAPES = /[\\\n\r\t]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const ROWS_PER_WRITE = 1000;

/**
 * Writes rows with `COPY … FROM STDIN`, PostgreSQL's fastest bulk load (no JSON to parse, no
 * per-row statement), on the connection of the entity manager's current transaction, so the rows
 * commit or roll back with everything else. `table` and `columns` are code, never user input.
 */
export async function copyRows(em: EntityManager, table: string, columns: readonly string[], rows: Iterable<readonly CopyValue[]>): Promise<number> {
  const trx = em.getTransactionContext() as { client?: { acquireConnection(): Promise<PoolClient> } } | undefined;
  if (!trx?.client) throw new Error(`copyRows into ${table} must run inside a transaction`);
  const connection = await trx.client.acquireConnection();
  const sql = `COPY ${table} (${columns.join(', ')}) FROM STDIN`;
  // Let statement observers (the benchmark's counter) see the COPY as they see every other statement.
  (em.getKnex() as unknown as { emit(event: string, data: unknown): void }).emit('query', { sql, bindings: [] });
  const stream = connection.query(copyFrom(sql));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  let count = 0;
  let buffer: string[] = [];
  const flush = async () => {
    if (buffer.length === 0) return;
    const ok = stream.write(buffer.join(''));
    buffer = [];
    if (!ok) await new Promise<void>((resolve) => stream.once('drain', resolve));
  };
  try {
    for (const row of rows) {
      buffer.push(`${row.map(copyText).join('\t')}\n`);
      if (++count % ROWS_PER_WRITE === 0) await flush();
    }
    await flush();
  } catch (err) {
    stream.destroy(err as Error);
    await done.catch(() => undefined);
    throw err;
  }
  stream.end();
  await done;
  return count;
}
