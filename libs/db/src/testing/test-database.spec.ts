import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './test-database';

describe('createTestDatabase', () => {
  let first: TestDatabase;
  let second: TestDatabase;
  beforeAll(async () => {
    [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    await first.drop();
    await second.drop();
  });

  it('gives each caller its own migrated database on the shared server', async () => {
    expect(first.url).not.toBe(second.url);
    expect(new URL(first.url).port).toBe(new URL(second.url).port);
    const [a] = (await first.dataSource.query('SELECT id FROM plinth_instance')) as { id: string }[];
    const [b] = (await second.dataSource.query('SELECT id FROM plinth_instance')) as { id: string }[];
    expect(a?.id).toBeDefined();
    expect(a?.id).not.toBe(b?.id);
  });

  it('drops the database, so nothing is left behind', async () => {
    const third = await createTestDatabase();
    const name = new URL(third.url).pathname.slice(1);
    await third.drop();
    const rows = (await first.dataSource.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      name,
    ])) as unknown[];
    expect(rows).toEqual([]);
  });
});
