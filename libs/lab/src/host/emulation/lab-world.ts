import { createHash, randomBytes, randomUUID } from 'node:crypto';

/**
 * Lab-wide state the emulated Kubernetes tools share: every cluster a `kubeadm init` on some lab
 * host created, its nodes, applied objects and Helm releases. One per lab; all hosts of the lab
 * see the same world, so `kubectl get nodes` on a control plane shows workers joined from other
 * hosts. Readiness is computed from timestamps when asked, so no timers run while idle.
 */
export class LabWorld {
  readonly clusters = new Map<string, KubeCluster>();

  /** The cluster an API server address belongs to (its control-plane endpoint or a control-plane node's address). */
  clusterForEndpoint(endpoint: string): KubeCluster | undefined {
    const wanted = normaliseEndpoint(endpoint);
    for (const cluster of this.clusters.values()) {
      // A cluster whose every control plane was reset or reinstalled no longer exists.
      if (!cluster.hasControlPlaneMember()) this.clusters.delete(cluster.id);
      else if (cluster.answersOn(wanted)) return cluster;
    }
    return undefined;
  }

  createCluster(input: ClusterInput): KubeCluster {
    const cluster = new KubeCluster(input);
    this.clusters.set(cluster.id, cluster);
    return cluster;
  }

  removeCluster(cluster: KubeCluster): void {
    this.clusters.delete(cluster.id);
  }
}

export interface ClusterInput {
  /** `host:port` the API answers on (control-plane endpoint, or the first control plane's address). */
  endpoint: string;
  /** Set with `--control-plane-endpoint`: only then can more control planes join. */
  stableEndpoint: boolean;
  kubernetesVersion: string;
  /** Machine that ran `kubeadm init`, for messages. */
  initialisedOn: string;
  podSubnet?: string;
  serviceSubnet?: string;
}

/** What a node needs from the lab host it runs on. */
export interface KubeletHost {
  /** Machine name, for messages. */
  readonly machineName: string;
  /** When this node's kubelet started on the host, or undefined while it is not running (host off, reinstalled, reset). */
  kubeletRunningSince(clusterId: string, nodeName: string): number | undefined;
  /** The host's disk still holds this node's kubelet configuration (survives power-off; not a reinstall or `kubeadm reset`). */
  isMember(clusterId: string, nodeName: string): boolean;
}

export interface KubeNodeInfo {
  osImage: string;
  kernelVersion: string;
  containerRuntimeVersion: string;
  cpu: number;
  memoryKiB: number;
  machineId: string;
  systemUuid: string;
}

export interface KubeNode {
  name: string;
  uid: string;
  host: KubeletHost;
  controlPlane: boolean;
  internalIp: string;
  kubeletVersion: string;
  joinedAt: number;
  unschedulable: boolean;
  /** From join + CNI to Ready, the joining machine's `timings.nodeReadyMs`. */
  nodeReadyMs: number;
  podCidr: string;
  info: KubeNodeInfo;
}

export type NodeReadiness = {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  since: number;
};

export type HelmStatus = 'deployed' | 'pending-install' | 'pending-upgrade' | 'failed' | 'superseded';

export interface HelmRelease {
  name: string;
  namespace: string;
  chart: { name: string; version: string; appVersion: string };
  revision: number;
  status: HelmStatus;
  description: string;
  firstDeployed: Date;
  lastDeployed: Date;
  values: Record<string, unknown>;
  /** When its pods become Ready (deploy time + the machine's `timings.helmReadyMs`). */
  readyAt: number;
}

export interface AppliedObject {
  apiVersion: string;
  kind: string;
  namespace: string | undefined;
  name: string;
  hash: string;
}

/** DaemonSets (and operator kinds) whose presence means a pod network is installed. */
const CNI_MARKERS: Array<{ kind: string; name: RegExp; cni: string }> = [
  { kind: 'DaemonSet', name: /^calico-node$/, cni: 'calico' },
  { kind: 'Deployment', name: /^tigera-operator$/, cni: 'calico' },
  { kind: 'DaemonSet', name: /^kube-flannel-ds/, cni: 'flannel' },
  { kind: 'DaemonSet', name: /^cilium$/, cni: 'cilium' },
  { kind: 'DaemonSet', name: /^weave-net$/, cni: 'weave' },
  { kind: 'DaemonSet', name: /^canal$/, cni: 'canal' },
  { kind: 'DaemonSet', name: /^antrea-agent$/, cni: 'antrea' },
  { kind: 'DaemonSet', name: /^kube-router$/, cni: 'kube-router' },
];

export function cniOf(kind: string, name: string): string | undefined {
  return CNI_MARKERS.find((marker) => marker.kind === kind && marker.name.test(name))?.cni;
}

