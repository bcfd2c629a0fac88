import { randomBytes } from 'node:crypto';
import { flag, hasFlag, parseFlags, type ParsedArgs } from '../args';
import type { CommandContext, CommandDefinition } from '../command';
import type { HostOs } from '../host-os';
import { accessCluster } from '../kube-access';
import { normaliseEndpoint, type KubeCluster } from '../lab-world';
import { upstreamVersion } from '../package-catalogue';
import { at, readKubeadmConfig, stringAt, type KubeadmConfigFile } from './kubeadm-config';
import { kubeFiles, kubeletVersionOf, nodeInfoOf, removeKubeFiles, writeKubeFiles } from './kube-node';

/**
 * `kubeadm` (emulated: the real one needs a container runtime and a kubelet). `init`, `join`,
 * `token create`, `init phase upload-certs`, `upgrade plan|apply|node`, `reset` and `version`
 * change the lab-wide {@link LabWorld} and the host's disk with the real tool's ordering rules,
 * preflight errors and output.
 */
export const kubeadmCommand: CommandDefinition = {
  run: kubeadm,
  available: (os) => os.hasPackage('kubeadm'),
};

const STACK_HINT = 'To see the stack trace of this error execute with --v=5 or higher\n';
const PREFLIGHT_HINT =
  '[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`\n';
const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

async function kubeadm(context: CommandContext): Promise<number> {
  const [sub, ...rest] = context.argv.slice(1);
  switch (sub) {
    case 'version':
      return version(context, rest);
    case 'init':
      if (rest[0] === 'phase') return initPhase(context, rest.slice(1));
      return init(context, rest);
    case 'join':
      return join(context, rest);
    case 'token':
      return token(context, rest);
    case 'upgrade':
      return upgrade(context, rest);
    case 'reset':
      return reset(context, rest);
    case undefined:
      context.stdout(
        'Usage:\n  kubeadm [command]\n\nAvailable Commands:\n  init, join, reset, token, upgrade, version\n',
      );
      return 0;
    default:
      context.stderr(
        `unknown command "${sub}" for "kubeadm"\nTo see the stack trace of this error execute with --v=5 or higher\n`,
      );
      return 1;
  }
}

function kubeadmVersion(os: HostOs): string {
  return `v${upstreamVersion(os.disk.packages.get('kubeadm') ?? '1.30.2')}`;
}

function version(context: CommandContext, args: string[]): number {
  const parsed = parseFlags(args, { values: ['output'], aliases: { o: 'output' } });
  if (!parsed.ok) return fail(context, parsed.error);
  const gitVersion = kubeadmVersion(context.os);
  const [major = '1', minor = '30'] = gitVersion.slice(1).split('.');
  const output = flag(parsed.args, 'output');
  if (output === 'short') context.stdout(`${gitVersion}\n`);
  else if (output === 'json')
    context.stdout(
      `${JSON.stringify({ clientVersion: { major, minor, gitVersion, gitTreeState: 'clean', goVersion: 'go1.22.4', compiler: 'gc', platform: 'linux/amd64' } }, null, 2)}\n`,
    );
  else {
    context.stdout(
      `kubeadm version: &version.Info{Major:"${major}", Minor:"${minor}", GitVersion:"${gitVersion}", GitCommit:"39683505b630ff2121012f3c5b16215a1449d5ed", GitTreeState:"clean", BuildDate:"2024-06-11T20:27:59Z", GoVersion:"go1.22.4", Compiler:"gc", Platform:"linux/amd64"}\n`,
    );
  }
  return 0;
}

function fail(context: CommandContext, message: string): number {
  context.stderr(`${message}\n${STACK_HINT}`);
  return 1;
}

/** Print preflight errors as kubeadm does, honouring `--ignore-preflight-errors`. Returns true when they are fatal. */
function preflight(
  context: CommandContext,
  args: ParsedArgs,
  errors: Array<[string, string]>,
  warnings: Array<[string, string]>,
): boolean {
  const ignored = new Set(
    (args.flags.get('ignore-preflight-errors') ?? [])
      .flatMap((value) => value.split(','))
      .map((name) => name.toLowerCase()),
  );
  const ignoreAll = ignored.has('all');
  const fatal = errors.filter(([name]) => !ignoreAll && !ignored.has(name.toLowerCase()));
  for (const [name, message] of [...warnings, ...errors.filter((error) => !fatal.includes(error))]) {
    context.stderr(`\t[WARNING ${name}]: ${message}\n`);
  }
  if (fatal.length === 0) return false;
  context.stderr(
    `error execution phase preflight: [preflight] Some fatal errors occurred:\n${fatal.map(([name, message]) => `\t[ERROR ${name}]: ${message}\n`).join('')}${PREFLIGHT_HINT}${STACK_HINT}`,
  );
  return true;
}

