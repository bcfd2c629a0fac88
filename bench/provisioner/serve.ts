/**
 * The provisioner under load, as its own process (the bench's load generator must not share its
 * event loop): the API's boot module over the bench database. Configured by environment only:
 * BENCH_DB_URL, BENCH_SECRET_KEY (base64), BENCH_PORT, BENCH_CACHE_TTL_MS. Prints "ready" once listening;
 * stops on SIGTERM.
 */
import { createDataSource, parseSecretKey } from '@plinth/db';
import { startBootTestApi } from '../../apps/api/src/boot/testing/boot-test-api';

async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  const dataSource = createDataSource(env('BENCH_DB_URL'), {
    poolSize: 10,
    applicationName: 'plinth-bench-api',
  });
  await dataSource.initialize();
  const api = await startBootTestApi(
    { dataSource },
    {
      secretKey: parseSecretKey(env('BENCH_SECRET_KEY'), 'BENCH_SECRET_KEY'),
      port: Number(env('BENCH_PORT')),
      configCacheTtlMs: Number(env('BENCH_CACHE_TTL_MS')),
      logSink: 'discard',
    },
  );
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => {
    void api
      .close()
      .then(() => dataSource.destroy())
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench server failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
