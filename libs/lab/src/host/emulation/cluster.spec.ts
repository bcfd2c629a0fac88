import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestProvisioner } from '../testing/test-provisioner';
import {
  createTestHost,
  eventually,
  generateClientKey,
  SshSession,
  type TestHost,
} from '../testing/test-hosts';
import { LabWorld } from './lab-world';

/**
 * The emulated Kubernetes tooling, driven as roles drive it: over SSH (npm ssh2 client) on three
 * netbooted lab hosts — an Ubuntu control plane, a Debian and a Rocky worker — sharing one LabWorld.
 */
const provisioner = new TestProvisioner();
const world = new LabWorld();
const key = generateClientKey('roles@plinth');
let cp: TestHost;
let debianWorker: TestHost;
let rockyWorker: TestHost;
const sessions = new Map<TestHost, SshSession>();

async function shell(
  host: TestHost,
  command: string,
  stdin?: string,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  let session = sessions.get(host);
  if (!session) {
    session = await SshSession.open({
      host: host.sshHost,
      port: host.host.sshAddress.port ?? 0,
      username: 'plinth',
      privateKey: key.privateKey,
    });
    sessions.set(host, session);
  }
  return session.exec(command, stdin);
}

async function ok(host: TestHost, command: string, stdin?: string): Promise<string> {
  const result = await shell(host, command, stdin);
  if (result.code !== 0)
    throw new Error(`"${command}" on ${host.machine.name} exited ${String(result.code)}: ${result.stderr}`);
  return result.stdout;
}

const ADMIN = 'sudo kubectl --kubeconfig /etc/kubernetes/admin.conf';

interface NodeList {
  items: Array<{
    metadata: { name: string };
    spec: { unschedulable?: boolean };
    status: { conditions: Array<{ type: string; status: string }>; nodeInfo: { kubeletVersion: string } };
  }>;
}
const readiness = (list: NodeList): Record<string, string | undefined> =>
  Object.fromEntries(
    list.items.map((node) => [
      node.metadata.name,
      node.status.conditions.find((condition) => condition.type === 'Ready')?.status,
    ]),
  );

beforeAll(async () => {
  await provisioner.start();
  const hosts = (['autoinstall', 'preseed', 'kickstart'] as const).map((format, position) => {
    const testHost = createTestHost(50 + position, { world, netbootUrl: provisioner.netbootUrl });
    provisioner.provision({
      format,
      mac: testHost.machine.bootMac,
      hostname: ['cp-1', 'worker-deb', 'worker-rocky'][position] ?? '',
      address: `10.30.0.${11 + position}/24`,
      user: 'plinth',
      authorizedKeys: [key.publicKey],
    });
    return testHost;
  });
  [cp, debianWorker, rockyWorker] = hosts as [TestHost, TestHost, TestHost];
  await Promise.all(
    hosts.map(async ({ machine }) => {
      machine.setBootOverride({ enabled: 'Once', target: 'Pxe' });
      await machine.reset('On');
      await machine.waitForPhase('os-running');
    }),
  );
});

afterAll(async () => {
  for (const session of sessions.values()) session.close();
  for (const testHost of [cp, debianWorker, rockyWorker]) {
    await testHost.machine.reset('ForceOff');
    await testHost.host.close();
  }
  await provisioner.close();
});

