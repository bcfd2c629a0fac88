/**
 * Test support for the SSH roles' activities (not exported from the package): a migrated test
 * database (secrets, pinned host keys, machines, clusters), lab hosts that really netboot and
 * install, and an SSH driver wired to the database exactly as the worker wires it.
 */
import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import {
  createClusterRepository,
  createIpAllocationRepository,
  createMachineRepository,
  createSecretStore,
  createSshHostKeyRepository,
  parseSecretKey,
  type ClusterRepository,
  type SecretStore,
} from '@plinth/db';
import { createTestDatabase, type TestDatabase } from '@plinth/db/testing';
import { validateClusterSpec, type ClusterSpec } from '@plinth/domain';
import { createSshDriver, type SshDriver } from '@plinth/driver-ssh';
import { LabHosts, type InstallFormat, type LabHost } from '@plinth/driver-ssh/src/testing/lab-hosts';

export { LabHosts, type LabHost, type InstallFormat };

export class RoleTestbed {
  db!: TestDatabase;
  secrets!: SecretStore;
  ssh!: SshDriver;
  clusters!: ClusterRepository;
  readonly lab: LabHosts;
  /** Machine name → database id. */
  readonly machineIds = new Map<string, string>();
  private readonly drivers: SshDriver[] = [];

  constructor(net: number, timings: ConstructorParameters<typeof LabHosts>[1] = {}) {
    this.lab = new LabHosts(net, timings);
  }

  async start(): Promise<void> {
    this.db = await createTestDatabase();
    this.secrets = createSecretStore(
      this.db.dataSource,
      parseSecretKey(randomBytes(32).toString('base64'), 'test key'),
    );
    await this.secrets.put(this.lab.keyRef.replace(/^secret\//, ''), this.lab.key.privateKey);
    this.clusters = createClusterRepository(this.db.dataSource);
    await this.lab.start();
    this.ssh = this.newDriver();
  }

  /** Another SSH driver over the same database (a second worker, or one after a crash). */
  newDriver(): SshDriver {
    const driver = createSshDriver({
      hostKeys: createSshHostKeyRepository(this.db.dataSource),
      secrets: this.secrets,
      connectTimeoutMs: 5000,
    });
    this.drivers.push(driver);
    return driver;
  }

  get ipAllocations(): ReturnType<typeof createIpAllocationRepository> {
    return createIpAllocationRepository(this.db.dataSource);
  }

  /** Lab hosts registered as inventory machines (their database rows exist), not yet installed. */
  async addHosts(
    hosts: Array<{ hostname: string; address: string; format?: InstallFormat }>,
  ): Promise<LabHost[]> {
    const added = hosts.map((host) => this.lab.add(host));
    await createMachineRepository(this.db.dataSource).importMachines(
      added.map((host) => ({
        name: host.hostname,
        bmc: { address: `redfish+http://${host.sshHost}:8000`, credentialsRef: 'secret/lab-bmc' },
        bootMac: host.machine.bootMac,
        labels: {},
      })),
    );
    for (const machine of await createMachineRepository(this.db.dataSource).list())
      this.machineIds.set(machine.name, machine.id);
    return added;
  }

  /** SSH access for a host, keyed by its machine id. */
  access(host: LabHost): ReturnType<LabHost['access']> {
    return host.access(this.idOf(host));
  }

  idOf(host: LabHost): string {
    const id = this.machineIds.get(host.hostname);
    if (!id) throw new Error(`${host.hostname} is not registered`);
    return id;
  }

  /** Validate and store a cluster spec; returns its id and revision. */
  async applySpec(
    input: Record<string, unknown>,
  ): Promise<{ clusterId: string; revision: number; spec: ClusterSpec }> {
    const spec = validateClusterSpec(input);
    if (!spec.ok) throw new Error(`invalid test spec: ${JSON.stringify(spec.problems)}`);
    const { cluster } = await this.clusters.apply(spec.value, 'test');
    return { clusterId: cluster.id, revision: cluster.current.revision, spec: spec.value };
  }

  async close(): Promise<void> {
    for (const driver of this.drivers) await driver.close();
    await this.lab.close();
    await this.db?.drop();
  }
}

/** An activity environment that records heartbeats. */
export function activityEnvironment(): { env: MockActivityEnvironment; heartbeats: unknown[] } {
  const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => heartbeats.push(details));
  return { env, heartbeats };
}

/** The Temporal failure an activity threw: its type (the role error code) and whether it may be retried. */
export async function failureOf(
  promise: Promise<unknown>,
): Promise<{ type: string; nonRetryable: boolean; message: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught as { type?: string; nonRetryable?: boolean; message?: string },
  );
  if (!error) throw new Error('expected the activity to fail');
  return {
    type: error.type ?? '(none)',
    nonRetryable: error.nonRetryable ?? false,
    message: error.message ?? '',
  };
}

/** `env.run` with the activity's own parameter and result types. */
export function runActivity<A extends unknown[], R>(
  env: MockActivityEnvironment,
  activity: (...args: A) => Promise<R>,
  ...args: A
): Promise<R> {
  return env.run(activity, ...args) as Promise<R>;
}
