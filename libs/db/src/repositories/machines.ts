import { In, type DataSource } from 'typeorm';
import type { Machine } from '@plinth/domain';
import { MachineEntity } from '../entities/machine.entity';

/** A machine as stored: the domain record plus its id and timestamps. */
export interface StoredMachine extends Machine {
  id: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Boot MACs already registered to other machines; nothing was imported. */
export class MachineConflictError extends Error {
  override readonly name = 'MachineConflictError';
  constructor(readonly conflicts: { bootMac: string; ownedBy: string }[]) {
    super(
      `Boot MAC already registered to another machine: ${conflicts.map((c) => `${c.bootMac} (${c.ownedBy})`).join(', ')}.`,
    );
  }
}

/** The machine inventory. */
export interface MachineRepository {
  /**
   * Creates or updates (by name) every machine in one transaction: all or nothing.
   * Returns the names created and updated.
   */
  importMachines(machines: Machine[]): Promise<{ created: string[]; updated: string[] }>;
  /** Sorted by name; `labels` keeps machines carrying all of them. */
  list(filter?: { labels?: Record<string, string> }): Promise<StoredMachine[]>;
  findByName(name: string): Promise<StoredMachine | undefined>;
  /**
   * Deletes a machine with its discovered inventories and its per-role history in ended runs.
   * Refused (`in-active-run`) while a run that has not ended includes it.
   */
  delete(
    name: string,
  ): Promise<{ result: 'deleted' | 'not-found' } | { result: 'in-active-run'; runId: string }>;
}

export function createMachineRepository(dataSource: DataSource): MachineRepository {
  const repo = dataSource.getRepository(MachineEntity);
  return {
    async importMachines(machines) {
      return dataSource.transaction(async (manager) => {
        const names = machines.map((m) => m.name);
        const existing = new Set(
          (await manager.find(MachineEntity, { select: { name: true }, where: { name: In(names) } })).map(
            (m) => m.name,
          ),
        );
        const clashes = await manager.find(MachineEntity, {
          select: { name: true, bootMac: true },
          where: { bootMac: In(machines.map((m) => m.bootMac)) },
        });
        const byMac = new Map(machines.map((m) => [m.bootMac, m.name]));
        const taken = clashes.filter((c) => byMac.get(c.bootMac) !== c.name);
        if (taken.length > 0)
          throw new MachineConflictError(taken.map((c) => ({ bootMac: c.bootMac, ownedBy: c.name })));
        // jsonb columns: TypeORM's deep-partial type does not model free-form objects.
        await manager.upsert(MachineEntity, machines.map(toRow) as never, { conflictPaths: ['name'] });
        return {
          created: names.filter((n) => !existing.has(n)),
          updated: names.filter((n) => existing.has(n)),
        };
      });
    },
    async list(filter = {}) {
      const query = repo.createQueryBuilder('m').orderBy('m.name', 'ASC');
      if (filter.labels && Object.keys(filter.labels).length > 0) {
        query.where('m.labels @> :labels', { labels: JSON.stringify(filter.labels) });
      }
      return (await query.getMany()).map(fromRow);
    },
    async findByName(name) {
      const row = await repo.findOneBy({ name });
      return row ? fromRow(row) : undefined;
    },
    async delete(name) {
      return dataSource.transaction(async (manager) => {
        const row = await manager
          .getRepository(MachineEntity)
          .createQueryBuilder('m')
          .setLock('pessimistic_write')
          .where('m.name = :name', { name })
          .getOne();
        if (!row) return { result: 'not-found' as const };
        const active = (await manager.query(
          `SELECT r.id FROM run_machine_states s JOIN runs r ON r.id = s.run_id
            WHERE s.machine_id = $1 AND r.status IN ('pending', 'running', 'paused') LIMIT 1`,
          [row.id],
        )) as { id: string }[];
        if (active[0]) return { result: 'in-active-run' as const, runId: active[0].id };
        await manager.query('DELETE FROM run_machine_states WHERE machine_id = $1', [row.id]);
        await manager.query('DELETE FROM hardware_inventories WHERE machine_id = $1', [row.id]);
        await manager.delete(MachineEntity, { id: row.id });
        return { result: 'deleted' as const };
      });
    },
  };
}

function toRow(m: Machine): Partial<MachineEntity> {
  return {
    name: m.name,
    serial: m.serial ?? null,
    bmcAddress: m.bmc.address,
    bmcCredentialsRef: m.bmc.credentialsRef,
    bmcInsecureTls: m.bmc.insecureTls ?? false,
    bmcCaBundleRef: m.bmc.caBundleRef ?? null,
    bootMac: m.bootMac,
    rack: m.rack ?? null,
    position: m.position ?? null,
    labels: m.labels,
    expectedHardware: (m.expect as Record<string, unknown> | undefined) ?? null,
    params: m.params ?? {},
  };
}

function fromRow(row: MachineEntity): StoredMachine {
  return {
    id: row.id,
    name: row.name,
    ...(row.serial ? { serial: row.serial } : {}),
    bmc: {
      address: row.bmcAddress,
      credentialsRef: row.bmcCredentialsRef,
      insecureTls: row.bmcInsecureTls,
      ...(row.bmcCaBundleRef ? { caBundleRef: row.bmcCaBundleRef } : {}),
    },
    bootMac: row.bootMac,
    ...(row.rack ? { rack: row.rack } : {}),
    ...(row.position !== null ? { position: row.position } : {}),
    labels: row.labels,
    ...(row.expectedHardware ? { expect: row.expectedHardware } : {}),
    ...(Object.keys(row.params).length > 0 ? { params: row.params } : {}),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
