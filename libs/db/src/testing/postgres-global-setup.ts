import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../embedded/embedded-postgres-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the `postgres` database on the shared embedded server; test files create their own databases. */
    embeddedPostgresUrl: string;
  }
}

/**
 * Vitest global setup: one real embedded PostgreSQL for the whole run, in a temporary folder
 * removed afterwards. Each test file gets its own database from {@link createTestDatabase},
 * so files run in parallel without seeing each other's rows.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const baseDir = mkdtempSync(join(tmpdir(), 'plinth-test-pg-'));
  const server = await startEmbeddedPostgres({ baseDir });
  project.provide('embeddedPostgresUrl', server.url);
  return async () => {
    await server.stop();
    rmSync(baseDir, { recursive: true, force: true });
  };
}
