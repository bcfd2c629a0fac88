import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import {
  RoleError,
  type ClusterRevisionRef,
  type InitControlPlaneResult,
  type KubernetesActivities,
  type KubernetesNode,
  type SshAccess,
} from '@plinth/contracts';
import type { ClusterRepository, SecretStore } from '@plinth/db';
import type { CNI_PLUGINS, KubernetesSpec, OsFamily } from '@plinth/domain';
import { shellCommand, type ExecResult, type SshDriver } from '@plinth/driver-ssh';
import type { Logger } from '@plinth/logger';
import {
  cancellationSignal,
  heartbeat,
  roleActivity,
  sleepUnlessCancelled,
  withHeartbeats,
} from '../verify-os/ssh-activity-support';
import { maskedSha256, normaliseEndpoint, renderInitConfig, renderJoinConfig } from './render-kubeadm';

type Cni = (typeof CNI_PLUGINS)[number];

/** Manifests `kubectl apply -f` installs per CNI (pinned releases). */
export const DEFAULT_CNI_MANIFESTS: Record<Cni, string> = {
  calico: 'https://raw.githubusercontent.com/projectcalico/calico/v3.28.1/manifests/calico.yaml',
  flannel: 'https://github.com/flannel-io/flannel/releases/download/v0.25.5/kube-flannel.yml',
  cilium: 'https://raw.githubusercontent.com/cilium/cilium/v1.15.7/install/kubernetes/quick-install.yaml',
};

export interface KubernetesDeps {
  ssh: SshDriver;
  clusters: Pick<ClusterRepository, 'revision'>;
  /** Join tokens and certificate keys are stored here, encrypted; only references leave the activity. */
  secrets: Pick<SecretStore, 'put' | 'reveal' | 'exists'>;
  /** Override the CNI manifest URLs (a local mirror). */
  cniManifests?: Partial<Record<Cni, string>>;
  logger?: Logger;
  /** Heartbeat period during long commands. Default 2 s. */
  heartbeatIntervalMs?: number;
}

const ADMIN_CONF = '/etc/kubernetes/admin.conf';
const KUBELET_CONF = '/etc/kubernetes/kubelet.conf';
const KUBECTL = `sudo kubectl --kubeconfig ${ADMIN_CONF}`;
const HASH_PATTERN = /--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})/;
const TOKEN_PATTERN = /--token ([a-z0-9]{6}\.[a-z0-9]{16})/;

/** Secret names for a cluster's join material. */
export function joinSecretNames(clusterId: string): { token: string; certificateKey: string } {
  return { token: `k8s-${clusterId}-join-token`, certificateKey: `k8s-${clusterId}-certificate-key` };
}

/** A kubeadm bootstrap token, `[a-z0-9]{6}.[a-z0-9]{16}`. */
export function newBootstrapToken(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (length: number): string =>
    [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
  return `${pick(6)}.${pick(16)}`;
}

/** The API server a kubeconfig points at (`host:port`), or undefined. */
export function kubeconfigServer(text: string): string | undefined {
  try {
    const config = parse(text) as { clusters?: Array<{ cluster?: { server?: string } }> } | null;
    const server = config?.clusters?.[0]?.cluster?.server;
    return server ? normaliseEndpoint(server) : undefined;
  } catch {
    return undefined;
  }
}

function kubeadmError(
  node: { machineId: string; nodeName: string },
  what: string,
  result: ExecResult,
): RoleError {
  const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-8).join('\n');
  return new RoleError(
    'KubeadmFailed',
    `kubeadm ${what} failed on ${node.nodeName} (machine ${node.machineId}), exit ${String(result.exitCode)}: ${output}`,
    {
      machineId: node.machineId,
      exitCode: result.exitCode,
    },
  );
}

/** `1.30` or `1.30.2` (spec) against `v1.30.2` (installed). */
function versionSatisfies(wanted: string, installed: string): boolean {
  const bare = installed.replace(/^v/, '');
  return bare === wanted || bare.startsWith(`${wanted}.`);
}

