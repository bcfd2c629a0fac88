import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AllocatedAddress, ApplyNetworkInput, SshAccess } from '@plinth/contracts';
import { LabSwitch, createSwitchRegistry } from '@plinth/driver-switch';
import {
  activityEnvironment,
  failureOf,
  RoleTestbed,
  runActivity,
  type LabHost,
} from '../verify-os/role-testbed';
import { createNetworkActivities, NETPLAN_BACKUP_DIR, type NetworkDeps } from './network-activities';
import { PLINTH_NETPLAN_PATH } from './render-netplan';

/**
 * The network role under MockActivityEnvironment against lab hosts (their emulated netplan, ip and
 * package managers over real SSH), a lab switch, and a real PostgreSQL for address allocations.
 */
const bed = new RoleTestbed(94);
const leaf = new LabSwitch('leaf1', [
  'Ethernet1',
  'Ethernet2',
  'Ethernet3',
  'Ethernet4',
  'Ethernet5',
  'Ethernet6',
]);
let ubuntu: LabHost;
let debian: LabHost;
let rocky: LabHost;
let cluster: { clusterId: string; revision: number };

const NETWORK = {
  bonds: [{ name: 'bond0', mode: '802.3ad', interfaces: ['eno1', 'eno2'] }],
  vlans: [{ id: 120, on: 'bond0', name: 'mgmt', addresses: 'pool/mgmt' }],
  pools: { mgmt: { cidr: '10.20.0.0/24', gateway: '10.20.0.1', range: '10.20.0.50-10.20.0.200' } },
  dns: ['10.20.0.2'],
  ntp: ['10.20.0.2'],
};

function deps(overrides: Partial<NetworkDeps> = {}): NetworkDeps {
  return {
    ssh: bed.ssh,
    clusters: bed.clusters,
    ipAllocations: bed.ipAllocations,
    switches: createSwitchRegistry([leaf]),
    heartbeatIntervalMs: 50,
    restoreWindowMs: 5000,
    ...overrides,
  };
}

function nicsOf(host: LabHost): ApplyNetworkInput['nics'] {
  return host.machine.hardware.nics.map((nic) => ({ name: nic.id, mac: nic.mac }));
}

function applyInput(
  host: LabHost,
  addresses: AllocatedAddress[],
  family: ApplyNetworkInput['osFamily'],
): ApplyNetworkInput {
  return {
    ...cluster,
    machineId: bed.idOf(host),
    ssh: bed.access(host),
    osFamily: family,
    nics: nicsOf(host),
    bootNic: 'eno1',
    addresses,
    tryTimeoutSeconds: 1,
  };
}

interface IpLink {
  ifname: string;
  master?: string;
  link?: string;
  addr_info: Array<{ family: string; local: string; prefixlen: number }>;
}
async function links(access: SshAccess): Promise<IpLink[]> {
  return JSON.parse((await bed.ssh.run(access, 'ip -j addr')).stdout) as IpLink[];
}

beforeAll(async () => {
  await bed.start();
  [ubuntu, debian, rocky] = (await bed.addHosts([
    { hostname: 'n-ubuntu', address: '10.94.0.11/24', format: 'autoinstall' },
    { hostname: 'n-debian', address: '10.94.0.12/24', format: 'preseed' },
    { hostname: 'n-rocky', address: '10.94.0.13/24', format: 'kickstart' },
  ])) as [LabHost, LabHost, LabHost];
  await Promise.all([ubuntu, debian, rocky].map((host) => host.install()));
  const applied = await bed.applySpec({
    name: 'netlab',
    machines: [{ names: ['n-ubuntu', 'n-debian', 'n-rocky'], role: 'control-plane' }],
    os: { family: 'ubuntu', version: '24.04' },
    network: NETWORK,
  });
  cluster = { clusterId: applied.clusterId, revision: applied.revision };
});
afterAll(() => bed.close());

