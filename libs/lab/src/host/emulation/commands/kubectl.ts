import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { parseAllDocuments, stringify } from 'yaml';
import { flag, hasFlag, parseFlags, type ParsedArgs } from '../args';
import type { CommandContext, CommandDefinition } from '../command';
import { accessCluster } from '../kube-access';
import { age, nodeObject, releasePodName, releasePodObject } from '../kube-objects';
import { cniOf, type KubeCluster } from '../lab-world';
import { isRecord } from '../netplan-config';
import { upstreamVersion } from '../package-catalogue';

/**
 * `kubectl` against the lab-wide cluster its kubeconfig points at: `get nodes|pods|namespaces`,
 * `apply -f`, `cordon`, `uncordon`, `drain`, `delete node`, `version`.
 */
export const kubectlCommand: CommandDefinition = {
  run: kubectl,
  available: (os) => os.hasPackage('kubectl'),
};

const GLOBAL_FLAGS = {
  values: [
    'kubeconfig',
    'namespace',
    'output',
    'filename',
    'context',
    'server',
    'timeout',
    'grace-period',
    'selector',
    'field-manager',
    'v',
    'request-timeout',
  ],
  booleans: [
    'all-namespaces',
    'ignore-daemonsets',
    'delete-emptydir-data',
    'delete-local-data',
    'force',
    'client',
    'dry-run',
    'server-side',
    'wait',
    'no-headers',
    'disable-eviction',
    'recursive',
  ],
  aliases: { n: 'namespace', o: 'output', f: 'filename', A: 'all-namespaces', l: 'selector', R: 'recursive' },
};

async function kubectl(context: CommandContext): Promise<number> {
  const parsed = parseFlags(context.argv.slice(1), GLOBAL_FLAGS);
  if (!parsed.ok) {
    context.stderr(`error: ${parsed.error}\nSee 'kubectl --help' for usage.\n`);
    return 1;
  }
  const options = parsed.args;
  const [verb, ...operands] = options.positionals;
  const kubectlVersion = `v${upstreamVersion(context.os.disk.packages.get('kubectl') ?? '1.30.2')}`;
  if (verb === 'version' && hasFlag(options, 'client')) {
    context.stdout(
      `Client Version: ${kubectlVersion}\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\n`,
    );
    return 0;
  }
  if (verb === undefined) {
    context.stdout('kubectl controls the Kubernetes cluster manager.\n');
    return 0;
  }
  const access = accessCluster(context, flag(options, 'kubeconfig'));
  if (!access.ok) {
    if (access.problem === 'config-error') context.stderr(`error: ${access.message}\n`);
    else {
      const server = access.problem === 'refused' ? access.server : 'localhost:8080';
      context.stderr(
        `The connection to the server ${server} was refused - did you specify the right host or port?\n`,
      );
    }
    return 1;
  }
  const { cluster } = access;
  switch (verb) {
    case 'version':
      context.stdout(
        `Client Version: ${kubectlVersion}\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\nServer Version: ${cluster.kubernetesVersion}\n`,
      );
      return 0;
    case 'get':
      return get(context, cluster, options, operands);
    case 'apply':
      return apply(context, cluster, options);
    case 'cordon':
    case 'uncordon':
      return cordon(context, cluster, operands, verb === 'cordon');
    case 'drain':
      return drain(context, cluster, options, operands);
    case 'delete':
      return deleteNode(context, cluster, operands);
    default:
      context.stderr(`error: unknown command "${verb}" for "kubectl"\n\nDid you mean this?\n\tget\n`);
      return 1;
  }
}

function normaliseResource(name: string): 'nodes' | 'pods' | 'namespaces' | undefined {
  if (['node', 'nodes', 'no'].includes(name)) return 'nodes';
  if (['pod', 'pods', 'po'].includes(name)) return 'pods';
  if (['namespace', 'namespaces', 'ns'].includes(name)) return 'namespaces';
  return undefined;
}

