import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Connection,
  type WorkflowHandle,
} from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { PlinthConfig } from '@plinth/config';
import {
  DEPLOY_WORKFLOW_TYPE,
  DEPLOYMENT_QUERIES,
  DEPLOYMENT_SIGNALS,
  MACHINE_ROLES_IN_ORDER,
  SEARCH_ATTRIBUTES,
  TASK_QUEUES,
  type ApprovalGate,
  type ClusterStep,
  type DeploymentInput,
  type DeploymentStatus,
  type MachineProgress,
  type StepProgress,
} from '@plinth/contracts';
import {
  ACTIVE_RUN_STATUSES,
  IdempotencyKeyConflictError,
  RunActiveError,
  type ClusterRepository,
  type MachineRepository,
  type RunFilter,
  type RunRepository,
  type RunStatus,
  type StoredCluster,
  type StoredRun,
} from '@plinth/db';
import type { Logger } from '@plinth/logger';
import { ApiError } from '../common/api-error';
import { planCluster } from '../clusters/cluster-plan';
import {
  CLUSTERS,
  LOGGER,
  MACHINES,
  PLINTH_CONFIG,
  RUNS,
  TEMPORAL_CONNECTION,
} from '../infrastructure/tokens';
import { decodeHistoryEvent, type RunEvent } from './history-events';

const clusterIdKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.clusterId, SearchAttributeType.KEYWORD);
const runKindKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.runKind, SearchAttributeType.KEYWORD);

/** How long the API waits on Temporal for a read before answering from the database alone. */
const TEMPORAL_READ_TIMEOUT_MS = 3_000;

/** A run as the API shows it: the database record, and the workflow's live status when reachable. */
export interface RunView {
  id: string;
  cluster: { id: string; name: string };
  revision: number;
  kind: string;
  status: RunStatus;
  requestedBy: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  workflow: { id: string; runId: string | null; namespace: string };
  /** Where the run stands, from the workflow's `status` query (or the database when Temporal cannot answer). */
  progress?: {
    source: 'workflow' | 'database';
    phase?: DeploymentStatus['phase'];
    paused?: boolean;
    awaitingApproval?: ApprovalGate;
    message?: string;
    machines: MachineProgress[];
    cluster?: Partial<Record<ClusterStep, StepProgress>>;
  };
}

export interface EventsPage {
  events: RunEvent[];
  /** Pass as `pageToken` for the next page; absent on the last page. */
  nextPageToken?: string;
}

/** Launches runs as Temporal workflows and answers for them from Temporal and the database. */
@Injectable()
export class RunsService {
  readonly client: Client;

  constructor(
    @Inject(TEMPORAL_CONNECTION) private readonly connection: Connection,
    @Inject(PLINTH_CONFIG) private readonly config: PlinthConfig,
    @Inject(RUNS) private readonly runs: RunRepository,
    @Inject(CLUSTERS) private readonly clusters: ClusterRepository,
    @Inject(MACHINES) private readonly machines: MachineRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  }

  /**
   * Starts a deployment of the cluster's current revision. With an idempotency key a repeated call
   * returns the first run (and makes sure its workflow is started) instead of launching another.
   */
  async launchDeployment(
    clusterName: string,
    requestedBy: string,
    idempotencyKey: string | undefined,
  ): Promise<{ run: RunView; created: boolean }> {
    const cluster = await this.cluster(clusterName);
    const input = await this.deploymentInput(cluster, requestedBy);
    let launched: { run: StoredRun; created: boolean };
    try {
      launched = await this.runs.launch({
        clusterId: cluster.id,
        revision: cluster.current.revision,
        kind: 'deploy',
        requestedBy,
        idempotencyKey,
        machineIds: input.machines.map((machine) => machine.machineId),
      });
    } catch (error) {
      if (error instanceof RunActiveError)
        throw new ApiError(
          HttpStatus.CONFLICT,
          'RUN_ACTIVE',
          `${error.message} Wait for it to finish or cancel it (POST /runs/${error.run.id}/cancel).`,
          { runId: error.run.id },
        );
      if (error instanceof IdempotencyKeyConflictError)
        throw new ApiError(HttpStatus.CONFLICT, 'IDEMPOTENCY_KEY_REUSED', `${error.message} Use a new key.`, {
          runId: error.run.id,
        });
      throw error;
    }
    const { run, created } = launched;
    if (run.status === 'pending')
      await this.startWorkflow(run, { ...input, runId: run.id, revision: run.clusterRevision });
    return { run: await this.view((await this.runs.find(run.id)) ?? run, false), created };
  }

