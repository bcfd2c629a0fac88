import { join } from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from './embedded/embedded-postgres-server';

/** Where Plinth's database is and, for the embedded one, how to stop it. */
export interface ProvidedDatabase {
  url: string;
  /** Present when Plinth started an embedded PostgreSQL for this process. */
  embedded?: RunningPostgres;
}

/**
 * `DATABASE_URL` when given; otherwise starts the embedded PostgreSQL under `<homeDir>/postgres`
 * and makes sure its `plinth` database exists.
 */
export async function provideDatabase(options: {
  databaseUrl?: string;
  homeDir: string;
  onLog?: (text: string) => void;
}): Promise<ProvidedDatabase> {
  if (options.databaseUrl) return { url: options.databaseUrl };
  const embedded = await startEmbeddedPostgres({
    baseDir: join(options.homeDir, 'postgres'),
    onLog: options.onLog,
  });
  await embedded.ensureDatabase('plinth');
  return { url: embedded.urlFor('plinth'), embedded };
}