describe('packages and services', () => {
  it('needs the packages installed (as root) before their commands and units exist', async () => {
    expect((await shell(cp, 'kubeadm version')).code).toBe(127);
    const unprivileged = await shell(cp, 'apt-get install -y kubeadm');
    expect(unprivileged.code).toBe(100);
    expect(unprivileged.stderr).toContain('are you root?');
    expect((await shell(rockyWorker, 'apt-get install -y kubeadm')).code).toBe(127);

    await ok(cp, 'sudo apt-get update && sudo apt-get install -y containerd kubelet kubeadm kubectl helm');
    await ok(debianWorker, 'sudo apt-get install -y containerd kubelet=1.30.2-1.1 kubeadm=1.30.2-1.1');
    await ok(rockyWorker, 'sudo dnf install -y containerd.io kubelet kubeadm --disableexcludes=kubernetes');
    expect(cp.machine.counters.packageInstalls).toBe(5);
    expect(rockyWorker.machine.counters.packageInstalls).toBe(3);

    // Installing again changes nothing and counts nothing.
    expect(await ok(cp, 'sudo apt-get install -y kubeadm')).toContain(
      'kubeadm is already the newest version (1.30.2-1.1).',
    );
    expect(cp.machine.counters.packageInstalls).toBe(5);
    expect(await ok(debianWorker, 'dpkg -l kubeadm')).toMatch(/^ii {2}kubeadm +1\.30\.2-1\.1 /m);
    expect(await ok(rockyWorker, 'rpm -q kubeadm')).toBe('kubeadm-1.30.2-150500.1.1.x86_64\n');
  });

  it('starts and enables units with systemctl', async () => {
    for (const host of [cp, debianWorker, rockyWorker]) {
      expect((await shell(host, 'systemctl is-active containerd')).stdout).toBe('inactive\n');
      await ok(host, 'sudo systemctl enable --now containerd && sudo systemctl enable kubelet');
      expect(await ok(host, 'systemctl is-active containerd')).toBe('active\n');
    }
    const missing = await shell(cp, 'sudo systemctl start nope');
    expect(missing.code).toBe(5);
    expect(missing.stderr).toBe('Failed to start nope.service: Unit nope.service not found.\n');
  });
});

