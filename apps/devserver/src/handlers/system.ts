/**
 * Connection-time and housekeeping calls: GetSystemInfo, namespaces, cluster info, worker
 * bookkeeping that needs no state.
 */
import { alreadyExists, invalidArgument } from '../errors';
import { temporal } from '../proto';
import { msToProto } from '../time';
import type { WorkflowStore } from '../state/store';
import type { HandlerTable, Req } from './types';

/** Reported as the server version; sdk-core only logs it. */
export const DEV_SERVER_VERSION = '1.27.0-plinth-devserver';

const RETENTION_MS = 24 * 3600 * 1000;

export function systemHandlers(store: WorkflowStore): HandlerTable {
  const describeNamespace = (name: string): temporal.api.workflowservice.v1.IDescribeNamespaceResponse => {
    const ns = store.namespace(name);
    return {
      // Capabilities stay false: each one switches on an optional worker feature this server lacks.
      namespaceInfo: {
        name: ns.name,
        id: ns.id,
        state: temporal.api.enums.v1.NamespaceState.NAMESPACE_STATE_REGISTERED,
        capabilities: {},
      },
      config: { workflowExecutionRetentionTtl: msToProto(RETENTION_MS) },
      isGlobalNamespace: false,
    };
  };

  return {
    async GetSystemInfo() {
      return {
        serverVersion: DEV_SERVER_VERSION,
        capabilities: {
          signalAndQueryHeader: true,
          internalErrorDifferentiation: true,
          activityFailureIncludeHeartbeat: true,
          supportsSchedules: true,
          encodedFailureAttributes: true,
          buildIdBasedVersioning: false,
          upsertMemo: true,
          eagerWorkflowStart: false,
          sdkMetadata: true,
          countGroupByExecutionStatus: true,
          nexus: false,
        },
      };
    },

    async DescribeNamespace(req: Req<'DescribeNamespaceRequest'>) {
      const name =
        req.namespace || [...store.namespaces.values()].find((ns) => ns.id === req.id)?.name || req.namespace;
      return describeNamespace(name ?? '');
    },

    async ListNamespaces() {
      return { namespaces: [...store.namespaces.keys()].map(describeNamespace), nextPageToken: null };
    },

    async RegisterNamespace(req: Req<'RegisterNamespaceRequest'>) {
      if (!req.namespace) throw invalidArgument('Namespace not set on request.');
      if (store.namespaces.has(req.namespace)) throw alreadyExists('Namespace already exists.');
      store.addNamespace(req.namespace);
      return {};
    },

    async GetClusterInfo() {
      return {
        supportedClients: {},
        serverVersion: DEV_SERVER_VERSION,
        clusterId: 'plinth-devserver',
        clusterName: 'active',
        historyShardCount: 1,
        persistenceStore: 'memory',
        visibilityStore: 'memory',
      };
    },

    async ShutdownWorker() {
      return {};
    },

    async RecordWorkerHeartbeat() {
      return {};
    },

    async ResetStickyTaskQueue() {
      return {};
    },

    async DescribeTaskQueue(req: Req<'DescribeTaskQueueRequest'>) {
      store.namespace(req.namespace);
      const name = req.taskQueue?.name ?? '';
      const isActivity = req.taskQueueType === temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;
      const queue = isActivity
        ? store.activityTasks.find(req.namespace!, name)
        : store.workflowTasks.find(req.namespace!, name);
      const pollers = [...(queue?.pollers ?? new Map<string, number>()).entries()].map(([identity, at]) => ({
        identity,
        lastAccessTime: { seconds: Math.floor(at / 1000), nanos: 0 },
        ratePerSecond: 100000,
      }));
      return { pollers };
    },
  };
}
