import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openOrm, type Orm } from '../../src/db/orm.js';
import { createTestDatabase, query } from '../helpers/db.js';

/** The entities (src/db/entities.ts) are the schema's source of truth; the migrations must build exactly that. */
describe('schema: entities vs migrations', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let orm: Orm;
  beforeAll(async () => {
    db = await createTestDatabase();
    orm = await openOrm({ url: db.url, poolMax: 2 });
  });
  afterAll(async () => {
    await orm?.close(true);
    await db?.drop();
  });

  it('after every migration, the schema diff against the entities is empty', async () => {
    const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });

  it('the check sees drift: a missing index or check constraint shows in the diff', async () => {
    await query(db.url, 'drop index person_email_uq');
    await query(db.url, 'alter table member drop constraint member_list_check');
    const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
    expect(diff).toContain('person_email_uq');
    expect(diff).toContain('member_list_check');
  });
});