function get(context: CommandContext, cluster: KubeCluster, options: ParsedArgs, operands: string[]): number {
  const [resourceText = '', ...names] = operands;
  const [resourcePart = '', inlineName] = resourceText.split('/');
  if (inlineName) names.unshift(inlineName);
  const resource = normaliseResource(resourcePart);
  if (!resource) {
    context.stderr(`error: the server doesn't have a resource type "${resourcePart}"\n`);
    return 1;
  }
  const output = flag(options, 'output');
  if (output !== undefined && !['json', 'yaml', 'wide', 'name'].includes(output)) {
    context.stderr(`error: the lab emulates -o json|yaml|wide|name, not "${output}"\n`);
    return 1;
  }
  const now = Date.now();
  let objects: Array<Record<string, unknown>>;
  if (resource === 'nodes') {
    const nodes =
      names.length > 0 ? names.map((name) => cluster.nodes.get(name)) : [...cluster.nodes.values()];
    const missing = names.filter((name) => !cluster.nodes.has(name));
    if (missing.length > 0) {
      for (const name of missing) context.stderr(`Error from server (NotFound): nodes "${name}" not found\n`);
      return 1;
    }
    objects = nodes.filter((node) => node !== undefined).map((node) => nodeObject(cluster, node, now));
  } else if (resource === 'namespaces') {
    objects = [...cluster.namespaces].sort().map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
      status: { phase: 'Active' },
    }));
  } else {
    const allNamespaces = hasFlag(options, 'all-namespaces');
    const namespace = flag(options, 'namespace') ?? 'default';
    objects = [...cluster.releases.values()]
      .filter((release) => allNamespaces || release.namespace === namespace)
      .filter((release) => names.length === 0 || names.includes(releasePodName(release)))
      .map((release) => releasePodObject(cluster, release, now));
    if (objects.length === 0 && !output) {
      context.stderr(
        allNamespaces ? 'No resources found\n' : `No resources found in ${namespace} namespace.\n`,
      );
      return 0;
    }
  }
  const single = names.length === 1 && objects.length === 1;
  if (output === 'json' || output === 'yaml') {
    const document = single
      ? objects[0]
      : { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } };
    context.stdout(output === 'json' ? `${JSON.stringify(document, null, 4)}\n` : stringify(document));
    return 0;
  }
  if (output === 'name') {
    for (const object of objects)
      context.stdout(
        `${resource === 'nodes' ? 'node' : resource === 'pods' ? 'pod' : 'namespace'}/${metadataName(object)}\n`,
      );
    return 0;
  }
  context.stdout(
    table(
      resource,
      objects,
      output === 'wide',
      hasFlag(options, 'all-namespaces'),
      hasFlag(options, 'no-headers'),
      now,
    ),
  );
  return 0;
}

function metadataName(object: Record<string, unknown>): string {
  const metadata = object['metadata'];
  return isRecord(metadata) ? String(metadata['name']) : '';
}

