import { createHash } from 'node:crypto';
import { stringify } from 'yaml';

/**
 * kubeadm configuration files. The join token and certificate key are secrets: the rendered text
 * goes to kubeadm on stdin only, and the hash activities return is of the text with them masked.
 */

export interface InitConfigInput {
  /** `v1.30.2`. */
  kubernetesVersion: string;
  /** `host:port` every node reaches the API on. */
  controlPlaneEndpoint: string;
  podSubnet: string;
  serviceSubnet: string;
  nodeName: string;
  advertiseAddress?: string;
  token: string;
  certificateKey: string;
}

export interface JoinConfigInput {
  kubernetesVersion: string;
  apiServerEndpoint: string;
  token: string;
  caCertHash: string;
  nodeName: string;
  /** Present for control-plane joins. */
  controlPlane?: { certificateKey: string; advertiseAddress?: string };
}

export const MASK = '<masked>';

/** kubeadm's config API: v1beta4 from Kubernetes 1.31 on, v1beta3 before. */
export function kubeadmApiVersion(kubernetesVersion: string): string {
  const match = /^v?(\d+)\.(\d+)/.exec(kubernetesVersion);
  const minor = match ? Number(match[1]) * 1000 + Number(match[2]) : 0;
  return minor >= 1031 ? 'kubeadm.k8s.io/v1beta4' : 'kubeadm.k8s.io/v1beta3';
}

/** Kubelet settings every node gets: the systemd cgroup driver containerd is configured with. */
const KUBELET = {
  apiVersion: 'kubelet.config.k8s.io/v1beta1',
  kind: 'KubeletConfiguration',
  cgroupDriver: 'systemd',
};

function documents(...docs: object[]): string {
  return docs.map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n');
}

/** InitConfiguration + ClusterConfiguration + KubeletConfiguration for `kubeadm init --config`. */
export function renderInitConfig(input: InitConfigInput): string {
  const apiVersion = kubeadmApiVersion(input.kubernetesVersion);
  const init = {
    apiVersion,
    kind: 'InitConfiguration',
    bootstrapTokens: [
      {
        token: input.token,
        ttl: '24h0m0s',
        usages: ['signing', 'authentication'],
        groups: ['system:bootstrappers:kubeadm:default-node-token'],
      },
    ],
    certificateKey: input.certificateKey,
    nodeRegistration: { name: input.nodeName, criSocket: 'unix:///var/run/containerd/containerd.sock' },
    ...(input.advertiseAddress
      ? { localAPIEndpoint: { advertiseAddress: input.advertiseAddress, bindPort: 6443 } }
      : {}),
  };
  const cluster = {
    apiVersion,
    kind: 'ClusterConfiguration',
    kubernetesVersion: input.kubernetesVersion,
    controlPlaneEndpoint: input.controlPlaneEndpoint,
    networking: {
      podSubnet: input.podSubnet,
      serviceSubnet: input.serviceSubnet,
      dnsDomain: 'cluster.local',
    },
  };
  return documents(init, cluster, KUBELET);
}

/** JoinConfiguration (+ KubeletConfiguration) for `kubeadm join --config`. */
export function renderJoinConfig(input: JoinConfigInput): string {
  const join = {
    apiVersion: kubeadmApiVersion(input.kubernetesVersion),
    kind: 'JoinConfiguration',
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: input.apiServerEndpoint,
        token: input.token,
        caCertHashes: [input.caCertHash],
      },
    },
    nodeRegistration: { name: input.nodeName, criSocket: 'unix:///var/run/containerd/containerd.sock' },
    ...(input.controlPlane
      ? {
          controlPlane: {
            certificateKey: input.controlPlane.certificateKey,
            ...(input.controlPlane.advertiseAddress
              ? {
                  localAPIEndpoint: { advertiseAddress: input.controlPlane.advertiseAddress, bindPort: 6443 },
                }
              : {}),
          },
        }
      : {}),
  };
  return documents(join, KUBELET);
}

/** sha256 of a rendered config with its secrets masked: safe to return and log, stable across token rotations. */
export function maskedSha256(config: string, secrets: string[]): string {
  let masked = config;
  for (const secret of secrets) if (secret) masked = masked.split(secret).join(MASK);
  return createHash('sha256').update(masked).digest('hex');
}

/** `10.20.0.10` → `10.20.0.10:6443`; a given port is kept. */
export function normaliseEndpoint(endpoint: string): string {
  const stripped = endpoint.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  return /:\d+$/.test(stripped) ? stripped : `${stripped}:6443`;
}
