import { Connection } from '@temporalio/client';
import { loadConfigOrExit, stopWhenSupervisorDies } from '@plinth/config';
import { createDataSource, loadSecretKey } from '@plinth/db';
import { createLogger } from '@plinth/logger';
import { createApiApp } from './api-app';

/** API process. Needs DATABASE_URL (npm start provides one); Temporal is reached lazily so /healthz can report it down. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger({ name: 'api', level: config.LOG_LEVEL });
  if (!config.DATABASE_URL) {
    log.fatal('DATABASE_URL is not set: the API needs PostgreSQL (npm start provides an embedded one).');
    process.exit(78);
  }
  const dataSource = createDataSource(config.DATABASE_URL, { applicationName: 'plinth-api' });
  await dataSource.initialize();
  const temporal = Connection.lazy({ address: config.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const secretKey = loadSecretKey({ secretKey: config.PLINTH_SECRET_KEY, homeDir: config.homeDir });
  const app = await createApiApp({ config, dataSource, temporal, logger: log, secretKey });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: finishing in-flight requests');
    // A dependency that is already gone (e.g. Temporal killed first) must not hold the process open.
    setTimeout(() => {
      log.error('graceful stop took longer than 10 s; exiting anyway');
      process.exit(1);
    }, 10_000).unref();
    await app.close();
    await temporal.close();
    await dataSource.destroy();
    log.info('api stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  stopWhenSupervisorDies(() => void stop('supervisor gone'));

  await app.listen(config.PLINTH_API_PORT, config.PLINTH_API_HOST);
  const address = app.getHttpServer().address() as { port: number };
  log.info(
    {
      url: `http://${config.PLINTH_API_HOST}:${address.port}`,
      docs: `http://${config.PLINTH_API_HOST}:${address.port}/docs`,
    },
    'api listening',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