/** Checks shared by init and join: root, a running container runtime, an installed kubelet. */
function commonPreflight(context: CommandContext): {
  errors: Array<[string, string]>;
  warnings: Array<[string, string]>;
} {
  const { os } = context;
  const errors: Array<[string, string]> = [];
  const warnings: Array<[string, string]> = [];
  if (!context.root) errors.push(['IsPrivilegedUser', 'user is not running as root']);
  if (!os.activeUnits.has('containerd') && !os.activeUnits.has('crio')) {
    errors.push([
      'CRI',
      'container runtime is not running: output: time="2024-08-05T10:00:00Z" level=fatal msg="validate service connection: validate CRI v1 runtime API for endpoint \\"unix:///var/run/containerd/containerd.sock\\": rpc error: code = Unavailable desc = connection error: desc = \\"transport: Error while dialing: dial unix /var/run/containerd/containerd.sock: connect: no such file or directory\\""\n, error: exit status 1',
    ]);
  }
  if (!os.hasPackage('kubelet')) {
    errors.push([
      'KubeletVersion',
      "couldn't get kubelet version: cannot execute 'kubelet --version': executable file not found in $PATH",
    ]);
  } else if (!os.disk.enabledUnits.has('kubelet')) {
    warnings.push([
      'Service-Kubelet',
      "kubelet service is not enabled, please run 'systemctl enable kubelet.service'",
    ]);
  }
  return { errors, warnings };
}

const INIT_FLAGS = {
  values: [
    'config',
    'control-plane-endpoint',
    'apiserver-advertise-address',
    'apiserver-bind-port',
    'kubernetes-version',
    'pod-network-cidr',
    'service-cidr',
    'token',
    'token-ttl',
    'node-name',
    'cri-socket',
    'ignore-preflight-errors',
    'skip-phases',
    'v',
    'certificate-key',
    'service-dns-domain',
    'image-repository',
    'feature-gates',
    'patches',
  ],
  booleans: ['upload-certs', 'skip-token-print', 'skip-certificate-key-print', 'dry-run'],
};
/** Flags kubeadm refuses to combine with `--config`. */
const CONFIG_EXCLUSIVE = [
  'control-plane-endpoint',
  'apiserver-advertise-address',
  'apiserver-bind-port',
  'kubernetes-version',
  'pod-network-cidr',
  'service-cidr',
  'token',
  'token-ttl',
  'node-name',
  'certificate-key',
  'discovery-token-ca-cert-hash',
  'discovery-token-unsafe-skip-ca-verification',
  'control-plane',
  'discovery-token',
  'tls-bootstrap-token',
];

async function loadConfig(
  context: CommandContext,
  args: ParsedArgs,
): Promise<{ ok: true; config: KubeadmConfigFile } | { ok: false }> {
  const path = flag(args, 'config');
  if (path === undefined) return { ok: true, config: {} };
  const mixed = CONFIG_EXCLUSIVE.filter((name) => args.flags.has(name));
  if (mixed.length > 0) {
    fail(context, `can not mix '--config' with arguments [${mixed.join(' ')}]`);
    return { ok: false };
  }
  const loaded = await readKubeadmConfig(context, path);
  if (!loaded.ok) {
    fail(context, loaded.message);
    return { ok: false };
  }
  return loaded;
}

