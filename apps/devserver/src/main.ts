/**
 * Command-line entry: `plinth-devserver [server start-dev] --port N --namespace NS …` (the
 * `temporal server start-dev` flags, so TestWorkflowEnvironment.createLocal can spawn it).
 * Exits cleanly on SIGTERM/SIGINT.
 */
import { stopWhenSupervisorDies } from '@plinth/config';
import { DEV_SERVER_USAGE, parseDevServerArgs } from './cli/args';
import { createLogger } from './logger';
import { startDevServer } from './server';

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseDevServerArgs(argv);
  } catch (err) {
    process.stderr.write(`plinth-devserver: ${(err as Error).message}\n\n${DEV_SERVER_USAGE}\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(`${DEV_SERVER_USAGE}\n`);
    return;
  }
  const { options, warnings } = parsed;
  const logger = createLogger(options.logLevel);
  for (const warning of warnings) logger.warn(warning);
  if (options.dbFilename)
    logger.warn(`--db-filename ${options.dbFilename} ignored: the dev server keeps state in memory only`);
  const server = await startDevServer({
    port: options.port,
    ip: options.ip,
    namespaces: options.namespaces.filter((ns) => ns !== 'default'),
    searchAttributes: options.searchAttributes,
    logger,
  });
  // The start line is printed whatever the log level, so operators always see the address.
  process.stdout.write(`plinth-devserver: Temporal dev server listening on ${server.address}\n`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received, stopping`);
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Started by Plinth's stack runner: go when it goes, even if it was killed with SIGKILL.
  stopWhenSupervisorDies(() => shutdown('supervisor gone'));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`plinth-devserver: failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
