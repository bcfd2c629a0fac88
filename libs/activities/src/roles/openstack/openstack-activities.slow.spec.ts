import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStackReleasePlan, type SshAccess } from '@plinth/contracts';
import type { SshDriver } from '@plinth/driver-ssh';
import { createKubernetesActivities } from '../kubernetes/kubernetes-activities';
import {
  activityEnvironment,
  failureOf,
  RoleTestbed,
  runActivity,
  type LabHost,
} from '../verify-os/role-testbed';
import { createOpenStackActivities, type OpenStackDeps } from './openstack-activities';

/**
 * The OpenStack role under MockActivityEnvironment: openstack-helm releases through the lab's
 * emulated Helm on a lab Kubernetes cluster built by the Kubernetes role, over real SSH.
 */
const bed = new RoleTestbed(96);
let cp: LabHost;
let firstControlPlane: SshAccess;
let ref: { clusterId: string; revision: number };
const SERVICES = ['keystone', 'glance', 'placement', 'nova', 'neutron', 'horizon', 'heat'];
const KEYSTONE_PASSWORD = 'k3ystone-Admin-Passw0rd';

function recording(driver: SshDriver): SshDriver & { commands: string[] } {
  const commands: string[] = [];
  return {
    ...driver,
    commands,
    exec: (target, command, options) => {
      commands.push(command);
      return driver.exec(target, command, options);
    },
    run: (target, command, options) => {
      commands.push(command);
      return driver.run(target, command, options);
    },
  };
}

function deps(overrides: Partial<OpenStackDeps> = {}): OpenStackDeps {
  return {
    ssh: bed.ssh,
    clusters: bed.clusters,
    secrets: bed.secrets,
    heartbeatIntervalMs: 20,
    ...overrides,
  };
}

async function spec(
  values: Record<string, unknown>,
  services = SERVICES,
): Promise<{ clusterId: string; revision: number }> {
  const applied = await bed.applySpec({
    name: 'os-lab',
    machines: [{ names: ['o-cp1'], role: 'control-plane' }],
    os: { family: 'ubuntu', version: '24.04' },
    kubernetes: {
      version: '1.30.2',
      podCidr: '10.244.0.0/16',
      serviceCidr: '10.96.0.0/12',
      cni: 'flannel',
      endpoint: '10.96.0.11',
    },
    openstack: { enabled: true, release: '2025.2', services, values },
  });
  return { clusterId: applied.clusterId, revision: applied.revision };
}

const VALUES = {
  keystone: { endpoints: { identity: { auth: { admin: { password: 'secret/keystone-admin' } } } } },
  nova: { conf: { nova: { DEFAULT: { cpu_allocation_ratio: 4 } } } },
};

beforeAll(async () => {
  await bed.start();
  [cp] = (await bed.addHosts([{ hostname: 'o-cp1', address: '10.96.0.11/24', format: 'autoinstall' }])) as [
    LabHost,
  ];
  await cp.install();
  await bed.secrets.put('keystone-admin', KEYSTONE_PASSWORD);
  ref = await spec(VALUES);
  firstControlPlane = bed.access(cp);
  // A one-node Kubernetes cluster, built by the Kubernetes role.
  const k8s = createKubernetesActivities({ ssh: bed.ssh, clusters: bed.clusters, secrets: bed.secrets });
  const { env } = activityEnvironment();
  const node = {
    machineId: bed.idOf(cp),
    nodeName: 'o-cp1',
    ssh: firstControlPlane,
    osFamily: 'ubuntu' as const,
    role: 'control-plane' as const,
  };
  await runActivity(env, k8s.installKubernetesPackages, { ...ref, node });
  await runActivity(env, k8s.initControlPlane, { ...ref, node });
  await runActivity(env, k8s.installCni, { ...ref, firstControlPlane });
  await runActivity(env, k8s.waitForNodesReady, {
    firstControlPlane,
    nodeNames: ['o-cp1'],
    pollIntervalMs: 30,
  });
});
afterAll(() => bed.close());

