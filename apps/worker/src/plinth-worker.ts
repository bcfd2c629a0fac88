import { hostname } from 'node:os';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createRunRecordActivities, createSystemActivities } from '@plinth/activities';
import { PLINTH_VERSION } from '@plinth/config';
import { TASK_QUEUES } from '@plinth/contracts';
import { createRunRepository, type SecretKey } from '@plinth/db';
import type { Logger } from '@plinth/logger';
import { createRoleActivities } from './role-activities';
import type { DataSource } from 'typeorm';

/** How to reach Temporal and which workflow code to load. */
export interface PlinthWorkerOptions {
  temporalAddress: string;
  namespace: string;
  taskQueue?: string;
  /**
   * Prebuilt bundle (from `bundleWorkflowCode`, as the production image ships it). When absent the
   * worker bundles `workflows/` at start-up, which takes a few seconds.
   */
  workflowBundlePath?: string;
  /** The database: the runs' read model, the inventory, stored configs, pinned host keys. */
  dataSource: DataSource;
  /** Decrypts secrets (BMC credentials, SSH keys, join tokens) inside the role activities. */
  secretKey: SecretKey;
  /** The API's URL as machines reach it (PLINTH_PUBLIC_URL or derived), written into boot configs. */
  publicBaseUrl: string;
  logger?: Logger;
  identity?: string;
  /** Extra options, e.g. for tests: `maxConcurrentActivityTaskExecutions`. */
  overrides?: Partial<WorkerOptions>;
}

/** The one place where the worker's activities get their real dependencies. */
export async function createPlinthWorker(
  options: PlinthWorkerOptions,
): Promise<{ worker: Worker; connection: NativeConnection; close: () => Promise<void> }> {
  const identity = options.identity ?? `plinth-worker-${process.pid}@${hostname()}`;
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const workflows: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> = options.workflowBundlePath
    ? { workflowBundle: { codePath: options.workflowBundlePath } }
    : { workflowsPath: require.resolve('@plinth/workflows') };
  const roles = createRoleActivities({
    dataSource: options.dataSource,
    secretKey: options.secretKey,
    publicBaseUrl: options.publicBaseUrl,
    logger: options.logger,
  });
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUES.deploy,
    identity,
    ...workflows,
    activities: {
      ...createSystemActivities({ workerIdentity: identity, plinthVersion: PLINTH_VERSION }),
      ...createRunRecordActivities(createRunRepository(options.dataSource)),
      ...roles.activities,
    },
    ...options.overrides,
  });
  return { worker, connection, close: roles.close };
}