async function init(context: CommandContext, args: string[]): Promise<number> {
  const parsed = parseFlags(args, INIT_FLAGS);
  if (!parsed.ok) return fail(context, parsed.error);
  const options = parsed.args;
  const loaded = await loadConfig(context, options);
  if (!loaded.ok) return 1;
  const { init: initConfig, cluster: clusterConfig } = loaded.config;
  const { os } = context;

  const requestedVersion =
    flag(options, 'kubernetes-version') ?? stringAt(clusterConfig, 'kubernetesVersion') ?? kubeadmVersion(os);
  if (!/^v?\d+\.\d+\.\d+$/.test(requestedVersion)) {
    return fail(
      context,
      `could not fetch a Kubernetes version from the internet: unable to get URL "https://dl.k8s.io/release/${requestedVersion}.txt": Get "https://dl.k8s.io/release/${requestedVersion}.txt": dial tcp: lookup dl.k8s.io: no such host`,
    );
  }
  const kubernetesVersion = requestedVersion.startsWith('v') ? requestedVersion : `v${requestedVersion}`;
  context.stdout(
    `[init] Using Kubernetes version: ${kubernetesVersion}\n[preflight] Running pre-flight checks\n`,
  );

  const { errors, warnings } = commonPreflight(context);
  const membership = os.disk.kube;
  if (membership?.controlPlane || os.disk.files.has('/etc/kubernetes/manifests/kube-apiserver.yaml')) {
    errors.push(
      ['Port-6443', 'Port 6443 is in use'],
      ['Port-10259', 'Port 10259 is in use'],
      ['Port-10257', 'Port 10257 is in use'],
      [
        'FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml',
        '/etc/kubernetes/manifests/kube-apiserver.yaml already exists',
      ],
      [
        'FileAvailable--etc-kubernetes-manifests-kube-controller-manager.yaml',
        '/etc/kubernetes/manifests/kube-controller-manager.yaml already exists',
      ],
      [
        'FileAvailable--etc-kubernetes-manifests-kube-scheduler.yaml',
        '/etc/kubernetes/manifests/kube-scheduler.yaml already exists',
      ],
      [
        'FileAvailable--etc-kubernetes-manifests-etcd.yaml',
        '/etc/kubernetes/manifests/etcd.yaml already exists',
      ],
      ['Port-10250', 'Port 10250 is in use'],
      ['Port-2379', 'Port 2379 is in use'],
      ['Port-2380', 'Port 2380 is in use'],
      ['DirAvailable--var-lib-etcd', '/var/lib/etcd is not empty'],
    );
  } else if (membership) {
    errors.push(['Port-10250', 'Port 10250 is in use']);
  }
  const advertise =
    flag(options, 'apiserver-advertise-address') ??
    stringAt(initConfig, 'localAPIEndpoint', 'advertiseAddress') ??
    os.primaryAddress;
  const bindPort =
    flag(options, 'apiserver-bind-port') ?? stringAt(initConfig, 'localAPIEndpoint', 'bindPort') ?? '6443';
  const controlPlaneEndpoint =
    flag(options, 'control-plane-endpoint') ?? stringAt(clusterConfig, 'controlPlaneEndpoint');
  const endpoint = normaliseEndpoint(controlPlaneEndpoint ?? `${advertise}:${bindPort}`);
  const existing = os.world.clusterForEndpoint(endpoint);
  if (existing && !membership) {
    errors.push([
      'ControlPlaneEndpoint',
      `lab: ${endpoint} already serves the cluster "kubeadm init" created on ${existing.initialisedOn}; a second init for one cluster would split it (join this host instead)`,
    ]);
  }
  if (preflight(context, options, errors, warnings)) return 1;

  const nodeName = (
    flag(options, 'node-name') ??
    stringAt(initConfig, 'nodeRegistration', 'name') ??
    os.hostname
  ).toLowerCase();
  const configToken = stringAt(
    (Array.isArray(initConfig?.['bootstrapTokens']) ? initConfig['bootstrapTokens'] : [])[0],
    'token',
  );
  const requestedToken = flag(options, 'token') ?? configToken;
  if (requestedToken !== undefined && !TOKEN_PATTERN.test(requestedToken)) {
    return fail(
      context,
      `[bootstrapTokens[0].token: Invalid value: "${requestedToken}": the bootstrap token "${requestedToken}" was not of the form "[a-z0-9]{6}.[a-z0-9]{16}"]`,
    );
  }
  const cluster = os.world.createCluster({
    endpoint,
    stableEndpoint: controlPlaneEndpoint !== undefined,
    kubernetesVersion,
    initialisedOn: os.machine.name,
    podSubnet: flag(options, 'pod-network-cidr') ?? stringAt(clusterConfig, 'networking', 'podSubnet'),
    serviceSubnet: flag(options, 'service-cidr') ?? stringAt(clusterConfig, 'networking', 'serviceSubnet'),
  });
  const joinToken = cluster.createToken(requestedToken);
  const uploadCerts = hasFlag(options, 'upload-certs');
  if (uploadCerts)
    cluster.certificateKey =
      flag(options, 'certificate-key') ??
      stringAt(initConfig, 'certificateKey') ??
      randomBytes(32).toString('hex');
  registerNode(context, cluster, nodeName, advertise, true);
  os.machine.count('kubeadmInits');

  context.stdout(
    initOutput({ cluster, nodeName, advertise, token: joinToken, uploadCerts, hostname: os.hostname }),
  );
  return 0;
}

/** Record the node in the cluster and on the host's disk, and start its kubelet. */
function registerNode(
  context: CommandContext,
  cluster: KubeCluster,
  nodeName: string,
  internalIp: string,
  controlPlane: boolean,
): void {
  const { os } = context;
  cluster.addNode({
    name: nodeName,
    host: os.kubeletHost,
    controlPlane,
    internalIp,
    kubeletVersion: kubeletVersionOf(os),
    joinedAt: Date.now(),
    nodeReadyMs: os.machine.timings.nodeReadyMs,
    info: nodeInfoOf(os),
  });
  os.disk.kube = { clusterId: cluster.id, nodeName, controlPlane };
  writeKubeFiles(os, cluster, nodeName, controlPlane);
  os.startUnit('kubelet');
}

