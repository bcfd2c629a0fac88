import { In, type DataSource, type EntityManager } from 'typeorm';
import {
  deploymentWorkflowId,
  MACHINE_ROLES_IN_ORDER,
  type MachineRoleStep,
  type StepProgress,
} from '@plinth/contracts';
import { ClusterEntity } from '../entities/cluster.entity';
import { RunEntity, RunMachineStateEntity, type RunKind, type RunStatus } from '../entities/run.entity';

/** Statuses of a run that has not ended: a cluster has at most one such run. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'paused'];
const TERMINAL: readonly RunStatus[] = ['succeeded', 'failed', 'canceled'];

/** A run as stored. */
export interface StoredRun {
  id: string;
  clusterId: string;
  clusterName: string;
  clusterRevision: number;
  kind: RunKind;
  status: RunStatus;
  workflowId: string;
  temporalRunId: string | null;
  requestedBy: string;
  idempotencyKey: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** One machine's step in a run, as recorded by the workflow. */
export interface StoredMachineStep extends StepProgress {
  machineId: string;
  machineName: string;
  role: string;
  updatedAt: Date;
}

/** The cluster already has a run that has not ended. */
export class RunActiveError extends Error {
  override readonly name = 'RunActiveError';
  constructor(readonly run: StoredRun) {
    super(`Cluster "${run.clusterName}" already has an active run ${run.id} (${run.status}).`);
  }
}

/** An idempotency key was reused for a different launch. */
export class IdempotencyKeyConflictError extends Error {
  override readonly name = 'IdempotencyKeyConflictError';
  constructor(readonly run: StoredRun) {
    super(`The Idempotency-Key was already used for run ${run.id} of cluster "${run.clusterName}".`);
  }
}

export interface RunFilter {
  clusterId?: string;
  kind?: RunKind;
  status?: RunStatus[];
  /** Newest first; at most this many (default 50). */
  limit?: number;
  /** Only runs created strictly before this time (for paging). */
  before?: Date;
}

/** Runs of clusters and what each machine did in them: the database's read model of workflows. */
export interface RunRepository {
  /**
   * Records a new run of `clusterId` at `revision` (status `pending`) with its workflow id, unless
   * `idempotencyKey` names an earlier launch of the same cluster and kind, which is returned
   * instead (`created: false`). Throws {@link RunActiveError} when the cluster has an active run
   * and {@link IdempotencyKeyConflictError} when the key belongs to another cluster or kind.
   */
  launch(input: {
    clusterId: string;
    revision: number;
    kind: RunKind;
    requestedBy: string;
    idempotencyKey?: string;
    /** The planned machines: each gets a `pending` row per role, so the read model shows them from the start. */
    machineIds: string[];
  }): Promise<{ run: StoredRun; created: boolean }>;
  find(id: string): Promise<StoredRun | undefined>;
  list(filter?: RunFilter): Promise<StoredRun[]>;
  activeRun(clusterId: string): Promise<StoredRun | undefined>;
  /**
   * Moves a run to `status`. Terminal statuses are final: a late `running` never overwrites
   * `succeeded`. Sets `started_at` on the first `running` and `finished_at` on the terminal one.
   */
  setStatus(id: string, status: RunStatus, temporalRunId?: string): Promise<void>;
  /** Records the Temporal run id of the run's workflow once it has started (never overwrites one). */
  attachTemporalRun(id: string, temporalRunId: string): Promise<void>;
  /** Upserts one machine's role step. */
  recordMachineStep(input: {
    runId: string;
    machineId: string;
    role: MachineRoleStep;
    progress: StepProgress;
  }): Promise<void>;
  machineSteps(runId: string): Promise<StoredMachineStep[]>;
}

export function createRunRepository(dataSource: DataSource): RunRepository {
  const runs = dataSource.getRepository(RunEntity);
  const select = (manager: EntityManager = dataSource.manager) =>
    manager.getRepository(RunEntity).createQueryBuilder('r').innerJoinAndSelect('r.cluster', 'c');

  return {
    async launch({ clusterId, revision, kind, requestedBy, idempotencyKey, machineIds }) {
      return dataSource.transaction(async (manager) => {
        // Locking the cluster row serialises launches of one cluster (sequence and single-active rule).
        await manager
          .getRepository(ClusterEntity)
          .createQueryBuilder('c')
          .setLock('pessimistic_write')
          .where('c.id = :clusterId', { clusterId })
          .getOneOrFail();
        if (idempotencyKey) {
          const earlier = await select(manager)
            .where('r.idempotency_key = :idempotencyKey', { idempotencyKey })
            .getOne();
          if (earlier) {
            if (earlier.clusterId !== clusterId || earlier.kind !== kind)
              throw new IdempotencyKeyConflictError(toStored(earlier));
            return { run: toStored(earlier), created: false };
          }
        }
        const active = await select(manager)
          .where('r.cluster_id = :clusterId AND r.status IN (:...active)', {
            clusterId,
            active: ACTIVE_RUN_STATUSES,
          })
          .getOne();
        if (active) throw new RunActiveError(toStored(active));
        const sequence = (await manager.countBy(RunEntity, { clusterId })) + 1;
        const inserted = manager.create(RunEntity, {
          clusterId,
          clusterRevision: revision,
          kind,
          status: 'pending',
          workflowId: deploymentWorkflowId(clusterId, sequence),
          temporalRunId: null,
          requestedBy,
          idempotencyKey: idempotencyKey ?? null,
          startedAt: null,
          finishedAt: null,
        });
        await manager.save(inserted);
        const pending = machineIds.flatMap((machineId) =>
          MACHINE_ROLES_IN_ORDER.map((role) => ({
            runId: inserted.id,
            machineId,
            role,
            status: 'pending',
            attempts: 0,
          })),
        );
        if (pending.length > 0) await manager.insert(RunMachineStateEntity, pending);
        const run = await select(manager).where('r.id = :id', { id: inserted.id }).getOneOrFail();
        return { run: toStored(run), created: true };
      });
    },
    async find(id) {
      if (!isUuid(id)) return undefined;
      const run = await select().where('r.id = :id', { id }).getOne();
      return run ? toStored(run) : undefined;
    },
    async list(filter = {}) {
      const query = select()
        .orderBy('r.created_at', 'DESC')
        .addOrderBy('r.id', 'DESC')
        .take(filter.limit ?? 50);
      if (filter.clusterId) query.andWhere('r.cluster_id = :clusterId', { clusterId: filter.clusterId });
      if (filter.kind) query.andWhere('r.kind = :kind', { kind: filter.kind });
      if (filter.status?.length) query.andWhere('r.status IN (:...status)', { status: filter.status });
      if (filter.before) query.andWhere('r.created_at < :before', { before: filter.before });
      return (await query.getMany()).map(toStored);
    },
    async activeRun(clusterId) {
      const run = await select()
        .where('r.cluster_id = :clusterId AND r.status IN (:...active)', {
          clusterId,
          active: ACTIVE_RUN_STATUSES,
        })
        .getOne();
      return run ? toStored(run) : undefined;
    },
    async setStatus(id, status, temporalRunId) {
      const now = new Date();
      await runs
        .createQueryBuilder()
        .update(RunEntity)
        .set({
          status,
          ...(temporalRunId ? { temporalRunId } : {}),
          ...(TERMINAL.includes(status) ? { finishedAt: now } : {}),
          startedAt: () => (status === 'running' ? `COALESCE(started_at, :now)` : 'started_at'),
        })
        .setParameter('now', now)
        .where('id = :id AND status NOT IN (:...terminal)', { id, terminal: TERMINAL })
        .execute();
    },
    async attachTemporalRun(id, temporalRunId) {
      await runs
        .createQueryBuilder()
        .update(RunEntity)
        .set({ temporalRunId })
        .where('id = :id AND temporal_run_id IS NULL', { id })
        .execute();
    },
    async recordMachineStep({ runId, machineId, role, progress }) {
      await dataSource.getRepository(RunMachineStateEntity).upsert(
        {
          runId,
          machineId,
          role,
          status: progress.status,
          attempts: progress.attempts,
          errorCode: progress.errorCode ?? null,
          errorMessage: progress.errorMessage ?? null,
        },
        { conflictPaths: ['runId', 'machineId', 'role'] },
      );
    },
    async machineSteps(runId) {
      const rows = await dataSource
        .getRepository(RunMachineStateEntity)
        .find({ where: { runId: In([runId]) }, relations: { machine: true }, order: { machineId: 'ASC' } });
      return rows.map((row) => ({
        machineId: row.machineId,
        machineName: row.machine?.name ?? row.machineId,
        role: row.role,
        status: row.status as StepProgress['status'],
        attempts: row.attempts,
        ...(row.errorCode ? { errorCode: row.errorCode } : {}),
        ...(row.errorMessage ? { errorMessage: row.errorMessage } : {}),
        updatedAt: row.updatedAt,
      }));
    },
  };
}

function toStored(row: RunEntity): StoredRun {
  return {
    id: row.id,
    clusterId: row.clusterId,
    clusterName: row.cluster?.name ?? row.clusterId,
    clusterRevision: row.clusterRevision,
    kind: row.kind,
    status: row.status,
    workflowId: row.workflowId,
    temporalRunId: row.temporalRunId,
    requestedBy: row.requestedBy,
    idempotencyKey: row.idempotencyKey,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