  async list(filter: RunFilter): Promise<RunView[]> {
    const runs = await this.runs.list(filter);
    // Runs the database still calls active are checked against Temporal, which knows better.
    const reconciled = await Promise.all(runs.map((run) => this.reconcile(run)));
    return Promise.all(reconciled.map((run) => this.view(run, false)));
  }

  async get(id: string): Promise<RunView> {
    return this.view(await this.reconcile(await this.find(id)), true);
  }

  /** One page of the run's Temporal history, decoded. */
  async events(id: string, pageToken: string | undefined, pageSize: number): Promise<EventsPage> {
    const run = await this.find(id);
    const response = await this.temporalCall(() =>
      this.connection.workflowService.getWorkflowExecutionHistory({
        namespace: this.config.TEMPORAL_NAMESPACE,
        execution: { workflowId: run.workflowId },
        maximumPageSize: pageSize,
        nextPageToken: pageToken ? Buffer.from(pageToken, 'base64url') : undefined,
      }),
    );
    const token = response.nextPageToken?.length
      ? Buffer.from(response.nextPageToken).toString('base64url')
      : undefined;
    return {
      events: (response.history?.events ?? []).map(decodeHistoryEvent),
      ...(token ? { nextPageToken: token } : {}),
    };
  }

  /**
   * Follows the run's history: calls `onEvent` for every event after `afterEventId` as it is
   * written, and resolves when the workflow has closed (all events sent) or `signal` aborts.
   */
  async follow(
    id: string,
    afterEventId: number,
    onEvent: (event: RunEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const run = await this.find(id);
    let token: Uint8Array | undefined;
    let lastSent = afterEventId;
    while (!signal.aborted) {
      const response = await this.connection.withAbortSignal(signal, () =>
        this.connection.workflowService.getWorkflowExecutionHistory({
          namespace: this.config.TEMPORAL_NAMESPACE,
          execution: { workflowId: run.workflowId },
          nextPageToken: token,
          waitNewEvent: true,
        }),
      );
      for (const raw of response.history?.events ?? []) {
        const event = decodeHistoryEvent(raw);
        if (event.id <= lastSent) continue;
        lastSent = event.id;
        onEvent(event);
      }
      if (!response.nextPageToken?.length) return;
      token = response.nextPageToken;
    }
  }

  async pause(id: string, by: string, reason?: string): Promise<void> {
    await this.signalActive(id, DEPLOYMENT_SIGNALS.pause, { by, ...(reason ? { reason } : {}) });
  }

  async resume(id: string, by: string): Promise<void> {
    await this.signalActive(id, DEPLOYMENT_SIGNALS.resume, { by });
  }

  async approve(id: string, gate: ApprovalGate, by: string): Promise<void> {
    const run = await this.activeRun(id);
    const revision = await this.clusters.revision(run.clusterId, run.clusterRevision);
    const gates = revision?.spec.rollout.approve ?? [];
    if (!gates.includes(gate))
      throw new ApiError(
        HttpStatus.CONFLICT,
        'NO_SUCH_GATE',
        `Run ${id} has no "${gate}" approval gate; its spec declares ${gates.length ? gates.join(', ') : 'none'}.`,
      );
    await this.signal(run, DEPLOYMENT_SIGNALS.approve, { gate, by });
  }

  async cancel(id: string): Promise<void> {
    const run = await this.activeRun(id);
    await this.temporalCall(() => this.handle(run).cancel());
  }

  /** Asks the workflow to run a failed machine's roles again. */
  async retryMachine(id: string, machine: string, by: string): Promise<void> {
    const run = await this.activeRun(id);
    const status = await this.queryStatus(run);
    if (!status)
      throw new ApiError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'TEMPORAL_UNAVAILABLE',
        'The run did not answer its status query; is a worker running? Try again shortly.',
      );
    const found = status.machines.find(
      (candidate) => candidate.machineId === machine || candidate.name === machine,
    );
    if (!found)
      throw new ApiError(
        HttpStatus.NOT_FOUND,
        'MACHINE_NOT_IN_RUN',
        `Machine "${machine}" is not part of run ${id}.`,
      );
    if (found.status !== 'failed')
      throw new ApiError(
        HttpStatus.CONFLICT,
        'MACHINE_NOT_FAILED',
        `Machine "${found.name}" is ${found.status} in run ${id}; only a failed machine can be retried.`,
      );
    await this.signal(run, DEPLOYMENT_SIGNALS.retryMachine, { machineId: found.machineId, by });
  }

