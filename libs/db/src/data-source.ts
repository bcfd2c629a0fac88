import { DataSource, type Migration } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/**
 * Builds (does not connect) the TypeORM DataSource for a PostgreSQL URL.
 * Schema changes come only from explicit migrations ({@link runMigrations}); `synchronize` stays off.
 */
export function createDataSource(
  url: string,
  options: { poolSize?: number; applicationName?: string } = {},
): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'plinth_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'plinth',
  });
}

/** Applies pending migrations in one transaction each; returns the names applied (empty when up to date). */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const applied: Migration[] = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}

/** Names of migrations that exist in code but are not applied to the database (all of them on an empty database). */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const exists = (await dataSource.query(`SELECT to_regclass('plinth_migrations') IS NOT NULL AS found`)) as {
    found: boolean;
  }[];
  const executed = exists[0]?.found
    ? new Set(
        ((await dataSource.query('SELECT name FROM plinth_migrations')) as { name: string }[]).map(
          (r) => r.name,
        ),
      )
    : new Set<string>();
  return MIGRATIONS.map((m) => m.name).filter((name) => !executed.has(name));
}
