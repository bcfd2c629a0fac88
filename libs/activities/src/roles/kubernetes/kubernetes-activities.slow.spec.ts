import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubernetesJoinInfo, KubernetesNode } from '@plinth/contracts';
import type { SshDriver } from '@plinth/driver-ssh';
import {
  activityEnvironment,
  failureOf,
  RoleTestbed,
  runActivity,
  type LabHost,
} from '../verify-os/role-testbed';
import { createKubernetesActivities, joinSecretNames, type KubernetesDeps } from './kubernetes-activities';

/**
 * The Kubernetes role under MockActivityEnvironment against lab hosts (emulated kubeadm, kubectl,
 * apt/dnf and systemctl over real SSH), with join material in the real encrypted secret store.
 */
const bed = new RoleTestbed(95);
let cp1: LabHost;
let cp2: LabHost;
let w1: LabHost;
let w2: LabHost;
let cp3: LabHost;
let w3: LabHost;
let main: { clusterId: string; revision: number };
let second: { clusterId: string; revision: number };

/** Every command line sent, and a hook that can make the worker "crash" right after a command ran. */
function spying(driver: SshDriver, crashAfter?: RegExp): SshDriver & { commands: string[] } {
  const commands: string[] = [];
  let crashed = false;
  const after = (command: string): void => {
    if (crashAfter && !crashed && crashAfter.test(command)) {
      crashed = true;
      throw new Error(`worker crashed right after "${command}"`);
    }
  };
  return {
    ...driver,
    commands,
    async exec(target, command, options) {
      commands.push(command);
      const result = await driver.exec(target, command, options);
      after(command);
      return result;
    },
    async run(target, command, options) {
      commands.push(command);
      const result = await driver.run(target, command, options);
      after(command);
      return result;
    },
    start(target, command, options) {
      commands.push(command);
      return driver.start(target, command, options);
    },
  };
}

function deps(ssh: SshDriver = bed.ssh): KubernetesDeps {
  return { ssh, clusters: bed.clusters, secrets: bed.secrets, heartbeatIntervalMs: 50 };
}

function node(
  host: LabHost,
  role: KubernetesNode['role'],
  family: KubernetesNode['osFamily'],
): KubernetesNode {
  return {
    machineId: bed.idOf(host),
    nodeName: host.hostname,
    ssh: bed.access(host),
    osFamily: family,
    role,
  };
}

const FAMILY = { autoinstall: 'ubuntu', preseed: 'debian', kickstart: 'rocky' } as const;
const asNode = (host: LabHost, role: KubernetesNode['role']): KubernetesNode =>
  node(host, role, FAMILY[host.format]);

beforeAll(async () => {
  await bed.start();
  [cp1, cp2, w1, w2, cp3, w3] = (await bed.addHosts([
    { hostname: 'k-cp1', address: '10.95.0.11/24', format: 'autoinstall' },
    { hostname: 'k-cp2', address: '10.95.0.12/24', format: 'preseed' },
    { hostname: 'k-w1', address: '10.95.0.21/24', format: 'kickstart' },
    { hostname: 'k-w2', address: '10.95.0.22/24', format: 'autoinstall' },
    { hostname: 'k-cp3', address: '10.95.1.11/24', format: 'autoinstall' },
    { hostname: 'k-w3', address: '10.95.1.21/24', format: 'preseed' },
  ])) as [LabHost, LabHost, LabHost, LabHost, LabHost, LabHost];
  await Promise.all([cp1, cp2, w1, w2, cp3, w3].map((host) => host.install()));
  const kubernetes = {
    version: '1.30.2',
    podCidr: '10.244.0.0/16',
    serviceCidr: '10.96.0.0/12',
    cni: 'calico',
  };
  const applied = await bed.applySpec({
    name: 'k8s-main',
    machines: [
      { names: ['k-cp1', 'k-cp2'], role: 'control-plane' },
      { names: ['k-w1', 'k-w2'], role: 'worker' },
    ],
    os: { family: 'ubuntu', version: '24.04' },
    kubernetes: { ...kubernetes, endpoint: '10.95.0.10' },
  });
  main = { clusterId: applied.clusterId, revision: applied.revision };
  const other = await bed.applySpec({
    name: 'k8s-second',
    machines: [
      { names: ['k-cp3'], role: 'control-plane' },
      { names: ['k-w3'], role: 'worker' },
    ],
    os: { family: 'ubuntu', version: '24.04' },
    kubernetes: { ...kubernetes, version: '1.30', endpoint: '10.95.1.10:6443' },
  });
  second = { clusterId: other.clusterId, revision: other.revision };
});
afterAll(() => bed.close());