function initOutput(input: {
  cluster: KubeCluster;
  nodeName: string;
  advertise: string;
  token: string;
  uploadCerts: boolean;
  hostname: string;
}): string {
  const { cluster, nodeName, advertise, token, uploadCerts } = input;
  const files = kubeFiles(true);
  const lines = [
    '[preflight] Pulling images required for setting up a Kubernetes cluster',
    '[preflight] This might take a minute or two, depending on the speed of your internet connection',
    "[preflight] You can also perform this action beforehand using 'kubeadm config images pull'",
    '[certs] Using certificateDir folder "/etc/kubernetes/pki"',
    '[certs] Generating "ca" certificate and key',
    '[certs] Generating "apiserver" certificate and key',
    `[certs] apiserver serving cert is signed for DNS names [kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local ${nodeName}] and IPs [10.96.0.1 ${advertise}]`,
    '[certs] Generating "apiserver-kubelet-client" certificate and key',
    '[certs] Generating "front-proxy-ca" certificate and key',
    '[certs] Generating "front-proxy-client" certificate and key',
    '[certs] Generating "etcd/ca" certificate and key',
    '[certs] Generating "etcd/server" certificate and key',
    '[certs] Generating "etcd/peer" certificate and key',
    '[certs] Generating "etcd/healthcheck-client" certificate and key',
    '[certs] Generating "apiserver-etcd-client" certificate and key',
    '[certs] Generating "sa" key and public key',
    '[kubeconfig] Using kubeconfig folder "/etc/kubernetes"',
    ...files
      .filter((path) => path.endsWith('.conf'))
      .map((path) => `[kubeconfig] Writing "${path.split('/').pop() ?? ''}" kubeconfig file`),
    '[etcd] Creating static Pod manifest for local etcd in "/etc/kubernetes/manifests"',
    '[control-plane] Using manifest folder "/etc/kubernetes/manifests"',
    '[control-plane] Creating static Pod manifest for "kube-apiserver"',
    '[control-plane] Creating static Pod manifest for "kube-controller-manager"',
    '[control-plane] Creating static Pod manifest for "kube-scheduler"',
    '[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"',
    '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"',
    '[kubelet-start] Starting the kubelet',
    '[wait-control-plane] Waiting for the kubelet to boot up the control plane as static Pods from directory "/etc/kubernetes/manifests"',
    '[kubelet-check] Waiting for a healthy kubelet. This can take up to 4m0s',
    '[kubelet-check] The kubelet is healthy after 501.234567ms',
    '[api-check] Waiting for a healthy API server. This can take up to 4m0s',
    '[api-check] The API server is healthy after 4.002345678s',
    '[upload-config] Storing the configuration used in ConfigMap "kubeadm-config" in the "kube-system" Namespace',
    '[kubelet] Creating a ConfigMap "kubelet-config" in namespace kube-system with the configuration for the kubelets in the cluster',
    ...(uploadCerts
      ? [
          '[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace',
          '[upload-certs] Using certificate key:',
          cluster.certificateKey ?? '',
        ]
      : ['[upload-certs] Skipping phase. Please see --upload-certs']),
    `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]`,
    `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]`,
    `[bootstrap-token] Using token: ${token}`,
    '[bootstrap-token] Configuring bootstrap tokens, cluster-info ConfigMap, RBAC Roles',
    '[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes',
    '[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to post CSRs in order for nodes to get long term certificate credentials',
    '[bootstrap-token] Configured RBAC rules to allow the csrapprover controller automatically approve CSRs from a Node Bootstrap Token',
    '[bootstrap-token] Configured RBAC rules to allow certificate rotation for all node client certificates in the cluster',
    '[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace',
    '[kubelet-finalize] Updating "/etc/kubernetes/kubelet.conf" to point to a rotatable kubelet client certificate and key',
    '[addons] Applied essential addon: CoreDNS',
    '[addons] Applied essential addon: kube-proxy',
    '',
    'Your Kubernetes control-plane has initialized successfully!',
    '',
    'To start using your cluster, you need to run the following as a regular user:',
    '',
    '  mkdir -p $HOME/.kube',
    '  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config',
    '  sudo chown $(id -u):$(id -g) $HOME/.kube/config',
    '',
    'Alternatively, if you are the root user, you can run:',
    '',
    '  export KUBECONFIG=/etc/kubernetes/admin.conf',
    '',
    'You should now deploy a pod network to the cluster.',
    'Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:',
    '  https://kubernetes.io/docs/concepts/cluster-administration/addons/',
    '',
  ];
  const joinLine = `kubeadm join ${cluster.endpoint} --token ${token} \\\n\t--discovery-token-ca-cert-hash ${cluster.caCertHash}`;
  if (cluster.stableEndpoint) {
    if (uploadCerts) {
      lines.push(
        'You can now join any number of control-plane nodes running the following command on each as root:',
        '',
        `  ${joinLine} \\\n\t--control-plane --certificate-key ${cluster.certificateKey ?? ''}`,
        '',
        'Please note that the certificate-key gives access to cluster sensitive data, keep it secret!',
        'As a safeguard, uploaded-certs will be deleted in two hours; If necessary, you can use',
        '"kubeadm init phase upload-certs --upload-certs" to reload certs afterward.',
        '',
      );
    } else {
      lines.push(
        'You can now join any number of control-plane nodes by copying certificate authorities',
        'and service account keys on each node and then running the following as root:',
        '',
        `  ${joinLine} \\\n\t--control-plane `,
        '',
      );
    }
  }
  lines.push(
    'Then you can join any number of worker nodes by running the following on each as root:',
    '',
    `${joinLine} `,
    '',
  );
  return `${lines.join('\n')}`;
}

const JOIN_FLAGS = {
  values: [
    'config',
    'token',
    'discovery-token',
    'tls-bootstrap-token',
    'discovery-token-ca-cert-hash',
    'certificate-key',
    'apiserver-advertise-address',
    'apiserver-bind-port',
    'node-name',
    'cri-socket',
    'ignore-preflight-errors',
    'v',
    'skip-phases',
    'patches',
  ],
  booleans: ['control-plane', 'discovery-token-unsafe-skip-ca-verification', 'dry-run'],
};