function table(
  resource: string,
  objects: Array<Record<string, unknown>>,
  wide: boolean,
  allNamespaces: boolean,
  noHeaders: boolean,
  now: number,
): string {
  const rows: string[][] = [];
  if (resource === 'nodes') {
    if (!noHeaders)
      rows.push([
        'NAME',
        'STATUS',
        'ROLES',
        'AGE',
        'VERSION',
        ...(wide ? ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'] : []),
      ]);
    for (const object of objects) {
      const node = object as {
        metadata: { name: string; labels: Record<string, string>; creationTimestamp: string };
        spec: { unschedulable?: boolean };
        status: {
          conditions: Array<{ type: string; status: string }>;
          addresses: Array<{ type: string; address: string }>;
          nodeInfo: Record<string, string>;
        };
      };
      const ready = node.status.conditions.find((condition) => condition.type === 'Ready')?.status;
      const status = `${ready === 'True' ? 'Ready' : 'NotReady'}${node.spec.unschedulable ? ',SchedulingDisabled' : ''}`;
      const roles =
        'node-role.kubernetes.io/control-plane' in node.metadata.labels ? 'control-plane' : '<none>';
      rows.push([
        node.metadata.name,
        status,
        roles,
        age(Date.parse(node.metadata.creationTimestamp), now),
        node.status.nodeInfo['kubeletVersion'] ?? '',
        ...(wide
          ? [
              node.status.addresses.find((address) => address.type === 'InternalIP')?.address ?? '<none>',
              '<none>',
              node.status.nodeInfo['osImage'] ?? '',
              node.status.nodeInfo['kernelVersion'] ?? '',
              node.status.nodeInfo['containerRuntimeVersion'] ?? '',
            ]
          : []),
      ]);
    }
  } else if (resource === 'pods') {
    if (!noHeaders)
      rows.push([...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    for (const object of objects) {
      const pod = object as {
        metadata: { name: string; namespace: string; creationTimestamp: string };
        status: { phase: string; containerStatuses: Array<{ ready: boolean }> };
      };
      const ready = pod.status.containerStatuses.every((status) => status.ready);
      rows.push([
        ...(allNamespaces ? [pod.metadata.namespace] : []),
        pod.metadata.name,
        ready ? '1/1' : '0/1',
        pod.status.phase === 'Running' ? 'Running' : 'ContainerCreating',
        '0',
        age(Date.parse(pod.metadata.creationTimestamp), now),
      ]);
    }
  } else {
    if (!noHeaders) rows.push(['NAME', 'STATUS', 'AGE']);
    for (const object of objects) rows.push([metadataName(object), 'Active', age(Date.now() - 60_000, now)]);
  }
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return (
    rows
      .map((row) =>
        row
          .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd((widths[column] ?? 0) + 3)))
          .join(''),
      )
      .join('\n') + (rows.length > 0 ? '\n' : '')
  );
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'IngressClass',
  'CSIDriver',
  'RuntimeClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
  'VolumeSnapshotClass',
]);
const BUILTIN_KINDS = new Set([
  ...CLUSTER_SCOPED,
  'ConfigMap',
  'Secret',
  'Service',
  'ServiceAccount',
  'Pod',
  'PersistentVolumeClaim',
  'Endpoints',
  'EndpointSlice',
  'LimitRange',
  'ResourceQuota',
  'Deployment',
  'DaemonSet',
  'StatefulSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Role',
  'RoleBinding',
  'Ingress',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'Lease',
]);

/** Manifests well-known CNIs publish, applied by URL; the lab has no internet, so they are emulated by name. */
const KNOWN_CNI_URLS: Array<{
  pattern: RegExp;
  objects: Array<{ apiVersion: string; kind: string; name: string; namespace?: string }>;
}> = [
  {
    pattern: /calico/i,
    objects: [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'calico-node', namespace: 'kube-system' },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'calico-kube-controllers',
        namespace: 'kube-system',
      },
    ],
  },
  {
    pattern: /flannel/i,
    objects: [
      { apiVersion: 'v1', kind: 'Namespace', name: 'kube-flannel' },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-flannel-ds', namespace: 'kube-flannel' },
    ],
  },
  {
    pattern: /cilium/i,
    objects: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'cilium', namespace: 'kube-system' }],
  },
  {
    pattern: /weave/i,
    objects: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'weave-net', namespace: 'kube-system' }],
  },
];

