import type { DataSource } from 'typeorm';
import type { ClusterSpec } from '@plinth/domain';
import { ClusterEntity, ClusterRevisionEntity } from '../entities/cluster.entity';
import { ProfileEntity } from '../entities/profile.entity';
import { contentHash } from './canonical-json';

/** One stored revision of a cluster's spec. */
export interface ClusterRevision {
  clusterId: string;
  revision: number;
  spec: ClusterSpec;
  specHash: string;
  createdBy: string;
  createdAt: Date;
}

/** A cluster with its current revision. */
export interface StoredCluster {
  id: string;
  name: string;
  current: ClusterRevision;
  createdAt: Date;
  updatedAt: Date;
}

/** Clusters and their immutable revisions; named params profiles. */
export interface ClusterRepository {
  /**
   * Records `spec` as the cluster's newest revision, creating the cluster on first apply. Applying
   * a spec equal to the current revision changes nothing (`changed: false`), so apply is idempotent.
   */
  apply(
    spec: ClusterSpec,
    actor: string,
  ): Promise<{ cluster: StoredCluster; created: boolean; changed: boolean }>;
  findByName(name: string): Promise<StoredCluster | undefined>;
  list(): Promise<StoredCluster[]>;
  /** Every revision, newest first. */
  revisions(clusterId: string): Promise<ClusterRevision[]>;
  revision(clusterId: string, revision: number): Promise<ClusterRevision | undefined>;
  /**
   * Deletes a cluster with its revisions and its runs' records (Temporal keeps the histories).
   * Refused (`run-active`) while one of its runs has not ended.
   */
  delete(
    name: string,
  ): Promise<{ result: 'deleted' | 'not-found' } | { result: 'run-active'; runId: string }>;
  putProfile(name: string, params: Record<string, unknown>): Promise<void>;
  /** Params of a profile, or undefined when no profile has that name. */
  profileParams(name: string): Promise<Record<string, unknown> | undefined>;
}

export function createClusterRepository(dataSource: DataSource): ClusterRepository {
  const clusters = dataSource.getRepository(ClusterEntity);
  const revisions = dataSource.getRepository(ClusterRevisionEntity);
  const profiles = dataSource.getRepository(ProfileEntity);

  const withCurrent = async (cluster: ClusterEntity): Promise<StoredCluster> => {
    const current = await revisions.findOneByOrFail({
      clusterId: cluster.id,
      revision: cluster.currentRevision,
    });
    return toStored(cluster, current);
  };

  return {
    async apply(spec, actor) {
      const specHash = contentHash(spec);
      return dataSource.transaction(async (manager) => {
        // Row lock (or the insert's unique name) serialises concurrent applies of one cluster.
        await manager.query(
          `INSERT INTO clusters (name, current_revision) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`,
          [spec.name],
        );
        const cluster = await manager
          .getRepository(ClusterEntity)
          .createQueryBuilder('c')
          .setLock('pessimistic_write')
          .where('c.name = :name', { name: spec.name })
          .getOneOrFail();
        const created = cluster.currentRevision === 0;
        if (!created) {
          const current = await manager.findOneByOrFail(ClusterRevisionEntity, {
            clusterId: cluster.id,
            revision: cluster.currentRevision,
          });
          if (current.specHash === specHash)
            return { cluster: toStored(cluster, current), created: false, changed: false };
        }
        const revision = manager.create(ClusterRevisionEntity, {
          clusterId: cluster.id,
          revision: cluster.currentRevision + 1,
          spec: spec as unknown as Record<string, unknown>,
          specHash,
          createdBy: actor,
        });
        await manager.save(revision);
        cluster.currentRevision = revision.revision;
        await manager.save(cluster);
        return { cluster: toStored(cluster, revision), created, changed: true };
      });
    },
    async findByName(name) {
      const cluster = await clusters.findOneBy({ name });
      return cluster ? withCurrent(cluster) : undefined;
    },
    async list() {
      return Promise.all((await clusters.find({ order: { name: 'ASC' } })).map(withCurrent));
    },
    async revisions(clusterId) {
      return (await revisions.find({ where: { clusterId }, order: { revision: 'DESC' } })).map(toRevision);
    },
    async revision(clusterId, revision) {
      const row = await revisions.findOneBy({ clusterId, revision });
      return row ? toRevision(row) : undefined;
    },
    async delete(name) {
      return dataSource.transaction(async (manager) => {
        const cluster = await manager
          .getRepository(ClusterEntity)
          .createQueryBuilder('c')
          .setLock('pessimistic_write')
          .where('c.name = :name', { name })
          .getOne();
        if (!cluster) return { result: 'not-found' as const };
        const active = (await manager.query(
          `SELECT id FROM runs WHERE cluster_id = $1 AND status IN ('pending', 'running', 'paused') LIMIT 1`,
          [cluster.id],
        )) as { id: string }[];
        if (active[0]) return { result: 'run-active' as const, runId: active[0].id };
        // run_machine_states go with their runs (ON DELETE CASCADE).
        await manager.query('DELETE FROM runs WHERE cluster_id = $1', [cluster.id]);
        await manager.query('DELETE FROM cluster_revisions WHERE cluster_id = $1', [cluster.id]);
        await manager.delete(ClusterEntity, { id: cluster.id });
        return { result: 'deleted' as const };
      });
    },
    async putProfile(name, params) {
      await profiles.upsert({ name, params: params as never }, { conflictPaths: ['name'] });
    },
    async profileParams(name) {
      return (await profiles.findOneBy({ name }))?.params;
    },
  };
}

function toRevision(row: ClusterRevisionEntity): ClusterRevision {
  return {
    clusterId: row.clusterId,
    revision: row.revision,
    spec: row.spec as unknown as ClusterSpec,
    specHash: row.specHash,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
  };
}

function toStored(cluster: ClusterEntity, current: ClusterRevisionEntity): StoredCluster {
  return {
    id: cluster.id,
    name: cluster.name,
    current: toRevision(current),
    createdAt: cluster.createdAt,
    updatedAt: cluster.updatedAt,
  };
}