async function join(context: CommandContext, args: string[]): Promise<number> {
  const parsed = parseFlags(args, JOIN_FLAGS);
  if (!parsed.ok) return fail(context, parsed.error);
  const options = parsed.args;
  const loaded = await loadConfig(context, options);
  if (!loaded.ok) return 1;
  const joinConfig = loaded.config.join;
  const { os } = context;

  const endpointText =
    options.positionals[0] ?? stringAt(joinConfig, 'discovery', 'bootstrapToken', 'apiServerEndpoint');
  const tokenValue =
    flag(options, 'discovery-token') ??
    flag(options, 'token') ??
    stringAt(joinConfig, 'discovery', 'bootstrapToken', 'token');
  const bootstrap = at(joinConfig, 'discovery', 'bootstrapToken');
  const configHashes = at(bootstrap, 'caCertHashes');
  const caHashes = [
    ...(options.flags.get('discovery-token-ca-cert-hash') ?? []),
    ...(Array.isArray(configHashes) ? configHashes.map(String) : []),
  ];
  const unsafeSkip =
    hasFlag(options, 'discovery-token-unsafe-skip-ca-verification') ||
    at(bootstrap, 'unsafeSkipCAVerification') === true;
  const controlPlaneSection = at(joinConfig, 'controlPlane');
  const controlPlane =
    hasFlag(options, 'control-plane') || (controlPlaneSection !== undefined && controlPlaneSection !== null);
  const certificateKey =
    flag(options, 'certificate-key') ?? stringAt(joinConfig, 'controlPlane', 'certificateKey');

  if (!tokenValue) return fail(context, 'discovery: Invalid value: "": bootstrapToken or file must be set');
  if (!endpointText)
    return fail(
      context,
      'discovery.bootstrapToken.apiServerEndpoint: Invalid value: "": the apiServerEndpoint must be set',
    );
  if (!TOKEN_PATTERN.test(tokenValue)) {
    return fail(
      context,
      `[discovery.bootstrapToken.token: Invalid value: "${tokenValue}": the bootstrap token "${tokenValue}" was not of the form "[a-z0-9]{6}.[a-z0-9]{16}"]`,
    );
  }
  if (caHashes.length === 0 && !unsafeSkip) {
    return fail(
      context,
      'discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass --discovery-token-unsafe-skip-ca-verification flag to continue',
    );
  }

  context.stdout('[preflight] Running pre-flight checks\n');
  const { errors, warnings } = commonPreflight(context);
  if (os.disk.kube) {
    errors.push(
      ['FileAvailable--etc-kubernetes-kubelet.conf', '/etc/kubernetes/kubelet.conf already exists'],
      ['Port-10250', 'Port 10250 is in use'],
      ['FileAvailable--etc-kubernetes-pki-ca.crt', '/etc/kubernetes/pki/ca.crt already exists'],
    );
  }
  if (preflight(context, options, errors, warnings)) return 1;

  const endpoint = normaliseEndpoint(endpointText);
  const cluster = os.world.clusterForEndpoint(endpoint);
  const identity = "error execution phase preflight: couldn't validate the identity of the API Server";
  if (!cluster || !cluster.apiReachable()) {
    return fail(
      context,
      `${identity}: Get "https://${endpoint}/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp ${endpoint}: connect: connection refused`,
    );
  }
  if (!cluster.tokens.has(tokenValue)) {
    return fail(
      context,
      `${identity}: could not find a JWS signature in the cluster-info ConfigMap for token ID "${tokenValue.split('.')[0] ?? ''}"`,
    );
  }
  if (!unsafeSkip && !caHashes.includes(cluster.caCertHash)) {
    return fail(
      context,
      `${identity}: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${cluster.caCertHash}" are pinned`,
    );
  }
  context.stdout(
    "[preflight] Reading configuration from the cluster...\n[preflight] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'\n",
  );
  if (controlPlane) {
    if (!cluster.stableEndpoint) {
      context.stderr(
        "error execution phase preflight: \nOne or more conditions for hosting a new control plane instance is not satisfied.\n\nunable to add a new control plane instance to a cluster that doesn't have a stable controlPlaneEndpoint address\n\nPlease ensure that:\n* The cluster has a stable controlPlaneEndpoint address.\n* The certificates that must be shared among control plane instances are provided.\n\n\n" +
          STACK_HINT,
      );
      return 1;
    }
    if (!cluster.certificateKey) {
      return fail(
        context,
        'error execution phase control-plane-prepare/download-certs: error downloading certs: error downloading the secret: Secret "kubeadm-certs" was not found in the "kube-system" Namespace. This Secret might have expired. Please, run `kubeadm init phase upload-certs --upload-certs` on a control plane to generate a new one',
      );
    }
    if (certificateKey !== cluster.certificateKey) {
      return fail(
        context,
        'error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed',
      );
    }
  }
  const nodeName = (
    flag(options, 'node-name') ??
    stringAt(joinConfig, 'nodeRegistration', 'name') ??
    os.hostname
  ).toLowerCase();
  const clash = cluster.nodes.get(nodeName);
  if (clash && cluster.readiness(clash).status === 'True') {
    return fail(
      context,
      `error execution phase kubelet-start: a Node with name "${nodeName}" and status "Ready" already exists in the cluster. You must delete the existing Node or change the name of this new joining Node`,
    );
  }
  const advertise =
    flag(options, 'apiserver-advertise-address') ??
    stringAt(joinConfig, 'controlPlane', 'localAPIEndpoint', 'advertiseAddress') ??
    os.primaryAddress;
  registerNode(context, cluster, nodeName, advertise, controlPlane);
  os.machine.count('kubeadmJoins');

  const out: string[] = [];
  if (controlPlane) {
    out.push(
      '[preflight] Running pre-flight checks before initializing the new control plane instance',
      '[download-certs] Downloading the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace',
      '[certs] Using certificateDir folder "/etc/kubernetes/pki"',
      '[certs] Generating "apiserver" certificate and key',
      '[kubeconfig] Writing "admin.conf" kubeconfig file',
      '[control-plane] Creating static Pod manifest for "kube-apiserver"',
      '[check-etcd] Checking that the etcd cluster is healthy',
    );
  }
  out.push(
    '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"',
    '[kubelet-start] Writing kubelet environment file with flags to file "/var/lib/kubelet/kubeadm-flags.env"',
    '[kubelet-start] Starting the kubelet',
    '[kubelet-check] Waiting for a healthy kubelet at http://127.0.0.1:10248/healthz. This can take up to 4m0s',
    '[kubelet-check] The kubelet is healthy after 1.001853721s',
    '[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap',
    '',
  );
  if (controlPlane) {
    out.push(
      '[etcd] Announced new etcd member joining to the existing etcd cluster',
      `[mark-control-plane] Marking the node ${nodeName} as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]`,
      '',
      'This node has joined the cluster and a new control plane instance was created:',
      '',
      '* Certificate signing request was sent to apiserver and approval was received.',
      '* The Kubelet was informed of the new secure connection details.',
      '* Control plane label and taint were applied to the new node.',
      '* The Kubernetes control plane instances scaled up.',
      '* A new etcd member was added to the local/stacked etcd cluster.',
      '',
      'To start administering your cluster from this node, you need to run the following as a regular user:',
      '',
      '\tmkdir -p $HOME/.kube',
      '\tsudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config',
      '\tsudo chown $(id -u):$(id -g) $HOME/.kube/config',
      '',
      "Run 'kubectl get nodes' to see this node join the cluster.",
      '',
    );
  } else {
    out.push(
      'This node has joined the cluster:',
      '* Certificate signing request was sent to apiserver and a response was received.',
      '* The Kubelet was informed of the new secure connection details.',
      '',
      "Run 'kubectl get nodes' on the control-plane to see this node join the cluster.",
      '',
    );
  }
  context.stdout(`${out.join('\n')}\n`);
  return 0;
}