interface HelmListEntry {
  name: string;
  revision: string;
  status: string;
  updated: string;
}
async function helmList(): Promise<HelmListEntry[]> {
  return JSON.parse(
    (
      await bed.ssh.run(
        firstControlPlane,
        'sudo helm --kubeconfig /etc/kubernetes/admin.conf list -A -o json',
      )
    ).stdout,
  ) as HelmListEntry[];
}

describe('OpenStack role: happy path, then reruns', () => {
  it('installs Helm and the repository, then every chart in order, each verified before the next', async () => {
    const spy = recording(bed.ssh);
    const openstack = createOpenStackActivities(deps({ ssh: spy }));
    const { env, heartbeats } = activityEnvironment();
    expect(await runActivity(env, openstack.prepareHelm, { ...ref, firstControlPlane })).toEqual({
      changed: true,
    });
    expect(await runActivity(env, openstack.prepareHelm, { ...ref, firstControlPlane })).toEqual({
      changed: false,
    });

    const { charts } = openStackReleasePlan(SERVICES);
    expect(charts).toEqual([
      'mariadb',
      'rabbitmq',
      'memcached',
      'keystone',
      'heat',
      'glance',
      'placement',
      'nova',
      'neutron',
      'horizon',
    ]);
    for (const chart of charts) {
      const result = await runActivity(env, openstack.deployRelease, { ...ref, firstControlPlane, chart });
      expect(result).toMatchObject({ release: chart, namespace: 'openstack', revision: 1, changed: true });
      // Verified before the next one starts: the release is deployed now.
      expect((await helmList()).find((entry) => entry.name === chart)?.status).toBe('deployed');
    }
    expect(cp.machine.counters.helmInstalls).toBe(charts.length);
    expect(heartbeats).toContainEqual({ step: 'helm upgrade --install --wait', release: 'keystone' });

    // Values from the spec reached Helm, the secret resolved inside the activity and sent on stdin only.
    const keystone = JSON.parse(
      (
        await bed.ssh.run(
          firstControlPlane,
          'sudo helm --kubeconfig /etc/kubernetes/admin.conf get values keystone -n openstack -o json',
        )
      ).stdout,
    ) as Record<string, unknown>;
    expect(keystone).toEqual({
      release_group: 'keystone',
      endpoints: { identity: { auth: { admin: { password: KEYSTONE_PASSWORD } } } },
    });
    expect(spy.commands.some((command) => command.includes(KEYSTONE_PASSWORD))).toBe(false);
    expect(spy.commands).toContain(
      'sudo helm --kubeconfig /etc/kubernetes/admin.conf upgrade --install nova openstack-helm/nova -n openstack --create-namespace --reset-values --values - --wait --timeout 900s',
    );
  });

  it('a rerun with unchanged values makes no new revision (helm counters unchanged)', async () => {
    const before = { ...cp.machine.counters };
    const openstack = createOpenStackActivities(deps({ ssh: bed.newDriver() }));
    const { env } = activityEnvironment();
    for (const chart of openStackReleasePlan(SERVICES).charts) {
      expect(
        await runActivity(env, openstack.deployRelease, { ...ref, firstControlPlane, chart }),
      ).toMatchObject({ changed: false, revision: 1 });
    }
    expect(cp.machine.counters).toEqual(before);
  });

  it('a changed value upgrades only that release', async () => {
    const changedRef = await spec({
      ...VALUES,
      nova: { conf: { nova: { DEFAULT: { cpu_allocation_ratio: 8 } } } },
    });
    const openstack = createOpenStackActivities(deps());
    const { env } = activityEnvironment();
    const results = [];
    for (const chart of openStackReleasePlan(SERVICES).charts)
      results.push(
        await runActivity(env, openstack.deployRelease, { ...changedRef, firstControlPlane, chart }),
      );
    expect(results.filter((result) => result.changed).map((result) => result.release)).toEqual(['nova']);
    expect(results.find((result) => result.release === 'nova')?.revision).toBe(2);
    expect(cp.machine.counters.helmUpgrades).toBe(1);
    ref = changedRef;
  });
});

