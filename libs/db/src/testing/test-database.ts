import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { createDataSource, runMigrations } from '../data-source';

/** A database of its own for one test file, migrated to the latest schema. */
export interface TestDatabase {
  url: string;
  dataSource: DataSource;
  /** Closes the connections and drops the database. */
  drop(): Promise<void>;
}

/**
 * Creates a fresh, migrated database on the run's shared embedded PostgreSQL
 * (see postgres-global-setup.ts). Call in `beforeAll`, and `drop()` in `afterAll`.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = inject('embeddedPostgresUrl');
  const name = `test_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = serverUrl.replace(/\/postgres$/, `/${name}`);
  const dataSource = createDataSource(url, { poolSize: 4, applicationName: 'plinth-test' });
  await dataSource.initialize();
  await runMigrations(dataSource);
  return {
    url,
    dataSource,
    async drop() {
      await dataSource.destroy();
      await withAdmin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