/** Commands that talk to the API as admin: they need a readable admin.conf and a reachable cluster. */
function adminCluster(context: CommandContext, options: ParsedArgs): KubeCluster | undefined {
  const path = flag(options, 'kubeconfig') ?? '/etc/kubernetes/admin.conf';
  const access = accessCluster(context, path);
  if (access.ok) return access.cluster;
  if (access.problem === 'refused') {
    fail(
      context,
      `failed to create API client: Get "https://${access.server}/api?timeout=32s": dial tcp ${access.server}: connect: connection refused`,
    );
  } else if (access.problem === 'config-error') {
    fail(
      context,
      `failed to load admin kubeconfig: open ${path}: ${access.message.includes('permission') ? 'permission denied' : 'no such file or directory'}`,
    );
  } else {
    fail(
      context,
      `failed to load admin kubeconfig: invalid configuration: no configuration has been provided`,
    );
  }
  return undefined;
}

function token(context: CommandContext, args: string[]): number {
  const [verb, ...rest] = args;
  const parsed = parseFlags(rest, {
    values: ['ttl', 'kubeconfig', 'description', 'usages', 'groups', 'config', 'certificate-key', 'v'],
    booleans: ['print-join-command'],
  });
  if (!parsed.ok) return fail(context, parsed.error);
  const cluster = adminCluster(context, parsed.args);
  if (!cluster) return 1;
  if (verb === 'list') {
    context.stdout(
      'TOKEN                     TTL         EXPIRES                USAGES                   DESCRIPTION                                                EXTRA GROUPS\n',
    );
    for (const value of cluster.tokens)
      context.stdout(
        `${value}   23h         ${new Date(Date.now() + 86_400_000).toISOString().slice(0, 19)}Z   authentication,signing   <none>                                                     system:bootstrappers:kubeadm:default-node-token\n`,
      );
    return 0;
  }
  if (verb !== 'create') return fail(context, `unknown command "${verb ?? ''}" for "kubeadm token"`);
  const requested = parsed.args.positionals[0];
  if (requested !== undefined && !TOKEN_PATTERN.test(requested)) {
    return fail(context, `token ["${requested}"] was not of form ["^([a-z0-9]{6})\\\\.([a-z0-9]{16})$"]`);
  }
  const created = cluster.createToken(requested);
  if (hasFlag(parsed.args, 'print-join-command')) {
    context.stdout(
      `kubeadm join ${cluster.endpoint} --token ${created} --discovery-token-ca-cert-hash ${cluster.caCertHash} \n`,
    );
  } else {
    context.stdout(`${created}\n`);
  }
  return 0;
}