describe('network role on Ubuntu: happy path, then a rerun', () => {
  let addresses: AllocatedAddress[];

  it('allocates an address, configures the switch ports, applies netplan with try semantics and verifies it', async () => {
    const activities = createNetworkActivities(deps());
    const { env, heartbeats } = activityEnvironment();
    ({ addresses } = await runActivity(env, activities.allocateAddresses, {
      ...cluster,
      machineId: bed.idOf(ubuntu),
    }));
    expect(addresses).toEqual([{ interfaceName: 'mgmt', pool: 'mgmt', address: '10.20.0.50', prefix: 24 }]);

    const ports = await runActivity(env, activities.configureSwitchPorts, {
      ...cluster,
      machineId: bed.idOf(ubuntu),
      machineName: 'n-ubuntu',
      links: [
        { nic: 'eno1', switchId: 'leaf1', portId: 'Ethernet1' },
        { nic: 'eno2', switchId: 'leaf1', portId: 'Ethernet2' },
      ],
    });
    expect(ports).toEqual({ changed: 2, unchanged: 0 });
    expect(await leaf.getPort('Ethernet1')).toEqual({
      portId: 'Ethernet1',
      mode: 'trunk',
      allowedVlans: [120],
      lag: { name: 'n-ubuntu-bond0', lacp: true },
      description: 'n-ubuntu eno1 (bond0)',
    });

    const result = await runActivity(env, activities.applyNetwork, applyInput(ubuntu, addresses, 'ubuntu'));
    expect(result).toMatchObject({ changed: true, gateway: '10.20.0.1' });
    expect(result.netplanSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(heartbeats).toContainEqual({ step: 'netplan try: confirming' });

    const live = await links(bed.access(ubuntu));
    expect(live.find((link) => link.ifname === 'eno2')?.master).toBe('bond0');
    expect(live.find((link) => link.ifname === 'mgmt')).toMatchObject({ link: 'bond0' });
    expect(live.find((link) => link.ifname === 'mgmt')?.addr_info).toContainEqual(
      expect.objectContaining({ local: '10.20.0.50', prefixlen: 24 }),
    );
    expect((await bed.ssh.run(bed.access(ubuntu), 'sudo ls /etc/netplan')).stdout).toBe('60-plinth.yaml\n');
    expect((await bed.ssh.exec(bed.access(ubuntu), `sudo test -d ${NETPLAN_BACKUP_DIR}`)).exitCode).toBe(1);
    expect(
      (await bed.ssh.run(bed.access(ubuntu), 'sudo cat /etc/chrony/sources.d/plinth.sources')).stdout,
    ).toContain('server 10.20.0.2 iburst');
    expect(ubuntu.machine.counters.netplanApplies).toBe(1);
  });

  it('a rerun after success repeats no side effect (same address, no switch change, no netplan apply, no package install)', async () => {
    const before = { ...ubuntu.machine.counters };
    const switchChanges = leaf.counters.portChanges;
    const activities = createNetworkActivities(deps({ ssh: bed.newDriver() }));
    const { env } = activityEnvironment();
    const again = await runActivity(env, activities.allocateAddresses, {
      ...cluster,
      machineId: bed.idOf(ubuntu),
    });
    expect(again.addresses).toEqual(addresses);
    const ports = await runActivity(env, activities.configureSwitchPorts, {
      ...cluster,
      machineId: bed.idOf(ubuntu),
      machineName: 'n-ubuntu',
      links: [
        { nic: 'eno1', switchId: 'leaf1', portId: 'Ethernet1' },
        { nic: 'eno2', switchId: 'leaf1', portId: 'Ethernet2' },
      ],
    });
    expect(ports).toEqual({ changed: 0, unchanged: 2 });
    const result = await runActivity(
      env,
      activities.applyNetwork,
      applyInput(ubuntu, again.addresses, 'ubuntu'),
    );
    expect(result.changed).toBe(false);
    expect(ubuntu.machine.counters).toEqual(before);
    expect(leaf.counters.portChanges).toBe(switchChanges);
  });
});

describe('network role: a rerun after a crash mid-role', () => {
  it('finishes the apply a cancelled attempt left half done (file written, netplan try reverted)', async () => {
    const activities = createNetworkActivities(deps());
    const { addresses } = await runActivity(activityEnvironment().env, activities.allocateAddresses, {
      ...cluster,
      machineId: bed.idOf(debian),
    });
    expect(addresses[0]?.address).toBe('10.20.0.51');

    // The worker "crashes" (its activity is cancelled) while netplan try waits for confirmation.
    const { env } = activityEnvironment();
    const onCounter = (counter: string): void => {
      if (counter === 'netplanApplies') setTimeout(() => env.cancel(), 20);
    };
    debian.machine.on('counter', onCounter);
    const crashed = await runActivity(env, activities.applyNetwork, {
      ...applyInput(debian, addresses, 'debian'),
      tryTimeoutSeconds: 30,
    }).then(
      () => 'completed',
      (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`,
    );
    debian.machine.off('counter', onCounter);
    expect(crashed).toBe('CancelledFailure: CANCELLED');
    expect(debian.machine.counters.netplanApplies).toBe(1);
    // The file is on disk but the running network was reverted when the session went away.
    expect((await bed.ssh.exec(bed.access(debian), `sudo test -f ${PLINTH_NETPLAN_PATH}`)).exitCode).toBe(0);
    expect((await links(bed.access(debian))).some((link) => link.ifname === 'bond0')).toBe(false);

    // A new worker runs the activity again: it applies once more and completes.
    const retry = createNetworkActivities(deps({ ssh: bed.newDriver() }));
    const result = await runActivity(
      activityEnvironment().env,
      retry.applyNetwork,
      applyInput(debian, addresses, 'debian'),
    );
    expect(result.changed).toBe(true);
    expect(debian.machine.counters.netplanApplies).toBe(2);
    expect(
      (await links(bed.access(debian))).find((link) => link.ifname === 'mgmt')?.addr_info,
    ).toContainEqual(expect.objectContaining({ local: '10.20.0.51' }));
    expect((await bed.ssh.exec(bed.access(debian), `sudo test -d ${NETPLAN_BACKUP_DIR}`)).exitCode).toBe(1);
    // And a further rerun changes nothing.
    await runActivity(activityEnvironment().env, retry.applyNetwork, applyInput(debian, addresses, 'debian'));
    expect(debian.machine.counters.netplanApplies).toBe(2);
  });
});

describe('network role faults', () => {
  it('rolls back when the host becomes unreachable after the apply: NetworkApplyFailed, previous network and files back', async () => {
    const activities = createNetworkActivities(deps());
    const { addresses } = await runActivity(activityEnvironment().env, activities.allocateAddresses, {
      ...cluster,
      machineId: bed.idOf(rocky),
    });
    const access = bed.access(rocky);
    // Warm the pool: the existing session survives, as an established connection does; new ones are refused.
    await bed.ssh.run(access, 'true');
    const onCounter = (counter: string): void => {
      if (counter === 'netplanApplies') rocky.machine.faults.sshRefuse = true;
    };
    rocky.machine.on('counter', onCounter);
    let failure;
    try {
      failure = await failureOf(
        runActivity(
          activityEnvironment().env,
          activities.applyNetwork,
          applyInput(rocky, addresses, 'rocky'),
        ),
      );
    } finally {
      rocky.machine.off('counter', onCounter);
      rocky.machine.faults.sshRefuse = false;
    }
    expect(failure.type).toBe('NetworkApplyFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('a new SSH connection failed');
    expect(failure.message).toContain('the previous files were restored');
    expect(rocky.machine.counters.netplanApplies).toBe(1);
    expect((await links(access)).map((link) => link.ifname)).toEqual(['lo', 'eno1', 'eno2']);
    expect((await bed.ssh.exec(access, `sudo test -f ${PLINTH_NETPLAN_PATH}`)).exitCode).toBe(1);
    expect((await bed.ssh.exec(access, `sudo test -d ${NETPLAN_BACKUP_DIR}`)).exitCode).toBe(1);
  });

  it('fails with a retryable SshUnreachable when the host refuses SSH from the start', async () => {
    const fresh = bed.newDriver();
    rocky.machine.faults.sshRefuse = true;
    try {
      const failure = await failureOf(
        runActivity(
          activityEnvironment().env,
          createNetworkActivities(deps({ ssh: fresh })).applyNetwork,
          applyInput(
            rocky,
            [{ interfaceName: 'mgmt', pool: 'mgmt', address: '10.20.0.52', prefix: 24 }],
            'rocky',
          ),
        ),
      );
      expect(failure).toMatchObject({ type: 'SshUnreachable', nonRetryable: false });
    } finally {
      rocky.machine.faults.sshRefuse = false;
    }
    expect(rocky.machine.counters.netplanApplies).toBe(1);
  });

  it('maps switch faults: unreachable is retryable, a refused configuration is not', async () => {
    const input = {
      ...cluster,
      machineId: bed.idOf(rocky),
      machineName: 'n-rocky',
      links: [{ nic: 'eno1', switchId: 'leaf2', portId: 'Ethernet1' }],
    };
    const flaky = new LabSwitch('leaf2', ['Ethernet1']);
    flaky.faults.unreachable = true;
    const down = await failureOf(
      runActivity(
        activityEnvironment().env,
        createNetworkActivities(deps({ switches: createSwitchRegistry([flaky]) })).configureSwitchPorts,
        input,
      ),
    );
    expect(down).toMatchObject({ type: 'CommandFailed', nonRetryable: false });
    expect(down.message).toContain('Switch leaf2 did not answer.');
    const noLacp = new LabSwitch('leaf2', ['Ethernet1'], { lacp: false });
    const refused = await failureOf(
      runActivity(
        activityEnvironment().env,
        createNetworkActivities(deps({ switches: createSwitchRegistry([noLacp]) })).configureSwitchPorts,
        input,
      ),
    );
    expect(refused).toMatchObject({ type: 'NetworkApplyFailed', nonRetryable: true });
    expect(refused.message).toContain('does not support LACP');
  });

  it('fails with a non-retryable AddressPoolExhausted when the pool is full', async () => {
    const tiny = await bed.applySpec({
      name: 'tinynet',
      machines: [{ names: ['n-ubuntu', 'n-debian'], role: 'control-plane' }],
      os: { family: 'ubuntu', version: '24.04' },
      network: {
        ...NETWORK,
        pools: { mgmt: { cidr: '10.21.0.0/24', gateway: '10.21.0.1', range: '10.21.0.10-10.21.0.10' } },
      },
    });
    const activities = createNetworkActivities(deps());
    const ref = { clusterId: tiny.clusterId, revision: tiny.revision };
    await runActivity(activityEnvironment().env, activities.allocateAddresses, {
      ...ref,
      machineId: bed.idOf(ubuntu),
    });
    const failure = await failureOf(
      runActivity(activityEnvironment().env, activities.allocateAddresses, {
        ...ref,
        machineId: bed.idOf(debian),
      }),
    );
    expect(failure).toMatchObject({ type: 'AddressPoolExhausted', nonRetryable: true });
    expect(failure.message).toContain(
      'Address pool mgmt is exhausted: all 1 usable addresses are allocated.',
    );
  });
});
