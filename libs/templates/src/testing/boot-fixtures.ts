import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  createBootConfigRepository,
  createClusterRepository,
  createMachineRepository,
  createRunRepository,
  createSecretStore,
  parseSecretKey,
  type BootConfigRepository,
  type ClusterRepository,
  type MachineRepository,
  type SecretKey,
  type SecretStore,
  type StoredMachine,
} from '@plinth/db';
import { validateClusterSpec, type OsFamily } from '@plinth/domain';

/** One machine of a seeded cluster. */
export interface SeedMachine {
  name: string;
  bootMac: string;
  labels?: Record<string, string>;
  params?: Record<string, unknown>;
}

/** A database seeded with machines, a cluster selecting them and a launched run. */
export interface BootScenario {
  secretKey: SecretKey;
  secrets: SecretStore;
  machines: MachineRepository;
  clusters: ClusterRepository;
  configs: BootConfigRepository;
  clusterId: string;
  runId: string;
  /** Stored machines by name. */
  machine: Record<string, StoredMachine>;
}

/**
 * Seeds a test database: the secret `secret/ops-keys` holding `sshPublicKeys` (one per line),
 * the machines, a cluster `name` whose first machine is the control plane and the others workers,
 * with `params.sshKeys: [secret/ops-keys]`, and a pending run of its first revision.
 */
export async function seedBootScenario(
  dataSource: DataSource,
  options: {
    name?: string;
    family: OsFamily;
    version: string;
    machines: SeedMachine[];
    sshPublicKeys: string[];
    params?: Record<string, unknown>;
    raid?: Record<string, unknown>;
    secretKey?: SecretKey;
  },
): Promise<BootScenario> {
  const secretKey = options.secretKey ?? parseSecretKey(randomBytes(32).toString('base64'), 'test');
  const secrets = createSecretStore(dataSource, secretKey);
  const machines = createMachineRepository(dataSource);
  const clusters = createClusterRepository(dataSource);
  const runs = createRunRepository(dataSource);
  await secrets.put('lab-bmc', 'admin:password');
  await secrets.put('ops-keys', options.sshPublicKeys.join('\n'));
  await machines.importMachines(
    options.machines.map((entry, index) => ({
      name: entry.name,
      bmc: { address: `redfish+http://127.1.0.${index + 1}:8000`, credentialsRef: 'secret/lab-bmc' },
      bootMac: entry.bootMac,
      labels: entry.labels ?? {},
      ...(entry.params ? { params: entry.params } : {}),
    })),
  );
  const [first, ...rest] = options.machines;
  const validated = validateClusterSpec({
    name: options.name ?? 'boot-test',
    machines: [
      { names: [first?.name ?? ''], role: 'control-plane' },
      ...(rest.length > 0 ? [{ names: rest.map((entry) => entry.name), role: 'worker' }] : []),
    ],
    os: { family: options.family, version: options.version },
    network: { dns: ['10.20.0.2'], ntp: ['10.20.0.2'] },
    ...(options.raid ? { raid: options.raid } : {}),
    params: { sshKeys: ['secret/ops-keys'], ...options.params },
  });
  if (!validated.ok) throw new Error(`bad test spec: ${JSON.stringify(validated.problems)}`);
  const { cluster } = await clusters.apply(validated.value, 'test');
  const stored: Record<string, StoredMachine> = {};
  for (const entry of options.machines) stored[entry.name] = (await machines.findByName(entry.name))!;
  const { run } = await runs.launch({
    clusterId: cluster.id,
    revision: cluster.current.revision,
    kind: 'deploy',
    requestedBy: 'test',
    machineIds: Object.values(stored).map((entry) => entry.id),
  });
  return {
    secretKey,
    secrets,
    machines,
    clusters,
    configs: createBootConfigRepository(dataSource, secretKey),
    clusterId: cluster.id,
    runId: run.id,
    machine: stored,
  };
}

/** The install-config token inside a served iPXE script (`…/boot/configs/<token>/…`). */
export function configTokenIn(ipxeScript: string): string {
  const token = /\/boot\/configs\/([A-Za-z0-9_-]{43})\//.exec(ipxeScript)?.[1];
  if (!token) throw new Error(`no config token in:\n${ipxeScript}`);
  return token;
}

/** The callback token inside a served install config (`Authorization: Bearer <token>`). */
export function callbackTokenIn(config: string): string {
  const token = /Authorization: Bearer ([A-Za-z0-9_-]{43})/.exec(config)?.[1];
  if (!token) throw new Error('no callback token in the install config');
  return token;
}