function initPhase(context: CommandContext, args: string[]): number {
  const [phase, ...rest] = args;
  if (phase !== 'upload-certs')
    return fail(context, `the lab emulates only "kubeadm init phase upload-certs", not "${phase ?? ''}"`);
  const parsed = parseFlags(rest, {
    values: ['certificate-key', 'config', 'kubeconfig', 'v'],
    booleans: ['upload-certs', 'skip-certificate-key-print'],
  });
  if (!parsed.ok) return fail(context, parsed.error);
  if (!hasFlag(parsed.args, 'upload-certs')) {
    context.stdout('[upload-certs] Skipping phase. Please see --upload-certs\n');
    return 0;
  }
  if (!context.os.disk.kube?.controlPlane) {
    return fail(
      context,
      'error execution phase upload-certs: error uploading certs: error reading /etc/kubernetes/pki/ca.crt: open /etc/kubernetes/pki/ca.crt: no such file or directory',
    );
  }
  const cluster = adminCluster(context, parsed.args);
  if (!cluster) return 1;
  cluster.certificateKey = flag(parsed.args, 'certificate-key') ?? randomBytes(32).toString('hex');
  context.stdout(
    `[upload-certs] Storing the certificates in Secret "kubeadm-certs" in the "kube-system" Namespace\n[upload-certs] Using certificate key:\n${cluster.certificateKey}\n`,
  );
  return 0;
}

function parseSemver(text: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

async function upgrade(context: CommandContext, args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  const parsed = parseFlags(rest, {
    values: [
      'config',
      'kubeconfig',
      'ignore-preflight-errors',
      'v',
      'etcd-upgrade',
      'certificate-renewal',
      'patches',
    ],
    booleans: [
      'yes',
      'force',
      'dry-run',
      'allow-experimental-upgrades',
      'allow-release-candidate-upgrades',
      'print-config',
    ],
    aliases: { y: 'yes', f: 'force' },
  });
  if (!parsed.ok) return fail(context, parsed.error);
  const options = parsed.args;
  const { os } = context;
  if (!context.root) {
    context.stderr(
      `[preflight] Running pre-flight checks.\nerror execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR IsPrivilegedUser]: user is not running as root\n${PREFLIGHT_HINT}${STACK_HINT}`,
    );
    return 1;
  }
  const kubeadmText = kubeadmVersion(os);
  if (verb === 'node') {
    const membership = os.disk.kube;
    if (!membership)
      return fail(
        context,
        'error execution phase preflight: unable to fetch the kubeadm-config ConfigMap: failed to load admin kubeconfig: open /etc/kubernetes/kubelet.conf: no such file or directory',
      );
    const cluster = os.world.clusters.get(membership.clusterId);
    if (!cluster || !cluster.apiReachable())
      return fail(
        context,
        `unable to fetch the kubeadm-config ConfigMap: Get "https://${cluster?.endpoint ?? 'localhost:6443'}/api/v1/namespaces/kube-system/configmaps/kubeadm-config?timeout=10s": dial tcp: connect: connection refused`,
      );
    const node = cluster.nodes.get(membership.nodeName);
    if (node) node.kubeletVersion = cluster.kubernetesVersion;
    os.machine.count('kubeadmUpgrades');
    context.stdout(
      [
        '[upgrade] Reading configuration from the cluster...',
        "[upgrade] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'",
        '[preflight] Running pre-flight checks',
        membership.controlPlane
          ? `[upgrade] Upgrading your Static Pod-hosted control plane instance to version "${cluster.kubernetesVersion}"...`
          : '[preflight] Skipping prepull. Not a control plane node.',
        membership.controlPlane
          ? '[upgrade/staticpods] Component "kube-apiserver" upgraded successfully!'
          : '[upgrade] Skipping phase. Not a control plane node.',
        '[upgrade] Backing up kubelet config file to /etc/kubernetes/tmp/kubeadm-kubelet-config.yaml',
        '[kubelet-start] Writing kubelet configuration to file "/var/lib/kubelet/config.yaml"',
        '[upgrade] The configuration for this node was successfully updated!',
        '[upgrade] Now you should go ahead and upgrade the kubelet package using your package manager.',
        '',
      ].join('\n'),
    );
    return 0;
  }
  if (verb !== 'plan' && verb !== 'apply')
    return fail(context, `unknown command "${verb ?? ''}" for "kubeadm upgrade"`);
  const cluster = adminCluster(context, options);
  if (!cluster) return 1;
  context.stdout(
    "[preflight] Running pre-flight checks.\n[upgrade/config] Reading configuration from the cluster...\n[upgrade/config] FYI: You can look at this config file with 'kubectl -n kube-system get cm kubeadm-config -o yaml'\n[upgrade] Running cluster health checks\n",
  );
  if (verb === 'plan') {
    context.stdout(
      [
        '[upgrade] Fetching available versions to upgrade to',
        `[upgrade/versions] Cluster version: ${cluster.kubernetesVersion}`,
        `[upgrade/versions] kubeadm version: ${kubeadmText}`,
        `[upgrade/versions] Target version: ${kubeadmText}`,
        `[upgrade/versions] Latest version in the ${kubeadmText.split('.').slice(0, 2).join('.')} series: ${kubeadmText}`,
        '',
        "Components that must be upgraded manually after you have upgraded the control plane with 'kubeadm upgrade apply':",
        'COMPONENT   NODE      CURRENT   TARGET',
        ...[...cluster.nodes.values()].map(
          (node) => `kubelet     ${node.name.padEnd(9)} ${node.kubeletVersion.padEnd(9)} ${kubeadmText}`,
        ),
        '',
        `You can now apply the upgrade by executing the following command:\n\n\tkubeadm upgrade apply ${kubeadmText}`,
        '',
      ].join('\n'),
    );
    return 0;
  }
  const targetText = options.positionals[0];
  const target = targetText ? parseSemver(targetText) : undefined;
  const own = parseSemver(kubeadmText);
  const current = parseSemver(cluster.kubernetesVersion);
  if (!targetText || !target || !own || !current)
    return fail(context, `[upgrade/version] FATAL: the version argument is invalid: "${targetText ?? ''}"`);
  const normalised = `v${target.join('.')}`;
  const problems: string[] = [];
  const compare = (a: [number, number, number], b: [number, number, number]): number =>
    a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
  if (compare(target, own) > 0)
    problems.push(
      `Specified version to upgrade to "${normalised}" is higher than the kubeadm version "${kubeadmText}". Upgrade kubeadm first using the tool you used to install kubeadm`,
    );
  if (target[1] - current[1] > 1)
    problems.push(
      `Specified version to upgrade to "${normalised}" is too high; kubeadm can upgrade only 1 minor version at a time`,
    );
  if (target[1] < current[1])
    problems.push(`Specified version to upgrade to "${normalised}" is an unsupported version downgrade`);
  if (problems.length > 0) {
    context.stderr(
      `[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:\n\n${problems.map((problem) => `\t- ${problem}\n`).join('')}\nPlease fix the misalignments highlighted above and try upgrading again\n${STACK_HINT}`,
    );
    return 1;
  }
  context.stdout(
    `[upgrade/version] You have chosen to change the cluster version to "${normalised}"\n[upgrade/versions] Cluster version: ${cluster.kubernetesVersion}\n[upgrade/versions] kubeadm version: ${kubeadmText}\n`,
  );
  if (!hasFlag(options, 'yes') && !hasFlag(options, 'force')) {
    context.stdout('[upgrade] Are you sure you want to proceed? [y/N]: ');
    const answer = (await context.stdin.readLine())?.trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      return fail(context, "won't proceed; the user didn't answer (Y|y) in order to continue");
    }
  }
  cluster.kubernetesVersion = normalised;
  const membership = os.disk.kube;
  const node = membership ? cluster.nodes.get(membership.nodeName) : undefined;
  if (node) node.kubeletVersion = normalised;
  os.machine.count('kubeadmUpgrades');
  context.stdout(
    [
      `[upgrade/apply] Upgrading your Static Pod-hosted control plane to version "${normalised}" (timeout: 5m0s)...`,
      '[upgrade/staticpods] Component "etcd" upgraded successfully!',
      '[upgrade/staticpods] Component "kube-apiserver" upgraded successfully!',
      '[upgrade/staticpods] Component "kube-controller-manager" upgraded successfully!',
      '[upgrade/staticpods] Component "kube-scheduler" upgraded successfully!',
      '[addons] Applied essential addon: CoreDNS',
      '[addons] Applied essential addon: kube-proxy',
      '',
      `[upgrade/successful] SUCCESS! Your cluster was upgraded to "${normalised}". Enjoy!`,
      '',
      "[upgrade/kubelet] Now that your control plane is upgraded, please proceed with upgrading your kubelets if you haven't already done so.",
      '',
    ].join('\n'),
  );
  return 0;
}

