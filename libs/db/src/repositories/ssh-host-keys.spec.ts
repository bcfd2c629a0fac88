import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { validateClusterSpec, type Machine } from '@plinth/domain';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { createClusterRepository } from './clusters';
import { createMachineRepository } from './machines';
import { createSshHostKeyRepository } from './ssh-host-keys';

let db: TestDatabase;
let machineIds: string[];
const KEY_A = 'SHA256:' + 'a'.repeat(43);
const KEY_B = 'SHA256:' + 'b'.repeat(43);
const KEY_C = 'SHA256:' + 'c'.repeat(43);

beforeAll(async () => {
  db = await createTestDatabase();
  ({ machineIds } = await seedClusterAndMachines(db.dataSource, { cluster: 'keys', machines: 4 }));
});
afterAll(() => db.drop());

describe('ssh host keys', () => {
  it('pins on first use; racing first connections all see one winner', async () => {
    const repo = createSshHostKeyRepository(db.dataSource);
    const machineId = machineIds[0]!;
    expect(await repo.get(machineId)).toBeUndefined();
    const pins = await Promise.all(
      [KEY_A, KEY_B, KEY_C, KEY_A, KEY_B].map((key) => repo.pinFirst(machineId, key)),
    );
    expect(new Set(pins.map((pin) => pin.sha256)).size).toBe(1);
    expect(await repo.get(machineId)).toEqual(pins[0]);
  });

  it('replaces a pin only with the key an installer announced', async () => {
    const repo = createSshHostKeyRepository(db.dataSource);
    const machineId = machineIds[1]!;
    await repo.pinFirst(machineId, KEY_A);
    expect(await repo.replace(machineId, KEY_B)).toBe(false);
    await repo.expect(machineId, KEY_B);
    expect(await repo.get(machineId)).toEqual({ sha256: KEY_A, expectedSha256: KEY_B });
    expect(await repo.replace(machineId, KEY_C)).toBe(false);
    expect(await repo.replace(machineId, KEY_B)).toBe(true);
    expect(await repo.get(machineId)).toEqual({ sha256: KEY_B });
    // Announcing the key already pinned clears nothing but an old expectation.
    await repo.expect(machineId, KEY_C);
    await repo.expect(machineId, KEY_B);
    expect(await repo.get(machineId)).toEqual({ sha256: KEY_B });
  });

  it('pins an announced key directly when there is no pin, and forgets on request', async () => {
    const repo = createSshHostKeyRepository(db.dataSource);
    const machineId = machineIds[2]!;
    await repo.expect(machineId, KEY_C);
    expect(await repo.get(machineId)).toEqual({ sha256: KEY_C });
    expect(await repo.forget(machineId)).toBe(true);
    expect(await repo.get(machineId)).toBeUndefined();
  });
});

async function seedClusterAndMachines(
  dataSource: DataSource,
  options: { cluster: string; machines: number },
): Promise<{ clusterId: string; machineIds: string[] }> {
  const machines: Machine[] = Array.from({ length: options.machines }, (_, index) => ({
    name: `${options.cluster}-m${index + 1}`,
    bmc: { address: `redfish+http://127.0.0.1:${9000 + index}`, credentialsRef: 'secret/bmc' },
    bootMac: `52:54:00:${options.cluster.length.toString(16).padStart(2, '0')}:${(index >> 8).toString(16).padStart(2, '0')}:${(index & 0xff).toString(16).padStart(2, '0')}`,
    labels: {},
  }));
  const machineRepo = createMachineRepository(dataSource);
  await machineRepo.importMachines(machines);
  const spec = validateClusterSpec({
    name: options.cluster,
    machines: [{ names: machines.map((machine) => machine.name), role: 'control-plane' }],
    os: { family: 'ubuntu', version: '24.04' },
  });
  if (!spec.ok) throw new Error(`test cluster spec is invalid: ${JSON.stringify(spec.problems)}`);
  const { cluster } = await createClusterRepository(dataSource).apply(spec.value, 'test');
  const stored = await machineRepo.list();
  const ids = new Map(stored.map((machine) => [machine.name, machine.id]));
  return { clusterId: cluster.id, machineIds: machines.map((machine) => ids.get(machine.name) ?? '') };
}
