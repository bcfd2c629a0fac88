import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import type { CommandContext } from './command';
import { isRecord } from './netplan-config';
import type { KubeCluster } from './lab-world';

/**
 * Kubeconfig files and how kubectl/helm find their cluster from them: the explicit
 * `--kubeconfig`, else `$KUBECONFIG`, else `~/.kube/config` — exactly the real lookup, so
 * `sudo kubectl get nodes` without any of them fails on a control plane as it does for real.
 */
export function renderKubeconfig(cluster: KubeCluster, user: string): string {
  const clientData = randomBytes(48).toString('base64');
  return stringify({
    apiVersion: 'v1',
    clusters: [
      {
        cluster: { 'certificate-authority-data': cluster.caData, server: `https://${cluster.endpoint}` },
        name: 'kubernetes',
      },
    ],
    contexts: [{ context: { cluster: 'kubernetes', user }, name: `${user}@kubernetes` }],
    'current-context': `${user}@kubernetes`,
    kind: 'Config',
    preferences: {},
    users: [{ name: user, user: { 'client-certificate-data': clientData, 'client-key-data': clientData } }],
  });
}

/** The API server URL of a kubeconfig's current context (or its only cluster). */
export function kubeconfigServer(text: string): string | undefined {
  let config: unknown;
  try {
    config = parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(config)) return undefined;
  const clusters = Array.isArray(config['clusters'])
    ? (config['clusters'] as unknown[]).filter(isRecord)
    : [];
  const contexts = Array.isArray(config['contexts'])
    ? (config['contexts'] as unknown[]).filter(isRecord)
    : [];
  const current = contexts.find((entry) => entry['name'] === config['current-context']);
  const clusterName = isRecord(current?.['context']) ? current['context']['cluster'] : undefined;
  const cluster =
    clusters.find((entry) => entry['name'] === clusterName) ??
    (clusters.length === 1 ? clusters[0] : undefined);
  const server = isRecord(cluster?.['cluster']) ? cluster['cluster']['server'] : undefined;
  return typeof server === 'string' ? server : undefined;
}

export type ClusterAccess =
  | { ok: true; cluster: KubeCluster; server: string }
  /** No usable kubeconfig: the client falls back to `http://localhost:8080`. */
  | { ok: false; problem: 'no-config' }
  /** `--kubeconfig` names a file that cannot be read. */
  | { ok: false; problem: 'config-error'; message: string }
  /** The kubeconfig's server does not answer. */
  | { ok: false; problem: 'refused'; server: string };

export function accessCluster(context: CommandContext, explicitPath: string | undefined): ClusterAccess {
  const { os } = context;
  let path = explicitPath;
  if (path !== undefined) {
    const read = os.readFile(context, path);
    if (!read.ok) {
      const reason = read.reason === 'Permission denied' ? 'permission denied' : 'no such file or directory';
      return {
        ok: false,
        problem: 'config-error',
        message:
          read.reason === 'Permission denied'
            ? `error loading config file "${path}": open ${path}: ${reason}`
            : `stat ${path}: ${reason}`,
      };
    }
    return connect(context, read.content);
  }
  const candidates = [
    ...(context.env['KUBECONFIG'] ?? '').split(':').filter(Boolean),
    `${context.env['HOME'] ?? (context.root ? '/root' : os.home)}/.kube/config`,
  ];
  for (path of candidates) {
    const read = os.readFile(context, path);
    if (read.ok) return connect(context, read.content);
    if (read.reason === 'Permission denied') {
      return {
        ok: false,
        problem: 'config-error',
        message: `error loading config file "${path}": open ${path}: permission denied`,
      };
    }
  }
  return { ok: false, problem: 'no-config' };
}

function connect(context: CommandContext, kubeconfig: string): ClusterAccess {
  const server = kubeconfigServer(kubeconfig);
  if (!server) return { ok: false, problem: 'no-config' };
  const cluster = context.os.world.clusterForEndpoint(server);
  const address = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (!cluster || !cluster.apiReachable()) return { ok: false, problem: 'refused', server: address };
  return { ok: true, cluster, server: address };
}