describe('kubeadm, kubectl and helm across hosts', () => {
  let joinCommand = '';

  it('refuses to join before a control plane exists', async () => {
    const result = await shell(
      debianWorker,
      'sudo kubeadm join 10.30.0.11:6443 --token abcdef.0123456789abcdef --discovery-token-unsafe-skip-ca-verification',
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('dial tcp 10.30.0.11:6443: connect: connection refused');
    expect(debianWorker.machine.counters.kubeadmJoins).toBe(0);
  });

  it('initialises the control plane once, with the real output and preflight errors', async () => {
    const init = await ok(cp, 'sudo kubeadm init --pod-network-cidr 10.244.0.0/16 --upload-certs');
    expect(init).toContain('Your Kubernetes control-plane has initialized successfully!');
    const join =
      /kubeadm join 10\.30\.0\.11:6443 --token (\S+) \\\n\t--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})/.exec(
        init,
      );
    expect(join).not.toBeNull();
    joinCommand = `sudo kubeadm join 10.30.0.11:6443 --token ${join?.[1] ?? ''} --discovery-token-ca-cert-hash ${join?.[2] ?? ''}`;
    expect(cp.machine.counters.kubeadmInits).toBe(1);

    const again = await shell(cp, 'sudo kubeadm init');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      '[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists',
    );
    expect(again.stderr).toContain('[ERROR Port-6443]: Port 6443 is in use');
    expect(cp.machine.counters.kubeadmInits).toBe(1);
    expect(await ok(cp, 'sudo test -f /etc/kubernetes/admin.conf && echo present')).toBe('present\n');
    expect((await shell(cp, 'cat /etc/kubernetes/admin.conf')).stderr).toBe(
      'cat: /etc/kubernetes/admin.conf: Permission denied\n',
    );
  });

  it('joins workers with a valid token only, and only once', async () => {
    const badToken = await shell(
      debianWorker,
      joinCommand.replace(/--token \S+/, '--token zzzzzz.zzzzzzzzzzzzzzzz'),
    );
    expect(badToken.stderr).toContain(
      'could not find a JWS signature in the cluster-info ConfigMap for token ID "zzzzzz"',
    );
    expect(debianWorker.machine.counters.kubeadmJoins).toBe(0);

    // Without --control-plane-endpoint at init, no second control plane can join.
    const controlPlane = await shell(
      debianWorker,
      `${joinCommand} --control-plane --certificate-key ${'0'.repeat(64)}`,
    );
    expect(controlPlane.stderr).toContain(
      "unable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address",
    );
    expect(debianWorker.machine.counters.kubeadmJoins).toBe(0);

    expect(await ok(debianWorker, joinCommand)).toContain('This node has joined the cluster:');
    // A token made later with --print-join-command works too, here through a JoinConfiguration on stdin.
    const printed = (await ok(cp, 'sudo kubeadm token create --print-join-command')).trim();
    const fields =
      /^kubeadm join (10\.30\.0\.11:6443) --token ([a-z0-9]{6}\.[a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})$/.exec(
        printed,
      );
    expect(fields).not.toBeNull();
    const joinConfiguration = [
      'apiVersion: kubeadm.k8s.io/v1beta3',
      'kind: JoinConfiguration',
      'discovery:',
      '  bootstrapToken:',
      `    apiServerEndpoint: "${fields?.[1] ?? ''}"`,
      `    token: "${fields?.[2] ?? ''}"`,
      `    caCertHashes: ["${fields?.[3] ?? ''}"]`,
      'nodeRegistration:',
      '  name: worker-rocky',
      '',
    ].join('\n');
    expect(await ok(rockyWorker, 'sudo kubeadm join --config /dev/stdin', joinConfiguration)).toContain(
      'This node has joined the cluster:',
    );

    const twice = await shell(debianWorker, joinCommand);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain(
      '[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists',
    );
    expect(debianWorker.machine.counters.kubeadmJoins).toBe(1);
    expect(rockyWorker.machine.counters.kubeadmJoins).toBe(1);
  });

  it('needs a kubeconfig for kubectl, and shows nodes NotReady until a CNI is applied', async () => {
    const noConfig = await shell(cp, 'sudo kubectl get nodes');
    expect(noConfig.stderr).toBe(
      'The connection to the server localhost:8080 was refused - did you specify the right host or port?\n',
    );
    expect(
      (await shell(debianWorker, 'sudo apt-get install -y kubectl && kubectl get nodes')).stderr,
    ).toContain('localhost:8080 was refused');

    const before = JSON.parse(await ok(cp, `${ADMIN} get nodes -o json`)) as NodeList;
    expect(readiness(before)).toEqual({ 'cp-1': 'False', 'worker-deb': 'False', 'worker-rocky': 'False' });

    const manifest = [
      'apiVersion: v1',
      'kind: Namespace',
      'metadata: {name: tigera-lab}',
      '---',
      'apiVersion: apps/v1',
      'kind: DaemonSet',
      'metadata: {name: calico-node, namespace: kube-system}',
      'spec: {selector: {matchLabels: {k8s-app: calico-node}}, template: {metadata: {labels: {k8s-app: calico-node}}, spec: {containers: [{name: calico-node, image: calico/node:v3.28.0}]}}}',
      '',
    ].join('\n');
    await ok(cp, 'sudo tee /root/calico.yaml > /dev/null', manifest);
    expect(await ok(cp, `${ADMIN} apply -f /root/calico.yaml`)).toBe(
      'namespace/tigera-lab created\ndaemonset.apps/calico-node created\n',
    );
    expect(await ok(cp, `${ADMIN} apply -f /root/calico.yaml`)).toBe(
      'namespace/tigera-lab unchanged\ndaemonset.apps/calico-node unchanged\n',
    );

    const after = await eventually(async () => {
      const list = JSON.parse(await ok(cp, `${ADMIN} get nodes -o json`)) as NodeList;
      expect(Object.values(readiness(list))).toEqual(['True', 'True', 'True']);
      return list;
    });
    expect(after.items.map((node) => node.status.nodeInfo.kubeletVersion)).toEqual([
      'v1.30.2',
      'v1.30.2',
      'v1.30.2',
    ]);
    expect(await ok(cp, `sudo KUBECONFIG=/etc/kubernetes/admin.conf kubectl get nodes`)).toMatch(
      /^worker-rocky +Ready +<none> +\d+s +v1\.30\.2$/m,
    );
  });

  it('cordons, drains and uncordons a node', async () => {
    expect(await ok(cp, `${ADMIN} cordon worker-deb`)).toBe('node/worker-deb cordoned\n');
    const refused = await shell(cp, `${ADMIN} drain worker-deb`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)',
    );
    const drained = await shell(cp, `${ADMIN} drain worker-deb --ignore-daemonsets --delete-emptydir-data`);
    expect(drained.stdout).toBe('node/worker-deb already cordoned\nnode/worker-deb drained\n');
    const nodes = JSON.parse(
      await ok(cp, `${ADMIN} get node worker-deb -o json`),
    ) as NodeList['items'][number];
    expect(nodes.spec.unschedulable).toBe(true);
    expect(await ok(cp, `${ADMIN} uncordon worker-deb`)).toBe('node/worker-deb uncordoned\n');
  });

  it('tracks Helm releases with revisions, counters and readiness', async () => {
    const helm = 'sudo helm --kubeconfig /etc/kubernetes/admin.conf';
    expect(
      (await shell(cp, `${helm} upgrade --install ingress ingress-nginx/ingress-nginx -n ingress`)).stderr,
    ).toBe('Error: repo ingress-nginx not found\n');
    await ok(cp, 'sudo helm repo add ingress-nginx https://kubernetes.github.io/ingress-nginx');

    const missingNamespace = await shell(
      cp,
      `${helm} upgrade --install ingress ingress-nginx/ingress-nginx -n ingress`,
    );
    expect(missingNamespace.stderr).toBe(
      'Error: INSTALLATION FAILED: create: failed to create: namespaces "ingress" not found\n',
    );
    expect(cp.machine.counters.helmInstalls).toBe(0);

    // A long rollout delay, so the pods are surely still starting when listed right after.
    cp.machine.timings.helmReadyMs = 60_000;
    const installed = await ok(
      cp,
      `${helm} upgrade --install ingress ingress-nginx/ingress-nginx -n ingress --create-namespace --version 4.10.1 --values -`,
      'controller:\n  replicaCount: 2\n',
    );
    expect(installed).toMatch(
      /^Release "ingress" does not exist\. Installing it now\.\nNAME: ingress\nLAST DEPLOYED: .+\nNAMESPACE: ingress\nSTATUS: deployed\nREVISION: 1\n/,
    );
    const pods = JSON.parse(await ok(cp, `${ADMIN} get pods -n ingress -o json`)) as {
      items: Array<{ status: { phase: string } }>;
    };
    expect(pods.items.map((pod) => pod.status.phase)).toEqual(['Pending']);

    cp.machine.timings.helmReadyMs = 120;
    const upgraded = await ok(
      cp,
      `${helm} upgrade --install ingress ingress-nginx/ingress-nginx -n ingress --version 4.10.1 --set controller.replicaCount=3 --wait --timeout 30s`,
    );
    expect(upgraded).toContain('Release "ingress" has been upgraded. Happy Helming!');
    expect(upgraded).toContain('REVISION: 2');
    // --wait returned only once the release's pods were Ready.
    const readyPods = JSON.parse(await ok(cp, `${ADMIN} get pods -A -o json`)) as {
      items: Array<{ status: { phase: string } }>;
    };
    expect(readyPods.items.map((pod) => pod.status.phase)).toEqual(['Running']);

    expect(JSON.parse(await ok(cp, `${helm} list -A -o json`))).toEqual([
      expect.objectContaining({
        name: 'ingress',
        namespace: 'ingress',
        revision: '2',
        status: 'deployed',
        chart: 'ingress-nginx-4.10.1',
        app_version: '4.10.1',
      }),
    ]);
    const status = JSON.parse(await ok(cp, `${helm} status ingress -n ingress -o json`)) as {
      version: number;
      info: { status: string };
      config: unknown;
    };
    expect(status).toMatchObject({
      version: 2,
      info: { status: 'deployed' },
      config: { controller: { replicaCount: 3 } },
    });
    expect(cp.machine.counters).toMatchObject({ helmInstalls: 1, helmUpgrades: 1 });
    expect((await shell(debianWorker, 'helm list -A')).code).toBe(127);
  });

  it('upgrades the control plane and nodes with kubeadm, in version order', async () => {
    const tooNew = await shell(cp, 'sudo kubeadm upgrade apply v1.31.0 -y');
    expect(tooNew.code).toBe(1);
    expect(tooNew.stderr).toContain('is higher than the kubeadm version "v1.30.2". Upgrade kubeadm first');
    await ok(cp, 'sudo apt-get install -y kubeadm=1.31.0-1.1');
    expect(await ok(cp, 'sudo kubeadm upgrade apply v1.31.0 -y')).toContain(
      '[upgrade/successful] SUCCESS! Your cluster was upgraded to "v1.31.0". Enjoy!',
    );
    await ok(debianWorker, 'sudo kubeadm upgrade node');
    const versions = JSON.parse(await ok(cp, `${ADMIN} get nodes -o json`)) as NodeList;
    expect(
      Object.fromEntries(
        versions.items.map((node) => [node.metadata.name, node.status.nodeInfo.kubeletVersion]),
      ),
    ).toEqual({
      'cp-1': 'v1.31.0',
      'worker-deb': 'v1.31.0',
      'worker-rocky': 'v1.30.2',
    });
    expect(cp.machine.counters.kubeadmUpgrades).toBe(1);
    expect(debianWorker.machine.counters.kubeadmUpgrades).toBe(1);
  });
});

