/**
 * Shared set-up for the dev server conformance suites: one in-process server, one bundle of the
 * fixture workflows per test file, and a worker per scenario on its own task queue.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { startDevServer, type DevServerHandle, type DevServerOptions } from '../src';
import { createConformanceActivities } from './fixtures/activities';

let runtimeInstalled = false;

/** Keeps SDK logs to warnings, so test output shows what matters. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed by another suite in this process.
  }
}

export const WORKFLOWS_PATH = path.resolve(__dirname, 'fixtures/workflows.ts');

export interface TestEnv {
  server: DevServerHandle;
  nativeConnection: NativeConnection;
  connection: Connection;
  client: Client;
  bundle: WorkflowBundleWithSourceMap;
  /** Runs `body` while a worker polls `taskQueue`, then shuts the worker down. */
  withWorker<T>(taskQueue: string, body: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export async function createTestEnv(
  options: DevServerOptions = {},
  workflowsPath = WORKFLOWS_PATH,
): Promise<TestEnv> {
  quietRuntime();
  const server = await startDevServer({ logLevel: 'error', ...options });
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  return {
    server,
    nativeConnection,
    connection,
    client,
    bundle,
    async withWorker(taskQueue, body) {
      const worker = await Worker.create({
        connection: nativeConnection,
        taskQueue,
        workflowBundle: bundle,
        activities: createConformanceActivities(),
      });
      return worker.runUntil(body);
    },
    async close() {
      await connection.close();
      await nativeConnection.close();
      await server.stop();
    },
  };
}

/** Event type names of a fetched history, e.g. 'ActivityTaskStarted'. */
export function eventTypeNames(history: { events?: Array<{ eventType?: number | null }> | null }): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { temporal } = require('@temporalio/proto') as typeof import('@temporalio/proto');
  return (history.events ?? []).map((e) =>
    (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? 'UNKNOWN')
      .replace(/^EVENT_TYPE_/, '')
      .toLowerCase()
      .replace(/(^|_)([a-z])/g, (_: string, __: string, c: string) => c.toUpperCase()),
  );
}

/** A task queue of its own for one scenario, so scenarios never steal each other's tasks. */
export const uniqueTaskQueue = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;
