import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedClusterAndMachines } from '../testing/seed-cluster';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
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