async function reset(context: CommandContext, args: string[]): Promise<number> {
  const parsed = parseFlags(args, {
    values: ['cri-socket', 'ignore-preflight-errors', 'v', 'kubeconfig', 'cert-dir'],
    booleans: ['force', 'cleanup-tmp-dir', 'dry-run'],
    aliases: { f: 'force' },
  });
  if (!parsed.ok) return fail(context, parsed.error);
  if (!context.root) {
    context.stderr(
      `[preflight] Running pre-flight checks\nerror execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR IsPrivilegedUser]: user is not running as root\n${PREFLIGHT_HINT}${STACK_HINT}`,
    );
    return 1;
  }
  if (!hasFlag(parsed.args, 'force')) {
    context.stdout(
      "W0805 10:00:00.000000    1234 preflight.go:56] [reset] WARNING: Changes made to this host by 'kubeadm init' or 'kubeadm join' will be reverted.\n[reset] Are you sure you want to proceed? [y/N]: ",
    );
    const answer = (await context.stdin.readLine())?.trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes')
      return fail(context, "won't proceed; the user didn't answer (Y|y) in order to continue");
  }
  const { os } = context;
  const controlPlane = os.disk.kube?.controlPlane ?? false;
  os.disk.kube = undefined;
  removeKubeFiles(os);
  os.stopUnit('kubelet');
  context.stdout(
    [
      '[preflight] Running pre-flight checks',
      ...(controlPlane ? ['[reset] Deleted contents of the etcd data directory: /var/lib/etcd'] : []),
      '[reset] Stopping the kubelet service',
      '[reset] Unmounting mounted directories in "/var/lib/kubelet"',
      '[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]',
      '[reset] Deleting files: [/etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf /etc/kubernetes/kubelet.conf /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf]',
      '',
      'The reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d',
      '',
      'The reset process does not reset or clean up iptables rules or IPVS tables.',
      'If you wish to reset iptables, you must do so manually by using the "iptables" command.',
      '',
      'The reset process does not clean your kubeconfig files and you must remove them manually.',
      'Please, check the contents of the $HOME/.kube/config file.',
      '',
    ].join('\n'),
  );
  return 0;
}
