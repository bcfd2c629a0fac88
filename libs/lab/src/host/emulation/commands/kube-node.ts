import { stringify } from 'yaml';
import type { HostOs } from '../host-os';
import { renderKubeconfig } from '../kube-access';
import type { KubeCluster, KubeNodeInfo } from '../lab-world';
import { upstreamVersion } from '../package-catalogue';

/**
 * What kubeadm leaves on a node's disk. The files exist so roles can `test -f` and `cat` them
 * (kubeconfigs point at the cluster's endpoint); the certificates in them are random bytes, since
 * nothing in the lab verifies TLS.
 */
const CONTROL_PLANE_FILES = [
  '/etc/kubernetes/admin.conf',
  '/etc/kubernetes/super-admin.conf',
  '/etc/kubernetes/kubelet.conf',
  '/etc/kubernetes/controller-manager.conf',
  '/etc/kubernetes/scheduler.conf',
  '/etc/kubernetes/manifests/etcd.yaml',
  '/etc/kubernetes/manifests/kube-apiserver.yaml',
  '/etc/kubernetes/manifests/kube-controller-manager.yaml',
  '/etc/kubernetes/manifests/kube-scheduler.yaml',
  '/etc/kubernetes/pki/ca.crt',
  '/etc/kubernetes/pki/ca.key',
  '/var/lib/kubelet/config.yaml',
  '/var/lib/kubelet/kubeadm-flags.env',
];
const WORKER_FILES = [
  '/etc/kubernetes/kubelet.conf',
  '/etc/kubernetes/pki/ca.crt',
  '/var/lib/kubelet/config.yaml',
  '/var/lib/kubelet/kubeadm-flags.env',
];

export function kubeFiles(controlPlane: boolean): string[] {
  return controlPlane ? CONTROL_PLANE_FILES : WORKER_FILES;
}

export function writeKubeFiles(
  os: HostOs,
  cluster: KubeCluster,
  nodeName: string,
  controlPlane: boolean,
): void {
  for (const path of kubeFiles(controlPlane)) {
    os.disk.writeFile(
      path,
      fileContent(path, cluster, nodeName),
      path.endsWith('.crt') || path.endsWith('.env') ? 0o644 : 0o600,
      'root',
    );
  }
  os.disk.dirs.add('/var/lib/etcd');
}

export function removeKubeFiles(os: HostOs): void {
  for (const path of [...os.disk.filesUnder('/etc/kubernetes'), ...os.disk.filesUnder('/var/lib/kubelet')])
    os.disk.files.delete(path);
  os.disk.dirs.delete('/var/lib/etcd');
}

function fileContent(path: string, cluster: KubeCluster, nodeName: string): string {
  if (path === '/etc/kubernetes/admin.conf') return renderKubeconfig(cluster, 'kubernetes-admin');
  if (path === '/etc/kubernetes/super-admin.conf') return renderKubeconfig(cluster, 'kubernetes-super-admin');
  if (path === '/etc/kubernetes/kubelet.conf') return renderKubeconfig(cluster, `system:node:${nodeName}`);
  if (path.endsWith('.conf'))
    return renderKubeconfig(cluster, `system:${path.split('/').pop()?.replace('.conf', '') ?? ''}`);
  if (path.endsWith('.crt'))
    return `-----BEGIN CERTIFICATE-----\n${cluster.caData}\n-----END CERTIFICATE-----\n`;
  if (path.endsWith('.key'))
    return `-----BEGIN RSA PRIVATE KEY-----\n${cluster.caData}\n-----END RSA PRIVATE KEY-----\n`;
  if (path.endsWith('kubeadm-flags.env'))
    return 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --pod-infra-container-image=registry.k8s.io/pause:3.9"\n';
  if (path === '/var/lib/kubelet/config.yaml') {
    return stringify({
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      cgroupDriver: 'systemd',
      clusterDNS: ['10.96.0.10'],
      clusterDomain: 'cluster.local',
    });
  }
  const component = path.split('/').pop()?.replace('.yaml', '') ?? '';
  return stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: component, namespace: 'kube-system', labels: { component, tier: 'control-plane' } },
    spec: {
      hostNetwork: true,
      containers: [{ name: component, image: `registry.k8s.io/${component}:${cluster.kubernetesVersion}` }],
    },
  });
}

/** The kubelet version a node reports: its kubelet package. */
export function kubeletVersionOf(os: HostOs): string {
  return `v${upstreamVersion(os.disk.packages.get('kubelet') ?? '1.30.2')}`;
}

export function nodeInfoOf(os: HostOs): KubeNodeInfo {
  const { hardware } = os.machine;
  const runtime = os.activeUnits.has('crio')
    ? `cri-o://${upstreamVersion(os.disk.packages.get('cri-o') ?? '1.30.3')}`
    : `containerd://${upstreamVersion(os.disk.packages.get('containerd.io') ?? os.disk.packages.get('containerd') ?? '1.7.12')}`;
  return {
    osImage: os.identity.prettyName,
    kernelVersion: os.identity.kernelRelease,
    containerRuntimeVersion: runtime,
    cpu: hardware.cpu.sockets * hardware.cpu.coresPerSocket * hardware.cpu.threadsPerCore,
    memoryKiB: hardware.memory.dimms * hardware.memory.dimmMiB * 1024,
    machineId: os.disk.id.replace(/-/g, ''),
    systemUuid: os.disk.id,
  };
}
