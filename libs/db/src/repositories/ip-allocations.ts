import type { DataSource, EntityManager } from 'typeorm';
import { formatIpv4, parseCidr, parseIpv4, parseIpv4Range } from '@plinth/domain';
import { IpAllocationEntity } from '../entities/network.entity';

/** A pool as the cluster spec declares it (`network.pools.<name>`). */
export interface AddressPoolRef {
  clusterId: string;
  /** Pool name. */
  pool: string;
  /** The network, e.g. `10.20.0.0/24`. */
  cidr: string;
  /** Inclusive `first-last` range inside the network; the whole network when absent. */
  range?: string;
  /** Never handed out. */
  gateway?: string;
}

/** One recorded allocation. */
export interface IpAllocation {
  clusterId: string;
  pool: string;
  address: string;
  /** Prefix length of the pool's network. */
  prefix: number;
  machineId: string;
  interfaceName: string;
}

/** Every usable address of the pool is taken. */
export class AddressPoolExhaustedError extends Error {
  override readonly name = 'AddressPoolExhaustedError';
  constructor(
    readonly pool: string,
    readonly size: number,
  ) {
    super(
      `Address pool ${pool} is exhausted: all ${size} usable addresses are allocated. Widen its range or release machines.`,
    );
  }
}

/** The pool's CIDR or range is malformed (validation should have caught it). */
export class InvalidAddressPoolError extends Error {
  override readonly name = 'InvalidAddressPoolError';
}

/**
 * Static addresses from cluster pools, recorded per machine interface.
 *
 * `allocate` is idempotent — the same machine interface always gets the same address back — and
 * safe under concurrency: allocations in one pool are serialised by a transaction-scoped advisory
 * lock, and unique constraints (one row per address, one per machine interface) guarantee no
 * duplicate even without it.
 */
export interface IpAllocationRepository {
  /** The interface's address: the one recorded, else the lowest free one. @throws AddressPoolExhaustedError */
  allocate(
    request: AddressPoolRef & { machineId: string; interfaceName: string },
  ): Promise<IpAllocation & { created: boolean }>;
  /** Allocations of a cluster (optionally one pool), by pool then address. */
  list(clusterId: string, pool?: string): Promise<Array<Omit<IpAllocation, 'prefix'>>>;
  /** Frees every address of a machine in a cluster; returns how many. */
  releaseMachine(clusterId: string, machineId: string): Promise<number>;
}

const UNIQUE_VIOLATION = '23505';

/** First and last assignable address, as integers: the range, minus network and broadcast addresses. */
function bounds(request: AddressPoolRef): { first: number; last: number; prefix: number } {
  const network = parseCidr(request.cidr);
  if (!network)
    throw new InvalidAddressPoolError(
      `Address pool ${request.pool}: "${request.cidr}" is not a network CIDR.`,
    );
  const range = request.range === undefined ? undefined : parseIpv4Range(request.range);
  if (request.range !== undefined && !range) {
    throw new InvalidAddressPoolError(
      `Address pool ${request.pool}: "${request.range}" is not a first-last range.`,
    );
  }
  const hostRoute = network.prefix >= 31;
  let first = range?.first ?? network.base;
  let last = range?.last ?? network.last;
  if (!hostRoute) {
    first = Math.max(first, network.base + 1);
    last = Math.min(last, network.last - 1);
  }
  if (first < network.base || last > network.last || first > last) {
    throw new InvalidAddressPoolError(
      `Address pool ${request.pool}: range ${request.range ?? ''} is not inside ${request.cidr}.`,
    );
  }
  return { first, last, prefix: network.prefix };
}

export function createIpAllocationRepository(dataSource: DataSource): IpAllocationRepository {
  const toAllocation = (row: IpAllocationEntity, prefix: number): IpAllocation => ({
    clusterId: row.clusterId,
    pool: row.pool,
    address: row.address,
    prefix,
    machineId: row.machineId,
    interfaceName: row.interfaceName,
  });

  async function allocateOnce(
    manager: EntityManager,
    request: AddressPoolRef & { machineId: string; interfaceName: string },
  ): Promise<IpAllocation & { created: boolean }> {
    const { first, last, prefix } = bounds(request);
    await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `ip-pool/${request.clusterId}/${request.pool}`,
    ]);
    const { clusterId, pool, machineId, interfaceName } = request;
    const existing = await manager.findOneBy(IpAllocationEntity, {
      clusterId,
      pool,
      machineId,
      interfaceName,
    });
    if (existing) return { ...toAllocation(existing, prefix), created: false };
    const taken = new Set(
      (await manager.find(IpAllocationEntity, { select: { address: true }, where: { clusterId, pool } })).map(
        (row) => row.address,
      ),
    );
    const gateway = request.gateway === undefined ? undefined : parseIpv4(request.gateway);
    for (let value = first; value <= last; value++) {
      if (value === gateway) continue;
      const address = formatIpv4(value);
      if (taken.has(address)) continue;
      await manager.insert(IpAllocationEntity, { clusterId, pool, address, machineId, interfaceName });
      return { clusterId, pool, address, prefix, machineId, interfaceName, created: true };
    }
    const size = last - first + 1 - (gateway !== undefined && gateway >= first && gateway <= last ? 1 : 0);
    throw new AddressPoolExhaustedError(pool, size);
  }

  return {
    async allocate(request) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await dataSource.transaction((manager) => allocateOnce(manager, request));
        } catch (error) {
          // Only a writer bypassing the lock can collide; the constraint stopped it, so look again.
          const code = (error as { driverError?: { code?: string } }).driverError?.code;
          if (code !== UNIQUE_VIOLATION || attempt >= 3) throw error;
        }
      }
    },
    async list(clusterId, pool) {
      const rows = await dataSource
        .getRepository(IpAllocationEntity)
        .find({ where: pool ? { clusterId, pool } : { clusterId } });
      return rows
        .map((row) => {
          const { prefix: _prefix, ...recorded } = toAllocation(row, 0);
          return recorded;
        })
        .sort(
          (a, b) => a.pool.localeCompare(b.pool) || (parseIpv4(a.address) ?? 0) - (parseIpv4(b.address) ?? 0),
        );
    },
    async releaseMachine(clusterId, machineId) {
      const result = await dataSource.getRepository(IpAllocationEntity).delete({ clusterId, machineId });
      return result.affected ?? 0;
    },
  };
}