  private async deploymentInput(
    cluster: StoredCluster,
    requestedBy: string,
  ): Promise<Omit<DeploymentInput, 'runId'>> {
    const spec = cluster.current.spec;
    const inventory = await this.machines.list();
    const profile = spec.profile ? await this.clusters.profileParams(spec.profile) : undefined;
    const planned = planCluster(spec, inventory, profile);
    if (!planned.ok)
      throw new ApiError(
        HttpStatus.CONFLICT,
        'CLUSTER_NOT_DEPLOYABLE',
        `Cluster "${cluster.name}" revision ${cluster.current.revision} no longer matches the inventory; fix the inventory or apply a new revision.`,
        { problems: planned.problems },
      );
    const ids = new Map(inventory.map((machine) => [machine.name, machine.id]));
    const criticalRoles = spec.rollout.success.critical.filter(
      (role): role is DeploymentInput['machines'][number]['role'] =>
        role === 'control-plane' || role === 'worker' || role === 'storage',
    );
    return {
      clusterId: cluster.id,
      clusterName: cluster.name,
      revision: cluster.current.revision,
      requestedBy,
      machines: planned.plan.machines.map((machine) => ({
        machineId: ids.get(machine.name)!,
        name: machine.name,
        role: machine.role,
      })),
      rollout: {
        maxParallel: spec.rollout.maxParallel,
        minPercent: spec.rollout.success.minPercent,
        criticalRoles,
        approvals: spec.rollout.approve as ApprovalGate[],
      },
      clusterSteps: [
        ...(spec.kubernetes ? (['kubernetes'] as const) : []),
        ...(spec.openstack.enabled ? (['openstack'] as const) : []),
      ],
    };
  }

  private async startWorkflow(run: StoredRun, input: DeploymentInput): Promise<void> {
    try {
      const handle = await this.temporalCall(() =>
        this.client.workflow.start(DEPLOY_WORKFLOW_TYPE, {
          taskQueue: TASK_QUEUES.deploy,
          workflowId: run.workflowId,
          args: [input],
          workflowIdConflictPolicy: 'FAIL',
          typedSearchAttributes: [
            { key: clusterIdKey, value: run.clusterId },
            { key: runKindKey, value: run.kind },
          ],
        }),
      );
      await this.runs.attachTemporalRun(run.id, handle.firstExecutionRunId);
    } catch (error) {
      // A repeated launch (same idempotency key) finds its workflow already started: that is success.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return;
      if (error instanceof ApiError && error.code === 'TEMPORAL_UNAVAILABLE') {
        // Nothing was started: end the run so the cluster is not blocked by a run that cannot progress.
        await this.runs.setStatus(run.id, 'failed');
      }
      throw error;
    }
  }

  private async cluster(name: string): Promise<StoredCluster> {
    const cluster = await this.clusters.findByName(name);
    if (!cluster)
      throw new ApiError(HttpStatus.NOT_FOUND, 'CLUSTER_NOT_FOUND', `No cluster is named "${name}".`);
    return cluster;
  }

  private async find(id: string): Promise<StoredRun> {
    const run = await this.runs.find(id);
    if (!run) throw new ApiError(HttpStatus.NOT_FOUND, 'RUN_NOT_FOUND', `No run has id "${id}".`);
    return run;
  }

  private async activeRun(id: string): Promise<StoredRun> {
    const run = await this.reconcile(await this.find(id));
    if (!ACTIVE_RUN_STATUSES.includes(run.status))
      throw new ApiError(
        HttpStatus.CONFLICT,
        'RUN_ENDED',
        `Run ${id} has ended (${run.status}); start a new deployment instead.`,
      );
    return run;
  }

  private handle(run: StoredRun): WorkflowHandle {
    return this.client.workflow.getHandle(run.workflowId);
  }

  private async signalActive(id: string, name: string, payload: object): Promise<void> {
    await this.signal(await this.activeRun(id), name, payload);
  }

  private async signal(run: StoredRun, name: string, payload: object): Promise<void> {
    await this.temporalCall(() => this.handle(run).signal(name, payload));
  }

  /**
   * When the database thinks a run is active, asks Temporal whether its workflow has closed (for
   * example terminated from Temporal UI) and records the outcome.
   */
  private async reconcile(run: StoredRun): Promise<StoredRun> {
    if (!ACTIVE_RUN_STATUSES.includes(run.status) || run.status === 'pending') return run;
    try {
      const description = await this.connection.withDeadline(Date.now() + TEMPORAL_READ_TIMEOUT_MS, () =>
        this.handle(run).describe(),
      );
      const closed: Partial<Record<string, RunStatus>> = {
        COMPLETED: 'succeeded',
        FAILED: 'failed',
        CANCELLED: 'canceled',
        TERMINATED: 'failed',
        TIMED_OUT: 'failed',
      };
      const status = closed[description.status.name];
      if (!status) return run;
      await this.runs.setStatus(run.id, status);
      return (await this.runs.find(run.id)) ?? run;
    } catch (error) {
      this.log.debug({ runId: run.id, err: error }, 'could not reconcile run with Temporal');
      return run;
    }
  }