/** One emulated Kubernetes cluster. */
export class KubeCluster {
  readonly id = randomUUID();
  readonly createdAt = Date.now();
  readonly endpoint: string;
  readonly stableEndpoint: boolean;
  readonly initialisedOn: string;
  kubernetesVersion: string;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  /** Base64 "certificate" data written into kubeconfigs; the lab does not run a real PKI. */
  readonly caData = randomBytes(48).toString('base64');
  /** `sha256:<hex>` as `--discovery-token-ca-cert-hash` expects. */
  readonly caCertHash: string;
  readonly tokens = new Set<string>();
  certificateKey: string | undefined;
  readonly nodes = new Map<string, KubeNode>();
  readonly objects = new Map<string, AppliedObject>();
  readonly namespaces = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
  /** Kinds added by applied CustomResourceDefinitions, as `group/Kind`. */
  readonly customKinds = new Set<string>();
  cni: { name: string; appliedAt: number } | undefined;
  readonly releases = new Map<string, HelmRelease>();
  private nextPodCidr = 0;

  constructor(input: ClusterInput) {
    this.endpoint = normaliseEndpoint(input.endpoint);
    this.stableEndpoint = input.stableEndpoint;
    this.initialisedOn = input.initialisedOn;
    this.kubernetesVersion = input.kubernetesVersion;
    this.podSubnet = input.podSubnet ?? '10.244.0.0/16';
    this.serviceSubnet = input.serviceSubnet ?? '10.96.0.0/12';
    this.caCertHash = `sha256:${createHash('sha256').update(this.caData).digest('hex')}`;
  }

  /** A new bootstrap token in kubeadm's `[a-z0-9]{6}.[a-z0-9]{16}` form. */
  createToken(token?: string): string {
    const value = token ?? `${randomAlnum(6)}.${randomAlnum(16)}`;
    this.tokens.add(value);
    return value;
  }

  answersOn(endpoint: string): boolean {
    if (endpoint === this.endpoint) return true;
    for (const node of this.nodes.values())
      if (node.controlPlane && `${node.internalIp}:6443` === endpoint) return true;
    return false;
  }

  /** The API server answers while some control-plane node's kubelet (and so its static pods) runs. */
  apiReachable(): boolean {
    for (const node of this.nodes.values()) {
      if (node.controlPlane && node.host.kubeletRunningSince(this.id, node.name) !== undefined) return true;
    }
    return false;
  }

  /**
   * Some control-plane node's host still carries this cluster on disk (not reset, not reinstalled).
   * A cluster without one is gone for good: its endpoint may be initialised again.
   */
  hasControlPlaneMember(): boolean {
    for (const node of this.nodes.values())
      if (node.controlPlane && node.host.isMember(this.id, node.name)) return true;
    return false;
  }

  addNode(node: Omit<KubeNode, 'uid' | 'podCidr' | 'unschedulable'>): KubeNode {
    const existing = this.nodes.get(node.name);
    const podCidr = existing?.podCidr ?? this.allocatePodCidr();
    const added: KubeNode = {
      ...node,
      uid: existing?.uid ?? randomUUID(),
      podCidr,
      unschedulable: existing?.unschedulable ?? false,
    };
    this.nodes.set(node.name, added);
    return added;
  }

  readiness(node: KubeNode, now = Date.now()): NodeReadiness {
    const runningSince = node.host.kubeletRunningSince(this.id, node.name);
    if (runningSince === undefined) {
      return {
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        since: node.joinedAt,
      };
    }
    const notReady = {
      status: 'False' as const,
      reason: 'KubeletNotReady',
      message:
        'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
    };
    if (!this.cni) return { ...notReady, since: Math.max(node.joinedAt, runningSince) };
    const readyAt = Math.max(node.joinedAt, runningSince, this.cni.appliedAt) + node.nodeReadyMs;
    if (now < readyAt) return { ...notReady, since: Math.max(node.joinedAt, runningSince) };
    return {
      status: 'True',
      reason: 'KubeletReady',
      message: 'kubelet is posting ready status',
      since: readyAt,
    };
  }

  /** Pods can run somewhere: at least one Ready, schedulable node. */
  hasSchedulableReadyNode(now = Date.now()): boolean {
    for (const node of this.nodes.values())
      if (!node.unschedulable && this.readiness(node, now).status === 'True') return true;
    return false;
  }

  /** A release's pods are Ready once its deploy delay passed and some node can run them. */
  releaseReady(release: HelmRelease, now = Date.now()): boolean {
    return now >= release.readyAt && this.hasSchedulableReadyNode(now);
  }

  private allocatePodCidr(): string {
    const [base] = this.podSubnet.split('/');
    const octets = (base ?? '10.244.0.0').split('.').map(Number);
    const index = this.nextPodCidr++;
    return `${octets[0]}.${(octets[1] ?? 0) + Math.floor(index / 256)}.${index % 256}.0/24`;
  }
}

/** `https://10.0.0.1:6443/` → `10.0.0.1:6443`; a missing port means 6443. */
export function normaliseEndpoint(endpoint: string): string {
  const stripped = endpoint.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (/^\[.*\]:\d+$/.test(stripped) || /^[^:]+:\d+$/.test(stripped)) return stripped;
  return `${stripped}:6443`;
}

function randomAlnum(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}