/** Builds the {@link KubernetesActivities}. */
export const createKubernetesActivities = (deps: KubernetesDeps): KubernetesActivities => {
  const heartbeatMs = deps.heartbeatIntervalMs ?? 2000;

  async function specOf(ref: ClusterRevisionRef): Promise<KubernetesSpec> {
    const revision = await deps.clusters.revision(ref.clusterId, ref.revision);
    if (!revision)
      throw new RoleError('TemplateError', `Cluster ${ref.clusterId} has no revision ${ref.revision}.`);
    if (!revision.spec.kubernetes)
      throw new RoleError(
        'TemplateError',
        `Cluster ${revision.spec.name} revision ${ref.revision} has no kubernetes section.`,
      );
    return revision.spec.kubernetes;
  }

  /** A long command with heartbeats and the activity's cancellation. */
  function long(
    target: SshAccess,
    command: string,
    options: { stdin?: string; secrets?: string[]; timeoutMs?: number },
    step: string,
  ): Promise<ExecResult> {
    return withHeartbeats(
      deps.ssh.exec(target, command, {
        ...options,
        signal: cancellationSignal(),
        timeoutMs: options.timeoutMs ?? 900_000,
      }),
      () => ({ step }),
      heartbeatMs,
    );
  }

  async function installedKubeadmVersion(target: SshAccess): Promise<string | undefined> {
    const result = await deps.ssh.exec(target, 'kubeadm version -o short', { signal: cancellationSignal() });
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  async function writeIfDifferent(target: SshAccess, path: string, content: string): Promise<boolean> {
    const current = await deps.ssh.exec(target, `sudo cat ${shellCommand(path)}`, {
      signal: cancellationSignal(),
    });
    if (current.exitCode === 0 && current.stdout === content) return false;
    const dir = path.slice(0, path.lastIndexOf('/'));
    await deps.ssh.run(
      target,
      `sudo mkdir -p ${shellCommand(dir)} && sudo tee ${shellCommand(path)} > /dev/null`,
      { stdin: content, signal: cancellationSignal() },
    );
    return true;
  }

  /** Package names with the pinned version, per package manager; unpinned when the spec gives a minor only. */
  function packageRequests(family: OsFamily, version: string): { runtime: string; pinned: string[] } {
    const full = /^\d+\.\d+\.\d+$/.test(version);
    const apt = family === 'ubuntu' || family === 'debian';
    const names = ['kubelet', 'kubeadm', 'kubectl'];
    return {
      runtime: apt ? 'containerd' : 'containerd.io',
      pinned: names.map((name) => (!full ? name : apt ? `${name}=${version}-1.1` : `${name}-${version}`)),
    };
  }

  async function storeSecret(name: string, value: string): Promise<string> {
    return deps.secrets.put(name, value);
  }

  /** A new certificate key from `kubeadm init phase upload-certs` on a control plane (printed, never passed on argv). */
  async function uploadCerts(firstControlPlane: SshAccess, clusterId: string): Promise<string> {
    const result = await deps.ssh.exec(
      firstControlPlane,
      'sudo kubeadm init phase upload-certs --upload-certs',
      { signal: cancellationSignal(), timeoutMs: 120_000 },
    );
    const key = /^([0-9a-f]{64})$/m.exec(result.stdout)?.[1];
    if (result.exitCode !== 0 || !key)
      throw kubeadmError(
        { machineId: firstControlPlane.machineId, nodeName: firstControlPlane.host },
        'init phase upload-certs',
        result,
      );
    return storeSecret(joinSecretNames(clusterId).certificateKey, key);
  }

  /** A new join token (and the CA hash) from `kubeadm token create --print-join-command`. */
  async function createToken(
    firstControlPlane: SshAccess,
    clusterId: string,
  ): Promise<{ tokenRef: string; caCertHash: string }> {
    const result = await deps.ssh.exec(
      firstControlPlane,
      `sudo kubeadm token create --print-join-command --kubeconfig ${ADMIN_CONF}`,
      { signal: cancellationSignal() },
    );
    const token = TOKEN_PATTERN.exec(result.stdout)?.[1];
    const caCertHash = HASH_PATTERN.exec(result.stdout)?.[1];
    if (result.exitCode !== 0 || !token || !caCertHash)
      throw kubeadmError(
        { machineId: firstControlPlane.machineId, nodeName: firstControlPlane.host },
        'token create',
        result,
      );
    return { tokenRef: await storeSecret(joinSecretNames(clusterId).token, token), caCertHash };
  }

  /** Stored secret or a fresh one stored now (before it is used, so a crash cannot lose it). */
  async function secretOrNew(name: string, generate: () => string): Promise<{ ref: string; value: string }> {
    const ref = `secret/${name}`;
    if (await deps.secrets.exists(ref)) return { ref, value: await deps.secrets.reveal(ref) };
    const value = generate();
    return { ref: await storeSecret(name, value), value };
  }

  async function kubeletServer(node: KubernetesNode): Promise<string | undefined> {
    const conf = await deps.ssh.exec(node.ssh, `sudo cat ${KUBELET_CONF}`, { signal: cancellationSignal() });
    if (conf.exitCode !== 0) return undefined;
    return kubeconfigServer(conf.stdout) ?? 'an unreadable kubeconfig';
  }

  return {
    installKubernetesPackages: (input) =>
      roleActivity(async () => {
        const spec = await specOf(input);
        const { node } = input;
        const target = node.ssh;
        const apt = node.osFamily === 'ubuntu' || node.osFamily === 'debian';
        const minor = spec.version.split('.').slice(0, 2).join('.');
        const { runtime, pinned } = packageRequests(node.osFamily, spec.version);
        heartbeat({ step: 'package repositories' });
        const repoChanged = apt
          ? await writeIfDifferent(
              target,
              '/etc/apt/sources.list.d/kubernetes.list',
              `deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v${minor}/deb/ /\n`,
            )
          : await writeIfDifferent(
              target,
              '/etc/yum.repos.d/kubernetes.repo',
              `[kubernetes]\nname=Kubernetes\nbaseurl=https://pkgs.k8s.io/core:/stable:/v${minor}/rpm/\nenabled=1\ngpgcheck=1\ngpgkey=https://pkgs.k8s.io/core:/stable:/v${minor}/rpm/repodata/repomd.xml.key\nexclude=kubelet kubeadm kubectl cri-tools kubernetes-cni\n`,
            );
        const present = await deps.ssh.exec(
          target,
          apt
            ? `dpkg-query -W ${runtime} kubelet kubeadm kubectl`
            : `rpm -q ${runtime} kubelet kubeadm kubectl`,
          {
            signal: cancellationSignal(),
          },
        );
        const installedVersion = await installedKubeadmVersion(target);
        const upToDate =
          present.exitCode === 0 &&
          installedVersion !== undefined &&
          versionSatisfies(spec.version, installedVersion);
        let changed = repoChanged;
        if (!upToDate) {
          changed = true;
          const install = apt
            ? `sudo apt-get update && sudo apt-get install -y --allow-change-held-packages ${runtime} ${pinned.join(' ')} && sudo apt-mark hold kubelet kubeadm kubectl`
            : `sudo dnf install -y ${runtime} ${pinned.join(' ')} --disableexcludes=kubernetes`;
          const result = await long(target, install, {}, 'installing Kubernetes packages');
          if (result.exitCode !== 0) {
            throw new RoleError(
              'CommandFailed',
              `Installing Kubernetes ${spec.version} packages on ${node.nodeName} failed: ${result.stderr.trim().split('\n').slice(-5).join(' ')}`,
              {
                machineId: node.machineId,
              },
            );
          }
        }
        const units = await deps.ssh.exec(
          target,
          'systemctl is-active containerd && systemctl is-enabled kubelet',
          { signal: cancellationSignal() },
        );
        if (units.exitCode !== 0) {
          changed = true;
          await deps.ssh.run(
            target,
            'sudo systemctl enable --now containerd && sudo systemctl enable kubelet',
            { signal: cancellationSignal() },
          );
        }
        const kubernetesVersion = await installedKubeadmVersion(target);
        if (!kubernetesVersion || !versionSatisfies(spec.version, kubernetesVersion)) {
          throw new RoleError(
            'KubeadmFailed',
            `${node.nodeName} has kubeadm ${kubernetesVersion ?? '(none)'} after installing, but the spec asks for Kubernetes ${spec.version}. Check the package repository.`,
            { machineId: node.machineId },
          );
        }
        return { kubernetesVersion, changed };
      }),

    initControlPlane: (input) =>
      roleActivity(async (): Promise<InitControlPlaneResult> => {
        const spec = await specOf(input);
        const { node } = input;
        const target = node.ssh;
        const endpoint = normaliseEndpoint(spec.endpoint);
        const kubernetesVersion = /^\d+\.\d+\.\d+$/.test(spec.version)
          ? `v${spec.version}`
          : await installedKubeadmVersion(target);
        if (!kubernetesVersion)
          throw new RoleError(
            'KubeadmFailed',
            `kubeadm is not installed on ${node.nodeName}; run installKubernetesPackages first.`,
          );
        const names = joinSecretNames(input.clusterId);
        // Generated and stored before init: whatever happens next, the cluster's join material is recoverable.
        const token = await secretOrNew(names.token, newBootstrapToken);
        const certificateKey = await secretOrNew(names.certificateKey, () => randomBytes(32).toString('hex'));
        const config = renderInitConfig({
          kubernetesVersion,
          controlPlaneEndpoint: endpoint,
          podSubnet: spec.podCidr,
          serviceSubnet: spec.serviceCidr,
          nodeName: node.nodeName,
          ...(node.advertiseAddress ? { advertiseAddress: node.advertiseAddress } : {}),
          token: token.value,
          certificateKey: certificateKey.value,
        });
        const kubeadmConfigSha256 = maskedSha256(config, [token.value, certificateKey.value]);

        const admin = await deps.ssh.exec(target, `sudo cat ${ADMIN_CONF}`, { signal: cancellationSignal() });
        if (admin.exitCode === 0) {
          // Guard: already initialised (an earlier attempt got this far). Never init twice.
          const server = kubeconfigServer(admin.stdout);
          if (server !== endpoint) {
            throw new RoleError(
              'KubeadmFailed',
              `${node.nodeName} is already the control plane of another cluster (API ${server ?? 'unknown'}, wanted ${endpoint}). Run "kubeadm reset" on it before deploying this cluster.`,
              { machineId: node.machineId },
            );
          }
          heartbeat({ step: 'already initialised: refreshing join material' });
          const { tokenRef, caCertHash } = await createToken(target, input.clusterId);
          const certificateKeyRef = await uploadCerts(target, input.clusterId);
          deps.logger?.info(
            { machineId: node.machineId },
            'control plane already initialised; join material refreshed',
          );
          return {
            initialised: false,
            endpoint,
            caCertHash,
            joinTokenRef: tokenRef,
            certificateKeyRef,
            kubeadmConfigSha256,
            kubernetesVersion,
          };
        }

        const result = await long(
          target,
          'sudo kubeadm init --config /dev/stdin --upload-certs',
          { stdin: config, secrets: [token.value, certificateKey.value] },
          'kubeadm init',
        );
        if (result.exitCode !== 0) throw kubeadmError(node, 'init', result);
        const caCertHash = HASH_PATTERN.exec(result.stdout)?.[1];
        if (!caCertHash) throw kubeadmError(node, 'init (no CA hash in its output)', result);
        deps.logger?.info({ machineId: node.machineId, kubernetesVersion }, 'control plane initialised');
        return {
          initialised: true,
          endpoint,
          caCertHash,
          joinTokenRef: token.ref,
          certificateKeyRef: certificateKey.ref,
          kubeadmConfigSha256,
          kubernetesVersion,
        };
      }),

    joinNode: (input) =>
      roleActivity(async () => {
        const spec = await specOf(input);
        const { node, join } = input;
        const endpoint = normaliseEndpoint(join.endpoint);
        const server = await kubeletServer(node);
        if (server !== undefined) {
          // Guard: already joined. Same cluster → done; another → an operator must reset it.
          if (server === endpoint) return { joined: false };
          throw new RoleError(
            'KubeadmFailed',
            `${node.nodeName} already belongs to another cluster (API ${server}, wanted ${endpoint}). Run "kubeadm reset" on it before joining.`,
            { machineId: node.machineId },
          );
        }
        const kubernetesVersion = /^\d+\.\d+\.\d+$/.test(spec.version)
          ? `v${spec.version}`
          : ((await installedKubeadmVersion(node.ssh)) ?? `v${spec.version}.0`);
        let tokenRef = join.joinTokenRef;
        let certificateKeyRef = join.certificateKeyRef;
        let caCertHash = join.caCertHash;
        for (let attempt = 0; ; attempt++) {
          const token = await deps.secrets.reveal(tokenRef);
          const certificateKey =
            node.role === 'control-plane' ? await deps.secrets.reveal(certificateKeyRef) : undefined;
          const config = renderJoinConfig({
            kubernetesVersion,
            apiServerEndpoint: endpoint,
            token,
            caCertHash,
            nodeName: node.nodeName,
            ...(certificateKey !== undefined
              ? {
                  controlPlane: {
                    certificateKey,
                    ...(node.advertiseAddress ? { advertiseAddress: node.advertiseAddress } : {}),
                  },
                }
              : {}),
          });
          const result = await long(
            node.ssh,
            'sudo kubeadm join --config /dev/stdin',
            { stdin: config, secrets: certificateKey !== undefined ? [token, certificateKey] : [token] },
            `kubeadm join (${node.role})`,
          );
          if (result.exitCode === 0) {
            deps.logger?.info({ machineId: node.machineId, role: node.role }, 'node joined');
            return { joined: true };
          }
          const output = `${result.stderr}\n${result.stdout}`;
          // Expired join material is renewed on the first control plane, then the join is tried once more.
          if (
            attempt === 0 &&
            /could not find a JWS signature|token id .* is invalid|token .* expired/i.test(output)
          ) {
            ({ tokenRef, caCertHash } = await createToken(input.firstControlPlane, input.clusterId));
            continue;
          }
          if (
            attempt === 0 &&
            node.role === 'control-plane' &&
            /kubeadm-certs" was not found|message authentication failed/.test(output)
          ) {
            certificateKeyRef = await uploadCerts(input.firstControlPlane, input.clusterId);
            continue;
          }
          throw kubeadmError(node, 'join', result);
        }
      }),

    installCni: (input) =>
      roleActivity(async () => {
        const spec = await specOf(input);
        const url = deps.cniManifests?.[spec.cni] ?? DEFAULT_CNI_MANIFESTS[spec.cni];
        const result = await long(
          input.firstControlPlane,
          `${KUBECTL} apply -f ${shellCommand(url)}`,
          { timeoutMs: 300_000 },
          `kubectl apply ${spec.cni}`,
        );
        if (result.exitCode !== 0) {
          throw new RoleError(
            'CommandFailed',
            `Installing the ${spec.cni} CNI from ${url} failed: ${result.stderr.trim().split('\n').slice(-5).join(' ')}`,
            {
              machineId: input.firstControlPlane.machineId,
            },
          );
        }
        const changed = /\b(created|configured)\b/.test(result.stdout);
        return { cni: spec.cni, changed };
      }),

    waitForNodesReady: (input) =>
      roleActivity(async () => {
        const timeoutMs = input.timeoutMs ?? 600_000;
        const pollMs = input.pollIntervalMs ?? 2000;
        const deadline = Date.now() + timeoutMs;
        const signal = cancellationSignal();
        let notReady: Array<{ name: string; why: string }> = input.nodeNames.map((name) => ({
          name,
          why: 'not seen yet',
        }));
        for (;;) {
          const result = await deps.ssh.exec(input.firstControlPlane, `${KUBECTL} get nodes -o json`, {
            signal,
            timeoutMs: 60_000,
          });
          if (result.exitCode === 0) {
            const list = JSON.parse(result.stdout) as {
              items: Array<{
                metadata: { name: string };
                status: {
                  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
                };
              }>;
            };
            const byName = new Map(list.items.map((item) => [item.metadata.name, item]));
            notReady = [];
            for (const name of input.nodeNames) {
              const ready = byName
                .get(name)
                ?.status.conditions?.find((condition) => condition.type === 'Ready');
              if (ready?.status !== 'True')
                notReady.push({
                  name,
                  why: ready ? `${ready.reason ?? ready.status}: ${ready.message ?? ''}` : 'not registered',
                });
            }
          }
          const ready = input.nodeNames.filter((name) => !notReady.some((node) => node.name === name));
          heartbeat({ step: 'waiting for nodes Ready', ready, notReady: notReady.map((node) => node.name) });
          if (notReady.length === 0) return { ready };
          if (Date.now() + pollMs > deadline) {
            throw new RoleError(
              'NodesNotReady',
              `${notReady.length} of ${input.nodeNames.length} nodes not Ready after ${Math.round(timeoutMs / 1000)} s: ${notReady.map((node) => `${node.name} (${node.why})`).join('; ')}.`,
              { notReady: notReady.map((node) => node.name) },
            );
          }
          await sleepUnlessCancelled(pollMs, signal);
        }
      }),
  };
};
