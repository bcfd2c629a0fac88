import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { pendingMigrations, runMigrations } from '../data-source';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());

  it('leave nothing pending and are idempotent', async () => {
    expect(await pendingMigrations(db.dataSource)).toEqual([]);
    expect(await runMigrations(db.dataSource)).toEqual([]);
  });

  it('produce exactly the schema the entities describe (TypeORM finds nothing to change)', async () => {
    const sql = await db.dataSource.driver.createSchemaBuilder().log();
    expect(sql.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('revert cleanly, down to an empty schema and up again', async () => {
    const count = (await db.dataSource.query(`SELECT count(*)::int AS n FROM plinth_migrations`)) as {
      n: number;
    }[];
    for (let i = 0; i < count[0]!.n; i++) await db.dataSource.undoLastMigration({ transaction: 'each' });
    expect(await pendingMigrations(db.dataSource)).toHaveLength(count[0]!.n);
    const tables = (await db.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'plinth_migrations'`,
    )) as unknown[];
    expect(tables).toEqual([]);
    expect((await runMigrations(db.dataSource)).length).toBe(count[0]!.n);
  });
});