  private async queryStatus(run: StoredRun): Promise<DeploymentStatus | undefined> {
    try {
      return await this.connection.withDeadline(Date.now() + TEMPORAL_READ_TIMEOUT_MS, () =>
        this.handle(run).query<DeploymentStatus>(DEPLOYMENT_QUERIES.status),
      );
    } catch (error) {
      this.log.debug({ runId: run.id, err: error }, 'status query failed; answering from the database');
      return undefined;
    }
  }

  private async view(run: StoredRun, withProgress: boolean): Promise<RunView> {
    const view: RunView = {
      id: run.id,
      cluster: { id: run.clusterId, name: run.clusterName },
      revision: run.clusterRevision,
      kind: run.kind,
      status: run.status,
      requestedBy: run.requestedBy,
      createdAt: run.createdAt.toISOString(),
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      workflow: { id: run.workflowId, runId: run.temporalRunId, namespace: this.config.TEMPORAL_NAMESPACE },
    };
    if (!withProgress) return view;
    const live = run.status === 'pending' ? undefined : await this.queryStatus(run);
    if (live) {
      view.progress = {
        source: 'workflow',
        phase: live.phase,
        paused: live.paused,
        ...(live.awaitingApproval ? { awaitingApproval: live.awaitingApproval } : {}),
        message: live.message,
        machines: live.machines,
        cluster: live.cluster,
      };
      return view;
    }
    view.progress = { source: 'database', machines: await this.machinesFromDatabase(run) };
    return view;
  }

  private async machinesFromDatabase(run: StoredRun): Promise<MachineProgress[]> {
    const steps = await this.runs.machineSteps(run.id);
    // Roles are not part of the step rows; the run's revision says which role each machine had.
    const revision = await this.clusters.revision(run.clusterId, run.clusterRevision);
    const planned = revision ? planCluster(revision.spec, await this.machines.list(), undefined) : undefined;
    const roles = new Map(planned?.ok ? planned.plan.machines.map((m) => [m.name, m.role]) : []);
    const byMachine = new Map<string, MachineProgress>();
    for (const step of steps) {
      let machine = byMachine.get(step.machineId);
      if (!machine) {
        machine = {
          machineId: step.machineId,
          name: step.machineName,
          role: roles.get(step.machineName) ?? 'worker',
          status: 'pending',
          steps: Object.fromEntries(
            MACHINE_ROLES_IN_ORDER.map((role) => [role, { status: 'pending', attempts: 0 }]),
          ) as MachineProgress['steps'],
        };
        byMachine.set(step.machineId, machine);
      }
      const { status, attempts, errorCode, errorMessage } = step;
      machine.steps[step.role as keyof MachineProgress['steps']] = {
        status,
        attempts,
        ...(errorCode ? { errorCode } : {}),
        ...(errorMessage ? { errorMessage } : {}),
      };
    }
    for (const machine of byMachine.values()) {
      const statuses = Object.values(machine.steps).map((step) => step.status);
      machine.status = statuses.includes('failed')
        ? 'failed'
        : statuses.includes('running')
          ? 'running'
          : statuses.every((status) => status === 'skipped')
            ? 'skipped'
            : statuses.every((status) => status === 'succeeded' || status === 'skipped')
              ? 'succeeded'
              : 'pending';
    }
    return [...byMachine.values()];
  }

  /** Runs a Temporal call, turning "cannot reach Temporal" into a 503 operators can act on. */
  private async temporalCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await this.connection.withDeadline(Date.now() + 10_000, call);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        throw new ApiError(
          HttpStatus.NOT_FOUND,
          'WORKFLOW_NOT_FOUND',
          `Temporal has no workflow for this run: ${error.message}`,
        );
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      if (
        /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|No connection established|Failed to connect/i.test(
          message,
        )
      )
        throw new ApiError(
          HttpStatus.SERVICE_UNAVAILABLE,
          'TEMPORAL_UNAVAILABLE',
          `Temporal at ${this.config.TEMPORAL_ADDRESS ?? '127.0.0.1:7233'} did not answer (${message}); check GET /healthz.`,
        );
      throw error;
    }
  }
}
