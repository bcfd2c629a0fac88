import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type PlinthConfig } from '@plinth/config';
import { TASK_QUEUES } from '@plinth/contracts';
import {
  createApiTokenRepository,
  createDataSource,
  findFreePort,
  provideDatabase,
  runMigrations,
  type RunningPostgres,
} from '@plinth/db';
import { startProcess, type SupervisedProcess } from './supervised-process';
import { provideTemporal, type ProvidedTemporal } from './temporal-provider';

/** The repository root, where apps/ live. */
const REPO_ROOT = resolve(__dirname, '../../..');

/** What `plinth up` brought up. */
export interface LocalStack {
  apiUrl: string;
  docsUrl: string;
  temporal: ProvidedTemporal;
  /** PIDs of every process the runner started, by name. */
  pids: Record<string, number>;
  /** Stops everything the runner started, in reverse order. Idempotent. */
  stop(): Promise<void>;
  /** Resolves when a supervised process exits on its own (a crash), with its name and exit code. */
  crashed: Promise<{ name: string; code: string }>;
}

/** Progress lines for the operator; the runner writes nothing else to stdout. */
export type StackReporter = (line: string) => void;

/**
 * Starts the local stack: PostgreSQL (DATABASE_URL or embedded), migrations, Temporal, the API and
 * the worker, then proves the chain end to end with a ping workflow. If any step fails, whatever
 * was started is stopped before the error propagates, so a failed start leaves nothing running.
 */
