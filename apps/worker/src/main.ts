import { loadConfigOrExit, publicApiUrl, stopWhenSupervisorDies } from '@plinth/config';
import { createDataSource, loadSecretKey } from '@plinth/db';
import { createLogger } from '@plinth/logger';
import { createPlinthWorker } from './plinth-worker';

/** Worker process: polls Plinth's task queue until SIGINT/SIGTERM, then drains in-flight tasks and exits. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger({ name: 'worker', level: config.LOG_LEVEL });
  if (!config.TEMPORAL_ADDRESS) {
    log.fatal('TEMPORAL_ADDRESS is not set: the worker needs a Temporal server (npm start sets it for you).');
    process.exit(78);
  }
  if (!config.DATABASE_URL) {
    log.fatal('DATABASE_URL is not set: the worker records runs in PostgreSQL (npm start sets it for you).');
    process.exit(78);
  }
  const dataSource = createDataSource(config.DATABASE_URL, { applicationName: 'plinth-worker' });
  await dataSource.initialize();
  const { worker, connection, close } = await createPlinthWorker({
    dataSource,
    secretKey: loadSecretKey({ secretKey: config.PLINTH_SECRET_KEY, homeDir: config.homeDir }),
    publicBaseUrl: publicApiUrl(config),
    logger: log,
    temporalAddress: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    workflowBundlePath: process.env.PLINTH_WORKFLOW_BUNDLE,
    overrides: { shutdownGraceTime: '10 seconds', shutdownForceTime: '20 seconds' },
  });
  log.info(
    {
      taskQueue: worker.options.taskQueue,
      namespace: config.TEMPORAL_NAMESPACE,
      temporal: config.TEMPORAL_ADDRESS,
    },
    'worker polling',
  );
  stopWhenSupervisorDies(() => worker.shutdown());
  // Worker.run() resolves after the SDK's own SIGINT/SIGTERM handling has drained in-flight tasks.
  await worker.run();
  await close();
  await connection.close();
  await dataSource.destroy();
  log.info('worker stopped');
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
