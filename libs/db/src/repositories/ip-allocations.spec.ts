import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedClusterAndMachines } from '../testing/seed-cluster';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { AddressPoolExhaustedError, createIpAllocationRepository } from './ip-allocations';

let db: TestDatabase;
let clusterId: string;
let machineIds: string[];

beforeAll(async () => {
  db = await createTestDatabase();
  ({ clusterId, machineIds } = await seedClusterAndMachines(db.dataSource, {
    cluster: 'alloc',
    machines: 220,
  }));
});
afterAll(() => db.drop());

const mgmt = (over: Record<string, string> = {}) => ({
  pool: 'mgmt',
  cidr: '10.20.0.0/24',
  gateway: '10.20.0.1',
  ...over,
});

describe('ip allocations', () => {
  it('hands out the lowest free address, skipping network, gateway and taken ones, and the same one again to the same interface', async () => {
    const repo = createIpAllocationRepository(db.dataSource);
    const first = await repo.allocate({
      clusterId,
      ...mgmt({ pool: 'p1' }),
      machineId: machineIds[0]!,
      interfaceName: 'bond0',
    });
    expect(first).toMatchObject({ address: '10.20.0.2', prefix: 24, created: true });
    const second = await repo.allocate({
      clusterId,
      ...mgmt({ pool: 'p1' }),
      machineId: machineIds[1]!,
      interfaceName: 'bond0',
    });
    expect(second.address).toBe('10.20.0.3');
    const again = await repo.allocate({
      clusterId,
      ...mgmt({ pool: 'p1' }),
      machineId: machineIds[0]!,
      interfaceName: 'bond0',
    });
    expect(again).toMatchObject({ address: '10.20.0.2', created: false });
    const otherInterface = await repo.allocate({
      clusterId,
      ...mgmt({ pool: 'p1' }),
      machineId: machineIds[0]!,
      interfaceName: 'storage',
    });
    expect(otherInterface.address).toBe('10.20.0.4');
    const ranged = await repo.allocate({
      clusterId,
      ...mgmt({ pool: 'p2', range: '10.20.0.50-10.20.0.60' }),
      machineId: machineIds[0]!,
      interfaceName: 'bond0',
    });
    expect(ranged.address).toBe('10.20.0.50');
  });

  it('never hands out one address twice under concurrency (200 machines at once)', async () => {
    const repo = createIpAllocationRepository(db.dataSource);
    const results = await Promise.all(
      machineIds.slice(0, 200).map((machineId) =>
        repo.allocate({
          clusterId,
          ...mgmt({ pool: 'busy', range: '10.20.0.10-10.20.0.250' }),
          machineId,
          interfaceName: 'mgmt',
        }),
      ),
    );
    const addresses = results.map((result) => result.address);
    expect(new Set(addresses).size).toBe(200);
    expect(await repo.list(clusterId, 'busy')).toHaveLength(200);
    // Concurrent repeats by machines that already have one change nothing.
    const repeats = await Promise.all(
      machineIds.slice(0, 50).map((machineId) =>
        repo.allocate({
          clusterId,
          ...mgmt({ pool: 'busy', range: '10.20.0.10-10.20.0.250' }),
          machineId,
          interfaceName: 'mgmt',
        }),
      ),
    );
    expect(repeats.map((result) => result.address)).toEqual(addresses.slice(0, 50));
    expect(repeats.every((result) => !result.created)).toBe(true);
  });

  it('gives one machine interface asking many times at once a single address', async () => {
    const repo = createIpAllocationRepository(db.dataSource);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        repo.allocate({
          clusterId,
          ...mgmt({ pool: 'same' }),
          machineId: machineIds[5]!,
          interfaceName: 'bond0',
        }),
      ),
    );
    expect(new Set(results.map((result) => result.address))).toEqual(new Set(['10.20.0.2']));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(await repo.list(clusterId, 'same')).toHaveLength(1);
  });

  it('fails with AddressPoolExhaustedError once every usable address is taken', async () => {
    const repo = createIpAllocationRepository(db.dataSource);
    const outcomes = await Promise.allSettled(
      machineIds.slice(0, 8).map((machineId) =>
        repo.allocate({
          clusterId,
          pool: 'tiny',
          cidr: '10.30.0.0/29',
          gateway: '10.30.0.1',
          machineId,
          interfaceName: 'bond0',
        }),
      ),
    );
    // /29: 8 addresses, minus network, broadcast and gateway = 5.
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
    const failures = outcomes.filter(
      (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
    );
    expect(failures).toHaveLength(3);
    for (const failure of failures) {
      expect(failure.reason).toBeInstanceOf(AddressPoolExhaustedError);
      expect((failure.reason as Error).message).toBe(
        'Address pool tiny is exhausted: all 5 usable addresses are allocated. Widen its range or release machines.',
      );
    }
  });

  it('is backed by unique constraints: a duplicate address cannot be written even bypassing the repository', async () => {
    const repo = createIpAllocationRepository(db.dataSource);
    const taken = await repo.allocate({
      clusterId,
      ...mgmt({ pool: 'guard' }),
      machineId: machineIds[0]!,
      interfaceName: 'bond0',
    });
    await expect(
      db.dataSource.query(
        'INSERT INTO ip_allocations (cluster_id, pool, address, machine_id, interface) VALUES ($1, $2, $3, $4, $5)',
        [clusterId, 'guard', taken.address, machineIds[1], 'bond0'],
      ),
    ).rejects.toThrow(/ip_allocations_cluster_id_pool_address_key/);
    expect(await repo.releaseMachine(clusterId, machineIds[0]!)).toBeGreaterThan(0);
    expect(await repo.list(clusterId, 'guard')).toEqual([]);
  });
});
