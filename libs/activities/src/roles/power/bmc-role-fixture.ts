/**
 * Test support for the BMC role activities (not exported from the package): a real PostgreSQL
 * database with the inventory and the encrypted secret store, lab machines behind real BMC
 * endpoints, and activity dependencies wired exactly as the worker wires them — the credentials
 * travel as `secret/<name>` references and are revealed by the driver at login.
 */
import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { MachineRef } from '@plinth/contracts';
import {
  createHardwareInventoryRepository,
  createMachineRepository,
  createSecretStore,
  parseSecretKey,
  type HardwareInventoryRepository,
  type MachineRepository,
  type SecretStore,
} from '@plinth/db';
import { createTestDatabase, type TestDatabase } from '@plinth/db/testing';
import type { Machine } from '@plinth/domain';
import {
  createBmcDriverRegistry,
  credentialsFromSecrets,
  type BmcDriverRegistry,
  type BmcObservers,
} from '@plinth/driver-bmc';
import { TEST_POLICY, type LabBmc } from '@plinth/driver-bmc/testing';
import type { BmcRoleDeps } from './bmc-activity-support';

export interface BmcRoleFixture {
  db: TestDatabase;
  machines: MachineRepository;
  inventories: HardwareInventoryRepository;
  secrets: SecretStore;
  drivers: BmcDriverRegistry;
  deps: BmcRoleDeps;
  /**
   * Registers a lab machine in the inventory under `name`, its BMC credentials stored encrypted as
   * `secret/<name>-bmc`; `expect` defaults to exactly the machine's hardware.
   */
  register(name: string, bmc: LabBmc, overrides?: Partial<Machine>): Promise<MachineRef>;
  close(): Promise<void>;
}

export async function startBmcRoleFixture(
  options: { observers?: BmcObservers } = {},
): Promise<BmcRoleFixture> {
  const db = await createTestDatabase();
  const machines = createMachineRepository(db.dataSource);
  const inventories = createHardwareInventoryRepository(db.dataSource);
  const secrets = createSecretStore(
    db.dataSource,
    parseSecretKey(randomBytes(32).toString('base64'), 'test key'),
  );
  const drivers = createBmcDriverRegistry({
    credentials: credentialsFromSecrets((ref) => secrets.reveal(ref)),
    policy: TEST_POLICY,
    ...(options.observers ? { observers: options.observers } : {}),
  });
  return {
    db,
    machines,
    inventories,
    secrets,
    drivers,
    deps: { drivers, machines },
    async register(name, bmc, overrides = {}) {
      const credentialsRef = await secrets.put(
        `${name}-bmc`,
        `${bmc.credentials.username}:${bmc.credentials.password}`,
      );
      const { hardware } = bmc.machine;
      await machines.importMachines([
        {
          name,
          ...(hardware.serial ? { serial: hardware.serial } : {}),
          bmc: { address: bmc.access.address, credentialsRef },
          bootMac: bmc.machine.bootMac,
          labels: {},
          expect: {
            cpuCores: hardware.cpu.sockets * hardware.cpu.coresPerSocket,
            memoryMiB: hardware.memory.dimms * hardware.memory.dimmMiB,
            disks: hardware.drives.length,
          },
          ...overrides,
        },
      ]);
      const stored = await machines.findByName(name);
      if (!stored) throw new Error(`machine ${name} was not stored`);
      return { machineId: stored.id, machineName: name };
    },
    async close() {
      await drivers.close();
      await db.drop();
    },
  };
}

/** A MockActivityEnvironment that records the heartbeats it receives. */
export function recordingEnvironment(info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}): {
  env: MockActivityEnvironment;
  heartbeats: unknown[];
  /** `env.run` with the activity's own types. */
  run<A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A): Promise<R>;
} {
  // Failures are what these tests assert on; the environment's own warnings would only be noise.
  const env = new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  return {
    env,
    heartbeats,
    run: <A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A) =>
      env.run(activity, ...args) as Promise<R>,
  };
}