async function readManifest(
  context: CommandContext,
  source: string,
): Promise<{ ok: true; documents: unknown[] } | { ok: false; message: string }> {
  if (source === '-') return parseManifest(await context.stdin.readAll(), source);
  if (/^https?:\/\//.test(source)) {
    const url = new URL(source);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
    if (!loopback) {
      const known = KNOWN_CNI_URLS.find((entry) => entry.pattern.test(url.pathname));
      if (known) {
        return {
          ok: true,
          documents: known.objects.map((object) => ({
            apiVersion: object.apiVersion,
            kind: object.kind,
            metadata: { name: object.name, namespace: object.namespace },
          })),
        };
      }
      return {
        ok: false,
        message: `Unable to connect to the server: dial tcp: lookup ${url.hostname} on 127.0.0.53:53: server misbehaving`,
      };
    }
    try {
      const response = await fetch(source, {
        signal: AbortSignal.any([context.signal, AbortSignal.timeout(10_000)]),
      });
      if (!response.ok)
        return {
          ok: false,
          message: `error: unable to read URL "${source}", server reported ${response.status} ${response.statusText}, status code=${response.status}`,
        };
      return parseManifest(await response.text(), source);
    } catch (error) {
      return {
        ok: false,
        message: `Unable to connect to the server: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
  }
  const read = context.os.readFile(context, source);
  if (!read.ok) return { ok: false, message: `error: the path "${source}" does not exist` };
  return parseManifest(read.content, source);
}

function parseManifest(
  text: string,
  source: string,
): { ok: true; documents: unknown[] } | { ok: false; message: string } {
  const documents: unknown[] = [];
  for (const document of parseAllDocuments(text)) {
    if ('errors' in document && document.errors.length > 0) {
      return {
        ok: false,
        message: `error: error parsing ${source}: error converting YAML to JSON: ${document.errors[0]?.message ?? 'invalid YAML'}`,
      };
    }
    const value: unknown = document.toJSON();
    if (value === null || value === undefined) continue;
    if (isRecord(value) && value['kind'] === 'List' && Array.isArray(value['items']))
      documents.push(...(value['items'] as unknown[]));
    else documents.push(value);
  }
  return { ok: true, documents };
}

async function apply(context: CommandContext, cluster: KubeCluster, options: ParsedArgs): Promise<number> {
  const sources = options.flags.get('filename') ?? [];
  if (sources.length === 0) {
    context.stderr("error: must specify one of -f and -k\n\nSee 'kubectl apply -h' for help and examples\n");
    return 1;
  }
  const defaultNamespace = flag(options, 'namespace') ?? 'default';
  let status = 0;
  for (const source of sources) {
    const manifest = await readManifest(context, source);
    if (!manifest.ok) {
      context.stderr(`${manifest.message}\n`);
      status = 1;
      continue;
    }
    for (const document of manifest.documents) {
      const problem = applyOne(context, cluster, document, source, defaultNamespace);
      if (problem) {
        context.stderr(`${problem}\n`);
        status = 1;
      }
    }
  }
  return status;
}

function applyOne(
  context: CommandContext,
  cluster: KubeCluster,
  document: unknown,
  source: string,
  defaultNamespace: string,
): string | undefined {
  if (!isRecord(document))
    return `error: error validating "${source}": error validating data: invalid object`;
  const apiVersion = typeof document['apiVersion'] === 'string' ? document['apiVersion'] : '';
  const kind = typeof document['kind'] === 'string' ? document['kind'] : '';
  const metadata = isRecord(document['metadata']) ? document['metadata'] : {};
  const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
  const missing = [...(apiVersion ? [] : ['apiVersion not set']), ...(kind ? [] : ['kind not set'])];
  if (missing.length > 0)
    return `error: error validating "${source}": error validating data: [${missing.join(', ')}]; if you choose to ignore these errors, turn validation off with --validate=false`;
  if (!name)
    return `error: error when retrieving current configuration of:\nResource: "${kind}", Name: "", Namespace: "${defaultNamespace}"\nfrom server for: "${source}": resource name may not be empty`;
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
  if (!BUILTIN_KINDS.has(kind) && !cluster.customKinds.has(`${group}/${kind}`)) {
    return `error: resource mapping not found for name: "${name}" namespace: "${String(metadata['namespace'] ?? '')}" from "${source}": no matches for kind "${kind}" in version "${apiVersion}"\nensure CRDs are installed first`;
  }
  const namespaced = !CLUSTER_SCOPED.has(kind);
  const namespace = namespaced
    ? typeof metadata['namespace'] === 'string'
      ? metadata['namespace']
      : defaultNamespace
    : undefined;
  if (namespace !== undefined && !cluster.namespaces.has(namespace)) {
    return `Error from server (NotFound): error when creating "${source}": namespaces "${namespace}" not found`;
  }
  const key = `${group}/${kind}/${namespace ?? ''}/${name}`;
  const hash = createHash('sha256').update(JSON.stringify(document)).digest('hex');
  const previous = cluster.objects.get(key);
  cluster.objects.set(key, { apiVersion, kind, namespace, name, hash });
  if (kind === 'Namespace') cluster.namespaces.add(name);
  if (kind === 'CustomResourceDefinition') {
    const spec = isRecord(document['spec']) ? document['spec'] : {};
    const names = isRecord(spec['names']) ? spec['names'] : {};
    if (typeof spec['group'] === 'string' && typeof names['kind'] === 'string')
      cluster.customKinds.add(`${spec['group']}/${names['kind']}`);
  }
  const cni = cniOf(kind, name);
  if (cni && !cluster.cni) cluster.cni = { name: cni, appliedAt: Date.now() };
  const resource = `${kind.toLowerCase()}${group ? `.${group}` : ''}/${name}`;
  context.stdout(
    `${resource} ${!previous ? 'created' : previous.hash === hash ? 'unchanged' : 'configured'}\n`,
  );
  return undefined;
}

function cordon(
  context: CommandContext,
  cluster: KubeCluster,
  operands: string[],
  unschedulable: boolean,
): number {
  const names = operands.map((operand) => operand.replace(/^nodes?\//, ''));
  if (names.length === 0) {
    context.stderr(
      `error: USAGE: ${unschedulable ? 'cordon' : 'uncordon'} NODE [flags]\nSee 'kubectl ${unschedulable ? 'cordon' : 'uncordon'} -h' for help and examples\n`,
    );
    return 1;
  }
  for (const name of names) {
    const node = cluster.nodes.get(name);
    if (!node) {
      context.stderr(`Error from server (NotFound): nodes "${name}" not found\n`);
      return 1;
    }
    const verb = unschedulable ? 'cordoned' : 'uncordoned';
    context.stdout(
      node.unschedulable === unschedulable ? `node/${name} already ${verb}\n` : `node/${name} ${verb}\n`,
    );
    node.unschedulable = unschedulable;
  }
  return 0;
}

function drain(
  context: CommandContext,
  cluster: KubeCluster,
  options: ParsedArgs,
  operands: string[],
): number {
  const name = operands[0]?.replace(/^nodes?\//, '');
  const node = name === undefined ? undefined : cluster.nodes.get(name);
  if (name === undefined) {
    context.stderr("error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples\n");
    return 1;
  }
  if (!node) {
    context.stderr(`Error from server (NotFound): nodes "${name}" not found\n`);
    return 1;
  }
  context.stdout(node.unschedulable ? `node/${name} already cordoned\n` : `node/${name} cordoned\n`);
  node.unschedulable = true;
  // Every kubeadm node runs kube-proxy, and the CNI's agent, as DaemonSet pods.
  const suffix = createHash('sha256').update(node.uid).digest('hex');
  const daemonPods = [`kube-system/kube-proxy-${suffix.slice(0, 5)}`];
  if (cluster.cni)
    daemonPods.push(
      `kube-system/${cluster.cni.name === 'calico' ? 'calico-node' : cluster.cni.name}-${suffix.slice(5, 10)}`,
    );
  if (!hasFlag(options, 'ignore-daemonsets')) {
    const problem = `cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${daemonPods.join(', ')}`;
    context.stderr(
      `error: unable to drain node "${name}" due to error: ${problem}, continuing command...\nThere are pending nodes to be drained:\n ${name}\n${problem}\n`,
    );
    return 1;
  }
  context.stderr(`Warning: ignoring DaemonSet-managed Pods: ${daemonPods.join(', ')}\n`);
  context.stdout(`node/${name} drained\n`);
  return 0;
}

function deleteNode(context: CommandContext, cluster: KubeCluster, operands: string[]): number {
  const [resource = '', ...names] = operands;
  const [kind = '', inline] = resource.split('/');
  if (inline) names.unshift(inline);
  if (normaliseResource(kind) !== 'nodes') {
    context.stderr(`error: the lab emulates "kubectl delete node" only, not "${resource}"\n`);
    return 1;
  }
  for (const name of names) {
    if (!cluster.nodes.delete(name)) {
      context.stderr(`Error from server (NotFound): nodes "${name}" not found\n`);
      return 1;
    }
    context.stdout(`node "${name}" deleted\n`);
  }
  return 0;
}
