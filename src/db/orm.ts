import { MikroORM, defineConfig } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from '../core/logger.js';
import { entities } from './entities.js';
import { migrationsList } from './migrations/index.js';

export type Orm = MikroORM;

export interface OrmOptions {
  url: string;
  logger?: Logger;
  poolMax?: number;
}

/** MikroORM configuration shared by the CLI, the daemon, tests and benchmarks. */
export function ormConfig(options: OrmOptions) {
  return defineConfig({
    clientUrl: options.url,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: options.poolMax ?? 10 },
    allowGlobalContext: false,
    logger: (message: string) => options.logger?.debug({ orm: message }, 'orm'),
    migrations: {
      migrationsList,
      snapshot: false,
      transactional: true,
      allOrNothing: true,
      disableForeignKeys: false,
    },
  });
}

export async function openOrm(options: OrmOptions): Promise<Orm> {
  return MikroORM.init(ormConfig(options));
}

/** Applies pending migrations under an advisory lock, so concurrent starts migrate once. */
export async function migrate(orm: Orm): Promise<string[]> {
  const conn = orm.em.getConnection();
  const knex = conn.getKnex();
  return knex.transaction(async (trx) => {
    await trx.raw('select pg_advisory_xact_lock(hashtext(?))', ['psa-sync:migrate']);
    const migrator = orm.getMigrator();
    const applied = await migrator.up();
    return applied.map((m) => m.name);
  });
}

/** Names of migrations in the list that the database has not applied. */
export async function pendingMigrations(orm: Orm): Promise<string[]> {
  return (await orm.getMigrator().getPendingMigrations()).map((m) => m.name);
}
