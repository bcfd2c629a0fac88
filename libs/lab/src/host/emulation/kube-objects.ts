import { createHash } from 'node:crypto';
import type { HelmRelease, KubeCluster, KubeNode } from './lab-world';

/**
 * Kubernetes API objects as `kubectl get -o json` prints them, built on request from the
 * cluster's state (nothing is stored per object).
 */
export function nodeObject(cluster: KubeCluster, node: KubeNode, now = Date.now()): Record<string, unknown> {
  const readiness = cluster.readiness(node, now);
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': node.name,
    'kubernetes.io/os': 'linux',
  };
  if (node.controlPlane) {
    labels['node-role.kubernetes.io/control-plane'] = '';
    labels['node.kubernetes.io/exclude-from-external-load-balancers'] = '';
  }
  const taints: Array<Record<string, unknown>> = [];
  if (node.controlPlane) taints.push({ effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' });
  if (node.unschedulable)
    taints.push({ effect: 'NoSchedule', key: 'node.kubernetes.io/unschedulable', timeAdded: timestamp(now) });
  if (readiness.status === 'False')
    taints.push({ effect: 'NoSchedule', key: 'node.kubernetes.io/not-ready' });
  if (readiness.status === 'Unknown')
    taints.push({ effect: 'NoSchedule', key: 'node.kubernetes.io/unreachable' });
  const spec: Record<string, unknown> = { podCIDR: node.podCidr, podCIDRs: [node.podCidr] };
  if (taints.length > 0) spec['taints'] = taints;
  if (node.unschedulable) spec['unschedulable'] = true;
  const pressure = (type: string, reason: string, message: string): Record<string, unknown> => ({
    lastHeartbeatTime: timestamp(now),
    lastTransitionTime: timestamp(node.joinedAt),
    message,
    reason,
    status: readiness.status === 'Unknown' ? 'Unknown' : 'False',
    type,
  });
  const capacity = {
    cpu: String(node.info.cpu),
    'ephemeral-storage': '479151816Ki',
    memory: `${node.info.memoryKiB}Ki`,
    pods: '110',
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      creationTimestamp: timestamp(node.joinedAt),
      labels,
      name: node.name,
      resourceVersion: String(Math.floor(now / 1000) % 1_000_000),
      uid: node.uid,
    },
    spec,
    status: {
      addresses: [
        { address: node.internalIp, type: 'InternalIP' },
        { address: node.name, type: 'Hostname' },
      ],
      allocatable: capacity,
      capacity,
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        {
          lastHeartbeatTime: timestamp(now),
          lastTransitionTime: timestamp(readiness.since),
          message: readiness.message,
          reason: readiness.reason,
          status: readiness.status,
          type: 'Ready',
        },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: node.uid,
        containerRuntimeVersion: node.info.containerRuntimeVersion,
        kernelVersion: node.info.kernelVersion,
        kubeProxyVersion: cluster.kubernetesVersion,
        kubeletVersion: node.kubeletVersion,
        machineID: node.info.machineId,
        operatingSystem: 'linux',
        osImage: node.info.osImage,
        systemUUID: node.info.systemUuid,
      },
    },
  };
}

/** The single pod a lab Helm release runs (its Deployment's replica). */
export function releasePodName(release: HelmRelease): string {
  const hash = createHash('sha256')
    .update(`${release.namespace}/${release.name}/${release.revision}`)
    .digest('hex');
  return `${release.name}-${hash.slice(0, 10)}-${hash.slice(10, 15)}`;
}

export function releasePodObject(
  cluster: KubeCluster,
  release: HelmRelease,
  now = Date.now(),
): Record<string, unknown> {
  const ready = cluster.releaseReady(release, now);
  const condition = (type: string): Record<string, unknown> => ({
    lastProbeTime: null,
    lastTransitionTime: timestamp(ready ? release.readyAt : release.lastDeployed.getTime()),
    status: ready ? 'True' : 'False',
    type,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      creationTimestamp: timestamp(release.lastDeployed.getTime()),
      labels: {
        'app.kubernetes.io/instance': release.name,
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/name': release.chart.name,
        'helm.sh/chart': `${release.chart.name}-${release.chart.version}`,
      },
      name: releasePodName(release),
      namespace: release.namespace,
    },
    spec: {
      containers: [{ image: `${release.chart.name}:${release.chart.appVersion}`, name: release.chart.name }],
    },
    status: {
      conditions: [
        condition('Initialized'),
        condition('Ready'),
        condition('ContainersReady'),
        condition('PodScheduled'),
      ],
      containerStatuses: [
        {
          name: release.chart.name,
          ready,
          restartCount: 0,
          started: ready,
          image: `${release.chart.name}:${release.chart.appVersion}`,
        },
      ],
      phase: ready ? 'Running' : 'Pending',
    },
  };
}

export function timestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** kubectl's short age format (`45s`, `3m12s`, `5h`, `2d`). */
export function age(sinceMs: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - sinceMs) / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}
