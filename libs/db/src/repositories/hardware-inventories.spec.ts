import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HardwareInventory } from '@plinth/domain';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { createHardwareInventoryRepository } from './hardware-inventories';
import { createMachineRepository } from './machines';

const inventory: HardwareInventory = {
  cpu: { model: 'Xeon', cores: 32, sockets: 2 },
  memoryMiB: 262144,
  drives: [{ id: 'Disk.Bay.0', sizeBytes: 480_103_981_056, mediaType: 'SSD' }],
  nics: [{ id: 'eno1', mac: '52:54:00:00:01:01' }],
  serial: 'SN1',
};

describe('hardware inventories', () => {
  let db: TestDatabase;
  let machineId: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    const machines = createMachineRepository(db.dataSource);
    await machines.importMachines([
      {
        name: 'r1-cp-01',
        bmc: { address: 'redfish://10.0.0.1', credentialsRef: 'secret/bmc' },
        bootMac: '52:54:00:00:01:01',
        labels: {},
      },
    ]);
    machineId = (await machines.findByName('r1-cp-01'))!.id;
  });
  afterAll(async () => db.drop());

  it('records every discovery and answers the newest as the current inventory', async () => {
    const inventories = createHardwareInventoryRepository(db.dataSource);
    expect(await inventories.latest(machineId)).toBeUndefined();
    const first = await inventories.record(machineId, inventory);
    const again = await inventories.record(machineId, inventory);
    expect(again.id).not.toBe(first.id);
    expect(again.contentHash).toBe(first.contentHash);
    const changed = await inventories.record(machineId, { ...inventory, memoryMiB: 131072 });
    expect(changed.contentHash).not.toBe(first.contentHash);
    const latest = await inventories.latest(machineId);
    expect(latest).toMatchObject({ id: changed.id, machineId, unavailable: [] });
    expect(latest?.inventory).toEqual({ ...inventory, memoryMiB: 131072 });
    expect((await inventories.history(machineId)).map((row) => row.id)).toEqual([
      changed.id,
      again.id,
      first.id,
    ]);
    expect((await inventories.get(first.id))?.inventory).toEqual(inventory);
  });

  it('keeps unavailable facts apart from the findings', async () => {
    const inventories = createHardwareInventoryRepository(db.dataSource);
    const partial: HardwareInventory = {
      cpu: { model: '', cores: 0, sockets: 0 },
      memoryMiB: 0,
      drives: [],
      nics: [],
      serial: 'SN1',
    };
    const ref = await inventories.record(machineId, partial, ['cpu', 'memory', 'drives', 'nics']);
    const stored = await inventories.get(ref.id);
    expect(stored?.inventory).toEqual(partial);
    expect(stored?.unavailable).toEqual(['cpu', 'memory', 'drives', 'nics']);
    expect(ref.contentHash).not.toBe((await inventories.record(machineId, partial)).contentHash);
  });
});