describe('hosts going down', () => {
  it('shows a node Unknown while its host is off, and Ready again once it has booted from disk', async () => {
    sessions.get(rockyWorker)?.close();
    sessions.delete(rockyWorker);
    await rockyWorker.machine.reset('ForceOff');
    const off = JSON.parse(await ok(cp, `${ADMIN} get nodes -o json`)) as NodeList;
    expect(readiness(off)['worker-rocky']).toBe('Unknown');

    await rockyWorker.machine.reset('On');
    await rockyWorker.machine.waitForPhase('os-running');
    expect(rockyWorker.machine.counters).toMatchObject({ netboots: 1, installs: 1 });
    // kubelet was enabled, so it starts at boot and the node turns Ready without another join.
    await eventually(async () => {
      const list = JSON.parse(await ok(cp, `${ADMIN} get nodes -o json`)) as NodeList;
      expect(readiness(list)['worker-rocky']).toBe('True');
    });
    expect(rockyWorker.machine.counters.kubeadmJoins).toBe(1);
  });
});

describe('netplan and ip', () => {
  it('applies netplan written to /etc/netplan, and ip -j addr shows the result', async () => {
    const netplan = [
      'network:',
      '  version: 2',
      '  ethernets:',
      '    eno2: {}',
      '  bonds:',
      '    bond0:',
      '      interfaces: [eno2]',
      '      addresses: [10.40.0.11/24]',
      '',
    ].join('\n');
    await ok(
      cp,
      'sudo tee /etc/netplan/60-bond.yaml > /dev/null && sudo chmod 600 /etc/netplan/60-bond.yaml',
      netplan,
    );
    const before = JSON.parse(await ok(cp, 'ip -j addr')) as Array<{ ifname: string }>;
    expect(before.map((link) => link.ifname)).not.toContain('bond0');

    await ok(cp, 'sudo netplan apply');
    expect(cp.machine.counters.netplanApplies).toBe(1);
    const after = JSON.parse(await ok(cp, 'ip -j addr')) as Array<{
      ifname: string;
      master?: string;
      addr_info: Array<{ family: string; local: string; prefixlen: number }>;
    }>;
    expect(after.find((link) => link.ifname === 'bond0')?.addr_info).toContainEqual(
      expect.objectContaining({ family: 'inet', local: '10.40.0.11', prefixlen: 24 }),
    );
    expect(after.find((link) => link.ifname === 'eno2')?.master).toBe('bond0');
    expect(await ok(cp, 'sudo netplan get bonds.bond0.addresses')).toBe('- 10.40.0.11/24\n');

    const broken = await shell(
      cp,
      "echo 'network: {version: 2, ethernets: {eno1: {addresses: [10.0.0.1/33]}}}' | sudo tee /etc/netplan/70-bad.yaml >/dev/null && sudo chmod 600 /etc/netplan/70-bad.yaml && sudo netplan apply",
    );
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(
      "Error in network definition: invalid prefix length in address '10.0.0.1/33'",
    );
    expect(cp.machine.counters.netplanApplies).toBe(1);
  });
});
