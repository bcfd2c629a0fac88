/**
 * The Kubernetes role: kubeadm over SSH. Join tokens and certificate keys are secrets: activities
 * store them encrypted and pass references (`secret/<name>`); kubeadm gets them on stdin.
 */
import type { OsFamily } from '@plinth/domain';
import type { ClusterRevisionRef } from './network';
import type { SshAccess } from './ssh';

/** A machine taking part in the cluster. */
export interface KubernetesNode {
  machineId: string;
  /** Kubernetes node name (the machine's hostname). */
  nodeName: string;
  ssh: SshAccess;
  osFamily: OsFamily;
  role: 'control-plane' | 'worker';
  /** Address the API server advertises on a control plane; kubeadm picks the host's primary address when absent. */
  advertiseAddress?: string;
}

/** What joining needs to know about the cluster; secrets by reference only. */
export interface KubernetesJoinInfo {
  /** `host:port` of the control-plane endpoint. */
  endpoint: string;
  /** `sha256:<hex>` of the cluster CA's public key. */
  caCertHash: string;
  joinTokenRef: string;
  certificateKeyRef: string;
}

export interface InstallKubernetesPackagesInput extends ClusterRevisionRef {
  node: KubernetesNode;
}

export interface InstallKubernetesPackagesResult {
  /** `vX.Y.Z` of the installed kubeadm. */
  kubernetesVersion: string;
  /** False when everything was already installed, held and running. */
  changed: boolean;
}

export interface InitControlPlaneInput extends ClusterRevisionRef {
  node: KubernetesNode;
}

export interface InitControlPlaneResult extends KubernetesJoinInfo {
  /** False when the node was already initialised (by an earlier attempt): nothing was re-run. */
  initialised: boolean;
  /** sha256 of the rendered kubeadm config. */
  kubeadmConfigSha256: string;
  kubernetesVersion: string;
}

export interface JoinNodeInput extends ClusterRevisionRef {
  node: KubernetesNode;
  /** Where certificates are re-uploaded when the uploaded ones expired (control-plane joins). */
  firstControlPlane: SshAccess;
  join: KubernetesJoinInfo;
}

export interface InstallCniInput extends ClusterRevisionRef {
  firstControlPlane: SshAccess;
}

export interface WaitForNodesReadyInput {
  firstControlPlane: SshAccess;
  nodeNames: string[];
  /** Default 10 minutes. */
  timeoutMs?: number;
  /** Default 2 s. */
  pollIntervalMs?: number;
}

/**
 * Kubernetes role activities, each idempotent:
 *
 * - `installKubernetesPackages`: container runtime, kubelet, kubeadm and kubectl at the spec's
 *   version, held; runtime and kubelet enabled. Re-running installs nothing new.
 * - `initControlPlane`: `kubeadm init` with a rendered config on stdin, on the first control plane.
 *   Guard: an initialised node is not initialised again (the stored token is checked and replaced if
 *   the cluster no longer knows it). The join token and certificate key are generated and stored
 *   before init, so a crash at any point leaves them recoverable.
 * - `joinNode`: `kubeadm join` with a rendered JoinConfiguration on stdin. Guard: a node already
 *   joined to this cluster is skipped; one joined to another cluster fails.
 * - `installCni`: `kubectl apply` of the spec's CNI (unchanged objects stay unchanged).
 * - `waitForNodesReady`: polls `kubectl get nodes -o json`, heartbeating, until all are Ready.
 *
 * Errors: `KubeadmFailed`, `NodesNotReady`, `CommandFailed`, `SshUnreachable` (retryable);
 * `SecretMissing`, `SshAuthFailed`, `SshHostKeyChanged` (not retryable).
 */
export interface KubernetesActivities {
  installKubernetesPackages(input: InstallKubernetesPackagesInput): Promise<InstallKubernetesPackagesResult>;
  initControlPlane(input: InitControlPlaneInput): Promise<InitControlPlaneResult>;
  joinNode(input: JoinNodeInput): Promise<{ joined: boolean }>;
  installCni(input: InstallCniInput): Promise<{ cni: string; changed: boolean }>;
  waitForNodesReady(input: WaitForNodesReadyInput): Promise<{ ready: string[] }>;
}
