import { parseAllDocuments } from 'yaml';
import type { CommandContext } from '../command';
import { isRecord } from '../netplan-config';

/**
 * `kubeadm --config` files: the InitConfiguration / ClusterConfiguration / JoinConfiguration
 * documents (kubeadm.k8s.io/v1beta3 and v1beta4) reduced to the fields the lab acts on.
 * Other kinds in the file (KubeletConfiguration, KubeProxyConfiguration) are accepted and ignored.
 */
export interface KubeadmConfigFile {
  init?: Record<string, unknown>;
  cluster?: Record<string, unknown>;
  join?: Record<string, unknown>;
}

const API_VERSIONS = new Set(['kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4']);

export async function readKubeadmConfig(
  context: CommandContext,
  path: string,
): Promise<{ ok: true; config: KubeadmConfigFile } | { ok: false; message: string }> {
  let text: string;
  if (path === '/dev/stdin' || path === '-') text = await context.stdin.readAll();
  else {
    const read = context.os.readFile(context, path);
    if (!read.ok)
      return {
        ok: false,
        message: `unable to read config from "${path}" : open ${path}: ${read.reason.toLowerCase()}`,
      };
    text = read.content;
  }
  const config: KubeadmConfigFile = {};
  for (const document of parseAllDocuments(text)) {
    if ('errors' in document && document.errors.length > 0) {
      return {
        ok: false,
        message: `unable to decode config from "${path}": ${document.errors[0]?.message ?? 'invalid YAML'}`,
      };
    }
    const value: unknown = document.toJSON();
    if (value === null || value === undefined) continue;
    if (!isRecord(value))
      return { ok: false, message: `unable to decode config from "${path}": expected a mapping` };
    const kind = value['kind'];
    const apiVersion = String(value['apiVersion'] ?? '');
    if (kind !== 'InitConfiguration' && kind !== 'ClusterConfiguration' && kind !== 'JoinConfiguration')
      continue;
    if (!API_VERSIONS.has(apiVersion))
      return {
        ok: false,
        message: `no kind "${String(kind)}" is registered for version "${apiVersion}" in scheme "k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"`,
      };
    if (kind === 'InitConfiguration') config.init = value;
    if (kind === 'ClusterConfiguration') config.cluster = value;
    if (kind === 'JoinConfiguration') config.join = value;
  }
  return { ok: true, config };
}

/** Read a nested field (`at(config, 'discovery', 'bootstrapToken', 'token')`). */
export function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function stringAt(value: unknown, ...path: string[]): string | undefined {
  const found = at(value, ...path);
  return typeof found === 'string' && found !== ''
    ? found
    : typeof found === 'number'
      ? String(found)
      : undefined;
}
