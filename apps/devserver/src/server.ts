/**
 * Starts the dev server in-process: the run store, the gRPC services and the schedule engine.
 */
import * as grpc from '@grpc/grpc-js';
import { buildGrpcService } from './grpc-service';
import { operatorServiceHandlers, workflowServiceHandlers } from './handlers';
import { ScheduleEngine } from './schedules';
import { createLogger, type LogLevel } from './logger';
import { StoreScheduledWorkflowPort } from './state/scheduled-workflow-port';
import { WorkflowStore, type DevServerLogger } from './state/store';
import { createSearchAttributeRegistry, type SearchAttributeType } from './visibility';

/** Options for {@link startDevServer}. */
export interface DevServerOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  ip?: string;
  /** Namespaces to create besides `default`. */
  namespaces?: string[];
  /** Custom search attributes registered in every namespace at start-up. */
  searchAttributes?: Record<string, SearchAttributeType>;
  /** Minimum level logged (default `info`); ignored when `logger` is given. */
  logLevel?: LogLevel;
  logger?: DevServerLogger;
  /** How long history/update long polls wait before returning empty (default 20 s). */
  longPollTimeoutMs?: number;
  /** How long task queue polls wait before returning empty (default 20 s; core's deadline is 70 s). */
  taskPollTimeoutMs?: number;
  /** Closed runs are forgotten after this long (default 24 h, the dev server's namespace retention). */
  retentionMs?: number;
}

/** A running dev server. */
export interface DevServerHandle {
  /** `host:port`, ready for `NativeConnection.connect({ address })` / `Connection.connect`. */
  address: string;
  port: number;
  /** Stops accepting calls, ends long polls and clears every timer. Idempotent. */
  stop(): Promise<void>;
}

/** Starts an in-memory Temporal dev server and resolves once it is listening. */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServerHandle> {
  const logger = options.logger ?? createLogger(options.logLevel ?? 'info');
  const store = new WorkflowStore(logger);
  for (const name of ['default', ...(options.namespaces ?? [])]) {
    const ns = store.addNamespace(name);
    for (const [attr, type] of createSearchAttributeRegistry(options.searchAttributes ?? {}))
      ns.searchAttributes.set(attr, type);
  }
  const scheduleEngine = new ScheduleEngine(new StoreScheduledWorkflowPort(store));
  const handlerOptions = {
    longPollTimeoutMs: options.longPollTimeoutMs ?? 20_000,
    taskPollTimeoutMs: options.taskPollTimeoutMs ?? 20_000,
  };
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 128 * 1024 * 1024,
    'grpc.max_send_message_length': 128 * 1024 * 1024,
  });
  const services = [
    buildGrpcService(
      'temporal.api.workflowservice.v1.WorkflowService',
      workflowServiceHandlers(store, handlerOptions, scheduleEngine),
      logger,
    ),
    buildGrpcService(
      'temporal.api.operatorservice.v1.OperatorService',
      operatorServiceHandlers(store),
      logger,
    ),
    buildGrpcService('grpc.health.v1.Health', { Check: async () => ({ status: 1 /* SERVING */ }) }, logger),
  ];
  for (const s of services) server.addService(s.definition, s.implementation);

  const ip = options.ip ?? '127.0.0.1';
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    );
  });
  const address = `${host}:${port}`;
  logger.info(
    `Temporal dev server listening on ${address} (namespaces: ${[...store.namespaces.keys()].join(', ')})`,
  );

  const retentionMs = options.retentionMs ?? 24 * 3600 * 1000;
  const purge = setInterval(
    () => {
      const dropped = store.purgeClosedRuns(retentionMs);
      if (dropped > 0) logger.debug(`retention: forgot ${dropped} closed runs`);
    },
    Math.min(60_000, retentionMs),
  ).unref();

  let stopping: Promise<void> | undefined;
  return {
    address,
    port,
    stop() {
      stopping ??= (async () => {
        clearInterval(purge);
        scheduleEngine.close();
        store.stop();
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 2000);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      })();
      return stopping;
    },
  };
}