describe('OpenStack role: a rerun after a crash mid-role', () => {
  it('reinstalls a release an interrupted install left pending-install, and only that one', async () => {
    const withCinder = await spec(VALUES, [...SERVICES, 'cinder']);
    const { env } = activityEnvironment();
    const onCounter = (counter: string): void => {
      if (counter === 'helmInstalls') env.cancel();
    };
    cp.machine.on('counter', onCounter);
    const interrupted = await runActivity(env, createOpenStackActivities(deps()).deployRelease, {
      ...withCinder,
      firstControlPlane,
      chart: 'cinder',
    }).then(
      () => 'completed',
      (error: unknown) => (error as Error).name,
    );
    cp.machine.off('counter', onCounter);
    expect(interrupted).toBe('CancelledFailure');
    expect((await helmList()).find((entry) => entry.name === 'cinder')).toBeUndefined(); // pending releases are not listed
    const installsBefore = cp.machine.counters.helmInstalls;

    const retry = createOpenStackActivities(deps({ ssh: bed.newDriver() }));
    const result = await runActivity(activityEnvironment().env, retry.deployRelease, {
      ...withCinder,
      firstControlPlane,
      chart: 'cinder',
    });
    expect(result).toMatchObject({ changed: true, revision: 1 });
    expect(cp.machine.counters.helmInstalls).toBe(installsBefore + 1);
    expect((await helmList()).find((entry) => entry.name === 'cinder')?.status).toBe('deployed');
    expect(
      await runActivity(activityEnvironment().env, retry.deployRelease, {
        ...withCinder,
        firstControlPlane,
        chart: 'cinder',
      }),
    ).toMatchObject({ changed: false });
  });
});

describe('OpenStack role faults', () => {
  it('fails with a retryable HelmReleaseFailed when pods never become ready (helm --wait times out)', async () => {
    await bed.ssh.run(firstControlPlane, 'sudo kubectl --kubeconfig /etc/kubernetes/admin.conf cordon o-cp1');
    try {
      const changed = await spec({ ...VALUES, glance: { pod: { replicas: { api: 2 } } } });
      const failure = await failureOf(
        runActivity(activityEnvironment().env, createOpenStackActivities(deps()).deployRelease, {
          ...changed,
          firstControlPlane,
          chart: 'glance',
          timeoutSeconds: 1,
        }),
      );
      expect(failure).toMatchObject({ type: 'HelmReleaseFailed', nonRetryable: false });
      expect(failure.message).toContain(
        'helm upgrade --install of release glance (namespace openstack) failed, exit 1: Error: UPGRADE FAILED: context deadline exceeded',
      );
    } finally {
      await bed.ssh.run(
        firstControlPlane,
        'sudo kubectl --kubeconfig /etc/kubernetes/admin.conf uncordon o-cp1',
      );
    }
  });

  it('fails with a non-retryable SecretMissing for a values reference that does not resolve, before running helm', async () => {
    const upgradesBefore = cp.machine.counters.helmUpgrades;
    const broken = await spec({ ...VALUES, horizon: { conf: { horizon: { secret_key: 'secret/nope' } } } });
    const failure = await failureOf(
      runActivity(activityEnvironment().env, createOpenStackActivities(deps()).deployRelease, {
        ...broken,
        firstControlPlane,
        chart: 'horizon',
      }),
    );
    expect(failure).toMatchObject({ type: 'SecretMissing', nonRetryable: true });
    expect(cp.machine.counters.helmUpgrades).toBe(upgradesBefore);
  });

  it('refuses a chart the spec does not deploy, and fails with SshUnreachable while SSH is refused', async () => {
    const notPlanned = await failureOf(
      runActivity(activityEnvironment().env, createOpenStackActivities(deps()).deployRelease, {
        ...ref,
        firstControlPlane,
        chart: 'cinder',
      }),
    );
    expect(notPlanned).toMatchObject({ type: 'TemplateError', nonRetryable: true });
    cp.machine.faults.sshRefuse = true;
    try {
      const failure = await failureOf(
        runActivity(
          activityEnvironment().env,
          createOpenStackActivities(deps({ ssh: bed.newDriver() })).deployRelease,
          { ...ref, firstControlPlane, chart: 'keystone' },
        ),
      );
      expect(failure).toMatchObject({ type: 'SshUnreachable', nonRetryable: false });
    } finally {
      cp.machine.faults.sshRefuse = false;
    }
  });
});