export async function startLocalStack(
  report: StackReporter,
  options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {},
): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const aborted = new Promise<never>((_, reject) => {
    const fail = (): void => reject(new Error('Start-up interrupted; stopping what was started.'));
    if (options.signal?.aborted) fail();
    options.signal?.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  /**
   * Every step races the abort signal, so Ctrl-C during start-up is answered at once; a resource
   * the interrupted step still produces afterwards is released by `releaseLate`.
   */
  const step = <T>(work: Promise<T>, releaseLate?: (result: T) => Promise<void>): Promise<T> => {
    if (releaseLate) {
      void aborted.catch(() =>
        work
          .then(releaseLate, () => undefined)
          .catch((e: unknown) => report(`could not clean up: ${String(e)}`)),
      );
    }
    return Promise.race([work, aborted]);
  };
  const config = loadConfig(env);
  const logDir = join(config.homeDir, 'logs');
  const started: { name: string; stop: () => Promise<void> }[] = [];
  const pids: Record<string, number> = {};
  const stopAll = async (): Promise<void> => {
    for (const item of started.splice(0).reverse()) {
      await item.stop().catch((e: unknown) => report(`could not stop ${item.name}: ${String(e)}`));
    }
  };

  try {
    let t = performance.now();
    const database = await step(
      provideDatabase({ databaseUrl: config.DATABASE_URL, homeDir: config.homeDir }),
      async (db) => {
        await db.embedded?.stop();
      },
    );
    if (database.embedded) {
      const pg: RunningPostgres = database.embedded;
      started.push({ name: 'postgres', stop: () => pg.stop() });
      pids.postgres = pg.pid;
    }
    const dataSource = createDataSource(database.url, { poolSize: 1, applicationName: 'plinth-migrate' });
    await dataSource.initialize();
    const applied = await runMigrations(dataSource);
    const bootstrapToken = await createApiTokenRepository(dataSource).createBootstrapTokenIfNone();
    await dataSource.destroy();
    report(
      `✓ PostgreSQL ${database.embedded ? `embedded on 127.0.0.1:${database.embedded.port} (data in ${join(config.homeDir, 'postgres')})` : 'from DATABASE_URL'}` +
        `, ${applied.length} migration(s) applied (${ms(t)})`,
    );

    if (bootstrapToken) {
      // Shown once. A copy goes to PLINTH_HOME/admin-token (0600) so the local CLI can use it.
      const tokenFile = join(config.homeDir, 'admin-token');
      writeFileSync(tokenFile, `${bootstrapToken}\n`, { mode: 0o600 });
      report(`✓ Created the first API token (admin). It is shown only now; a copy is in ${tokenFile}:`);
      report(`    ${bootstrapToken}`);
    }

    t = performance.now();
    const temporal = await step(
      provideTemporal({
        temporalAddress: config.TEMPORAL_ADDRESS,
        namespace: config.TEMPORAL_NAMESPACE,
        logDir,
        repoRoot: REPO_ROOT,
      }),
      async (late) => {
        await late.process?.stop();
      },
    );
    if (temporal.process) {
      const p = temporal.process;
      started.push({ name: p.name, stop: () => p.stop() });
      pids.temporal = p.pid;
    }
    report(`✓ Temporal (${describeTemporal(temporal)}) at ${temporal.address} (${ms(t)})`);

    t = performance.now();
    const apiPort = config.PLINTH_API_PORT || (await findFreePort());
    const childEnv: NodeJS.ProcessEnv = {
      ...env,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: temporal.address,
      PLINTH_API_PORT: String(apiPort),
      PLINTH_SUPERVISED: '1',
    };
    const api = startTsProcess('api', 'apps/api/src/main.ts', childEnv, logDir);
    started.push({ name: 'api', stop: () => api.stop() });
    pids.api = api.pid;
    const worker = startTsProcess('worker', 'apps/worker/src/main.ts', childEnv, logDir);
    started.push({ name: 'worker', stop: () => worker.stop() });
    pids.worker = worker.pid;

    const apiUrl = `http://${config.PLINTH_API_HOST === '0.0.0.0' ? '127.0.0.1' : config.PLINTH_API_HOST}:${apiPort}`;
    await step(failOnExit(waitForHealthy(apiUrl, 60_000), [api, worker]));
    report(`✓ API healthy at ${apiUrl} (${ms(t)})`);
    // The local CLI (`plinth token create`, …) finds the running API here.
    writeFileSync(join(config.homeDir, 'api-url'), `${apiUrl}\n`);

    t = performance.now();
    const identity = await step(failOnExit(pingThroughWorker(temporal.address, config), [api, worker]));
    report(`✓ Worker ${identity} ran a ping workflow on task queue ${TASK_QUEUES.deploy} (${ms(t)})`);

    const supervised: SupervisedProcess[] = [api, worker, ...(temporal.process ? [temporal.process] : [])];
    const crashed = Promise.race(supervised.map((p) => p.exited.then((code) => ({ name: p.name, code }))));
    return { apiUrl, docsUrl: `${apiUrl}/docs`, temporal, pids, stop: stopAll, crashed };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function startTsProcess(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  logDir: string,
): SupervisedProcess {
  return startProcess({
    name,
    command: process.execPath,
    args: ['-r', '@swc-node/register', join(REPO_ROOT, entry)],
    cwd: REPO_ROOT,
    env,
    logFile: join(logDir, `${name}.log`),
  });
}

async function failOnExit<T>(work: Promise<T>, processes: SupervisedProcess[]): Promise<T> {
  return Promise.race([
    work,
    ...processes.map((p) =>
      p.exited.then((code): never => {
        throw new Error(`${p.name} exited during start-up (${code}); see ${p.logFile}.`);
      }),
    ),
  ]);
}

async function waitForHealthy(apiUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(3_000) });
      if (response.ok) return;
      last = `HTTP ${response.status}: ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`The API at ${apiUrl} was not healthy within ${timeoutMs / 1000}s (last: ${last}).`);
}

async function pingThroughWorker(address: string, config: PlinthConfig): Promise<string> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const result = await client.workflow.execute('pingWorkflow', {
      taskQueue: TASK_QUEUES.deploy,
      workflowId: `plinth-self-check-${Date.now()}`,
      args: ['hello'],
      workflowExecutionTimeout: '60 seconds',
    });
    return (result as { workerIdentity: string }).workerIdentity;
  } finally {
    await connection.close();
  }
}

function describeTemporal(temporal: ProvidedTemporal): string {
  switch (temporal.kind) {
    case 'external':
      return 'TEMPORAL_ADDRESS';
    case 'temporal-cli':
      return '`temporal server start-dev` from PATH';
    case 'built-in':
      return "Plinth's built-in dev server";
  }
}

function ms(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)}s`;
}