describe('Kubernetes role: happy path, then a rerun', () => {
  let join: KubernetesJoinInfo;

  it('installs packages, inits the first control plane, joins a control plane and workers, installs the CNI, waits for Ready', async () => {
    const spy = spying(bed.ssh);
    const k8s = createKubernetesActivities(deps(spy));
    const { env, heartbeats } = activityEnvironment();
    const installed = await Promise.all(
      [
        asNode(cp1, 'control-plane'),
        asNode(cp2, 'control-plane'),
        asNode(w1, 'worker'),
        asNode(w2, 'worker'),
      ].map((each) => runActivity(env, k8s.installKubernetesPackages, { ...main, node: each })),
    );
    expect(installed.map((result) => result.kubernetesVersion)).toEqual([
      'v1.30.2',
      'v1.30.2',
      'v1.30.2',
      'v1.30.2',
    ]);

    const init = await runActivity(env, k8s.initControlPlane, {
      ...main,
      node: asNode(cp1, 'control-plane'),
    });
    expect(init).toMatchObject({
      initialised: true,
      endpoint: '10.95.0.10:6443',
      kubernetesVersion: 'v1.30.2',
    });
    expect(init.joinTokenRef).toBe(`secret/${joinSecretNames(main.clusterId).token}`);
    expect(init.caCertHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    join = init;

    // The uploaded certificates expire (two hours on a real cluster): the control-plane join renews them.
    for (const cluster of bed.lab.world.clusters.values()) cluster.certificateKey = undefined;
    const firstControlPlane = bed.access(cp1);
    expect(
      await runActivity(env, k8s.joinNode, {
        ...main,
        node: asNode(cp2, 'control-plane'),
        firstControlPlane,
        join,
      }),
    ).toEqual({ joined: true });
    const workers = await Promise.all(
      [w1, w2].map((host) =>
        runActivity(env, k8s.joinNode, { ...main, node: asNode(host, 'worker'), firstControlPlane, join }),
      ),
    );
    expect(workers).toEqual([{ joined: true }, { joined: true }]);

    expect(await runActivity(env, k8s.installCni, { ...main, firstControlPlane })).toEqual({
      cni: 'calico',
      changed: true,
    });
    const ready = await runActivity(env, k8s.waitForNodesReady, {
      firstControlPlane,
      nodeNames: ['k-cp1', 'k-cp2', 'k-w1', 'k-w2'],
      pollIntervalMs: 30,
      timeoutMs: 10_000,
    });
    expect(ready.ready).toEqual(['k-cp1', 'k-cp2', 'k-w1', 'k-w2']);
    expect(heartbeats).toContainEqual(expect.objectContaining({ step: 'waiting for nodes Ready' }));

    expect(cp1.machine.counters.kubeadmInits).toBe(1);
    expect([cp2, w1, w2].map((host) => host.machine.counters.kubeadmJoins)).toEqual([1, 1, 1]);

    // Secrets: stored encrypted, never in a command line, never in an activity result.
    const token = await bed.secrets.reveal(init.joinTokenRef);
    const certificateKey = await bed.secrets.reveal(init.certificateKeyRef);
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(certificateKey).toMatch(/^[0-9a-f]{64}$/);
    expect(
      spy.commands.filter((command) => command.includes(token) || command.includes(certificateKey)),
    ).toEqual([]);
    expect(JSON.stringify([installed, init, workers, ready])).not.toContain(token);
    expect(spy.commands).toContain('sudo kubeadm init --config /dev/stdin --upload-certs');
    expect(spy.commands).toContain('sudo kubeadm join --config /dev/stdin');
  });

  it('a rerun after success initialises and joins nothing again (kubeadm counters unchanged)', async () => {
    const before = [cp1, cp2, w1, w2].map((host) => ({ ...host.machine.counters }));
    const k8s = createKubernetesActivities(deps(bed.newDriver()));
    const { env } = activityEnvironment();
    const installed = await Promise.all(
      [
        asNode(cp1, 'control-plane'),
        asNode(cp2, 'control-plane'),
        asNode(w1, 'worker'),
        asNode(w2, 'worker'),
      ].map((each) => runActivity(env, k8s.installKubernetesPackages, { ...main, node: each })),
    );
    expect(installed.map((result) => result.changed)).toEqual([false, false, false, false]);
    const init = await runActivity(env, k8s.initControlPlane, {
      ...main,
      node: asNode(cp1, 'control-plane'),
    });
    expect(init.initialised).toBe(false);
    const firstControlPlane = bed.access(cp1);
    expect(
      await runActivity(env, k8s.joinNode, {
        ...main,
        node: asNode(cp2, 'control-plane'),
        firstControlPlane,
        join: init,
      }),
    ).toEqual({ joined: false });
    expect(
      await runActivity(env, k8s.joinNode, {
        ...main,
        node: asNode(w1, 'worker'),
        firstControlPlane,
        join: init,
      }),
    ).toEqual({ joined: false });
    expect(await runActivity(env, k8s.installCni, { ...main, firstControlPlane })).toEqual({
      cni: 'calico',
      changed: false,
    });
    await runActivity(env, k8s.waitForNodesReady, {
      firstControlPlane,
      nodeNames: ['k-cp1', 'k-cp2', 'k-w1', 'k-w2'],
      pollIntervalMs: 30,
    });
    expect([cp1, cp2, w1, w2].map((host) => host.machine.counters)).toEqual(before);
    // The refreshed join material works: the cluster knows the stored token.
    const listed = await bed.ssh.run(firstControlPlane, 'sudo kubeadm token list');
    expect(listed.stdout).toContain(await bed.secrets.reveal(init.joinTokenRef));
  });
});

describe('Kubernetes role: reruns after a crash mid-role', () => {
  it('a worker that crashed right after kubeadm init or join does not init or join twice on the rerun', async () => {
    const { env } = activityEnvironment();
    const setup = createKubernetesActivities(deps());
    await Promise.all(
      [asNode(cp3, 'control-plane'), asNode(w3, 'worker')].map((each) =>
        runActivity(env, setup.installKubernetesPackages, { ...second, node: each }),
      ),
    );

    const crashAfterInit = createKubernetesActivities(deps(spying(bed.newDriver(), /kubeadm init --config/)));
    await expect(
      runActivity(env, crashAfterInit.initControlPlane, { ...second, node: asNode(cp3, 'control-plane') }),
    ).rejects.toThrow('worker crashed');
    expect(cp3.machine.counters.kubeadmInits).toBe(1);

    const retry = createKubernetesActivities(deps(bed.newDriver()));
    const init = await runActivity(env, retry.initControlPlane, {
      ...second,
      node: asNode(cp3, 'control-plane'),
    });
    expect(init).toMatchObject({
      initialised: false,
      endpoint: '10.95.1.10:6443',
      kubernetesVersion: 'v1.30.2',
    });
    expect(cp3.machine.counters.kubeadmInits).toBe(1);

    const firstControlPlane = bed.access(cp3);
    const crashAfterJoin = createKubernetesActivities(deps(spying(bed.newDriver(), /kubeadm join --config/)));
    await expect(
      runActivity(env, crashAfterJoin.joinNode, {
        ...second,
        node: asNode(w3, 'worker'),
        firstControlPlane,
        join: init,
      }),
    ).rejects.toThrow('worker crashed');
    expect(
      await runActivity(env, retry.joinNode, {
        ...second,
        node: asNode(w3, 'worker'),
        firstControlPlane,
        join: init,
      }),
    ).toEqual({ joined: false });
    expect(w3.machine.counters.kubeadmJoins).toBe(1);

    await runActivity(env, retry.installCni, { ...second, firstControlPlane });
    expect(
      (
        await runActivity(env, retry.waitForNodesReady, {
          firstControlPlane,
          nodeNames: ['k-cp3', 'k-w3'],
          pollIntervalMs: 30,
        })
      ).ready,
    ).toEqual(['k-cp3', 'k-w3']);
  });
});

describe('Kubernetes role faults', () => {
  it('refuses to join a node that belongs to another cluster (KubeadmFailed)', async () => {
    const k8s = createKubernetesActivities(deps());
    const init = await runActivity(activityEnvironment().env, k8s.initControlPlane, {
      ...main,
      node: asNode(cp1, 'control-plane'),
    });
    const failure = await failureOf(
      runActivity(activityEnvironment().env, k8s.joinNode, {
        ...main,
        node: asNode(w3, 'worker'),
        firstControlPlane: bed.access(cp1),
        join: init,
      }),
    );
    expect(failure.type).toBe('KubeadmFailed');
    expect(failure.message).toContain(
      'k-w3 already belongs to another cluster (API 10.95.1.10:6443, wanted 10.95.0.10:6443)',
    );
    expect(w3.machine.counters.kubeadmJoins).toBe(1);
  });

  it('fails with a retryable SshUnreachable when a node refuses SSH', async () => {
    w2.machine.faults.sshRefuse = true;
    try {
      const failure = await failureOf(
        runActivity(
          activityEnvironment().env,
          createKubernetesActivities(deps(bed.newDriver())).installKubernetesPackages,
          { ...main, node: asNode(w2, 'worker') },
        ),
      );
      expect(failure).toMatchObject({ type: 'SshUnreachable', nonRetryable: false });
    } finally {
      w2.machine.faults.sshRefuse = false;
    }
  });

  it('reports nodes that never become Ready (retryable NodesNotReady), and stops waiting when cancelled', async () => {
    const k8s = createKubernetesActivities(deps());
    const failure = await failureOf(
      runActivity(activityEnvironment().env, k8s.waitForNodesReady, {
        firstControlPlane: bed.access(cp1),
        nodeNames: ['k-cp1', 'ghost'],
        pollIntervalMs: 30,
        timeoutMs: 200,
      }),
    );
    expect(failure).toMatchObject({ type: 'NodesNotReady', nonRetryable: false });
    expect(failure.message).toContain('1 of 2 nodes not Ready after 0 s: ghost (not registered)');

    const { env, heartbeats } = activityEnvironment();
    const waiting = runActivity(env, k8s.waitForNodesReady, {
      firstControlPlane: bed.access(cp1),
      nodeNames: ['ghost'],
      pollIntervalMs: 30,
      timeoutMs: 60_000,
    });
    setTimeout(() => env.cancel(), 200);
    await expect(waiting).rejects.toMatchObject({ name: 'CancelledFailure' });
    expect(heartbeats.length).toBeGreaterThan(1);
  });
});
