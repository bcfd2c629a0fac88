import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { flag, hasFlag, parseFlags, type ParsedArgs } from '../args';
import type { CommandContext, CommandDefinition } from '../command';
import { accessCluster } from '../kube-access';
import type { HelmRelease, KubeCluster } from '../lab-world';
import { isRecord } from '../netplan-config';

/**
 * `helm` v3 against the lab-wide cluster: `repo add|update|list`, `upgrade [--install]`,
 * `install`, `list`, `status`, `get values`, `uninstall`, `version`. Releases keep revisions;
 * pods become Ready `timings.helmReadyMs` after each deploy (once a schedulable node is Ready),
 * and `--wait` blocks until then, leaving the release `pending-*` meanwhile as real Helm does.
 */
export const helmCommand: CommandDefinition = {
  run: helm,
  available: (os) => os.hasPackage('helm'),
};

const FLAGS = {
  values: [
    'namespace',
    'values',
    'set',
    'set-string',
    'version',
    'timeout',
    'output',
    'kubeconfig',
    'repo',
    'kube-context',
    'description',
    'username',
    'password',
    'max',
  ],
  booleans: [
    'install',
    'create-namespace',
    'wait',
    'wait-for-jobs',
    'atomic',
    'all-namespaces',
    'reuse-values',
    'reset-values',
    'force',
    'short',
    'all',
    'pending',
    'force-update',
    'debug',
    'dry-run',
    'cleanup-on-fail',
    'devel',
    'skip-crds',
    'no-hooks',
  ],
  aliases: { n: 'namespace', f: 'values', o: 'output', A: 'all-namespaces', i: 'install', a: 'all' },
};

const UNREACHABLE_LOCAL =
  'Error: Kubernetes cluster unreachable: Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: connection refused\n';

async function helm(context: CommandContext): Promise<number> {
  const parsed = parseFlags(context.argv.slice(1), FLAGS);
  if (!parsed.ok) {
    context.stderr(`Error: ${parsed.error}\n`);
    return 1;
  }
  const options = parsed.args;
  const [verb, ...operands] = options.positionals;
  switch (verb) {
    case 'version':
      context.stdout(
        hasFlag(options, 'short')
          ? 'v3.15.2+g1a500d5\n'
          : 'version.BuildInfo{Version:"v3.15.2", GitCommit:"1a500d5625419a524fdae4b33de351cc4f58ec35", GitTreeState:"clean", GoVersion:"go1.22.4"}\n',
      );
      return 0;
    case 'repo':
      return repo(context, options, operands);
    case undefined:
      context.stdout('The Kubernetes package manager\n');
      return 0;
  }
  const access = accessCluster(context, flag(options, 'kubeconfig'));
  if (!access.ok) {
    if (access.problem === 'config-error')
      context.stderr(`Error: Kubernetes cluster unreachable: ${access.message}\n`);
    else if (access.problem === 'refused') {
      context.stderr(
        `Error: Kubernetes cluster unreachable: Get "https://${access.server}/version": dial tcp ${access.server}: connect: connection refused\n`,
      );
    } else context.stderr(UNREACHABLE_LOCAL);
    return 1;
  }
  const { cluster } = access;
  const namespace = flag(options, 'namespace') ?? 'default';
  switch (verb) {
    case 'upgrade':
    case 'install':
      return deploy(context, cluster, options, operands, verb);
    case 'list':
    case 'ls':
      return list(context, cluster, options, namespace);
    case 'status':
      return status(context, cluster, options, operands[0], namespace);
    case 'get':
      return getValues(context, cluster, options, operands, namespace);
    case 'uninstall':
    case 'delete':
      return uninstall(context, cluster, operands, namespace);
    default:
      context.stderr(`Error: unknown command "${verb}" for "helm"\nRun 'helm --help' for usage.\n`);
      return 1;
  }
}

/** Helm keeps repositories per user (`~/.config/helm/repositories.yaml`). */
function repoKey(context: CommandContext, name: string): string {
  return `${context.env['HOME'] ?? context.os.home}|${name}`;
}

function repo(context: CommandContext, options: ParsedArgs, operands: string[]): number {
  const [action, name, url] = operands;
  const repos = context.os.disk.helmRepos;
  const home = `${context.env['HOME'] ?? context.os.home}|`;
  const mine = [...repos]
    .filter(([key]) => key.startsWith(home))
    .map(([key, value]) => [key.slice(home.length), value] as const);
  switch (action) {
    case 'add': {
      if (!name || !url) {
        context.stderr(`Error: "helm repo add" requires 2 arguments\n`);
        return 1;
      }
      const existing = repos.get(repoKey(context, name));
      if (existing === url)
        context.stdout(`"${name}" already exists with the same configuration, skipping\n`);
      else if (existing !== undefined && !hasFlag(options, 'force-update')) {
        context.stderr(`Error: repository name (${name}) already exists, please specify a different name\n`);
        return 1;
      } else {
        repos.set(repoKey(context, name), url);
        context.stdout(`"${name}" has been added to your repositories\n`);
      }
      return 0;
    }
    case 'update':
    case 'up':
      if (mine.length === 0) {
        context.stderr('Error: no repositories found. You must add one before updating\n');
        return 1;
      }
      context.stdout(
        `Hang tight while we grab the latest from your chart repositories...\n${mine.map(([repoName]) => `...Successfully got an update from the "${repoName}" chart repository\n`).join('')}Update Complete. ⎈Happy Helming!⎈\n`,
      );
      return 0;
    case 'list':
    case 'ls':
      if (mine.length === 0) {
        context.stderr('Error: no repositories to show\n');
        return 1;
      }
      context.stdout(`NAME\tURL\n${mine.map(([repoName, repoUrl]) => `${repoName}\t${repoUrl}\n`).join('')}`);
      return 0;
    default:
      context.stderr(`Error: the lab emulates "helm repo add|update|list", not "${action ?? ''}"\n`);
      return 1;
  }
}

interface ChartRef {
  name: string;
  version: string;
  appVersion: string;
}

function resolveChart(context: CommandContext, options: ParsedArgs, chart: string): ChartRef | string {
  const version = flag(options, 'version')?.replace(/^v/, '');
  if (chart.startsWith('oci://') || flag(options, 'repo') !== undefined) {
    const name = chart.split('/').pop() ?? chart;
    return { name, version: version ?? '1.0.0', appVersion: version ?? '1.0.0' };
  }
  if (chart.startsWith('.') || chart.startsWith('/')) {
    const path = context.os.resolve(context, chart);
    const chartYaml = context.os.readFile(context, `${path}/Chart.yaml`);
    if (!chartYaml.ok) return `path "${chart}" not found`;
    const metadata: unknown = parse(chartYaml.content);
    if (!isRecord(metadata)) return `Chart.yaml file is missing`;
    return {
      name: String(metadata['name'] ?? ''),
      version: String(metadata['version'] ?? '0.1.0'),
      appVersion: String(metadata['appVersion'] ?? metadata['version'] ?? ''),
    };
  }
  const slash = chart.indexOf('/');
  if (slash < 0) return `non-absolute URLs should be in form of repo_name/path_to_chart, got: ${chart}`;
  const repoName = chart.slice(0, slash);
  if (!context.os.disk.helmRepos.has(repoKey(context, repoName))) return `repo ${repoName} not found`;
  return { name: chart.slice(slash + 1), version: version ?? '1.0.0', appVersion: version ?? '1.0.0' };
}

async function collectValues(
  context: CommandContext,
  options: ParsedArgs,
): Promise<Record<string, unknown> | string> {
  const values: Record<string, unknown> = {};
  for (const source of options.flags.get('values') ?? []) {
    let text: string;
    if (source === '-') text = await context.stdin.readAll();
    else {
      const read = context.os.readFile(context, source);
      if (!read.ok) return `open ${source}: ${read.reason.toLowerCase()}`;
      text = read.content;
    }
    let parsed: unknown;
    try {
      parsed = parse(text);
    } catch (error) {
      return `failed to parse ${source}: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (parsed !== null && parsed !== undefined) {
      if (!isRecord(parsed))
        return `failed to parse ${source}: error unmarshaling JSON: json: cannot unmarshal into Go value of type map[string]interface {}`;
      deepMerge(values, parsed);
    }
  }
  for (const [flagName, typed] of [
    ['set', true],
    ['set-string', false],
  ] as const) {
    for (const assignment of options.flags.get(flagName) ?? []) {
      for (const pair of assignment.split(/(?<!\\),/)) {
        const equals = pair.indexOf('=');
        if (equals < 0) return `failed parsing --${flagName} data: key "${pair}" has no value`;
        const path = pair.slice(0, equals).split('.');
        const raw = pair.slice(equals + 1).replace(/\\,/g, ',');
        setPath(values, path, typed ? typedValue(raw) : raw);
      }
    }
  }
  return values;
}

function typedValue(raw: string): unknown {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (/^-?\d+$/.test(raw)) return Number(raw);
  return raw;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let current = target;
  for (const key of path.slice(0, -1)) {
    const next = current[key];
    if (!isRecord(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) current[last] = value;
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isRecord(existing) && isRecord(value)) deepMerge(existing, value);
    else target[key] = value;
  }
}

/** Go's duration syntax as Helm's `--timeout` takes it (`5m0s`, `300s`, `1h`). */
function parseDuration(text: string): number | undefined {
  let total = 0;
  let rest = text;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!match || !match[1] || !match[2]) return undefined;
    total += Number(match[1]) * (units[match[2]] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return total;
}

async function deploy(
  context: CommandContext,
  cluster: KubeCluster,
  options: ParsedArgs,
  operands: string[],
  verb: 'upgrade' | 'install',
): Promise<number> {
  const installing = verb === 'install';
  const failure = (message: string, install: boolean): number => {
    context.stderr(`Error: ${install ? 'INSTALLATION' : 'UPGRADE'} FAILED: ${message}\n`);
    return 1;
  };
  const [name, chart] = operands;
  if (!name || !chart) {
    context.stderr(
      `Error: "helm ${verb}" requires 2 arguments\n\nUsage:  helm ${verb} [RELEASE] [CHART] [flags]\n`,
    );
    return 1;
  }
  const namespace = flag(options, 'namespace') ?? 'default';
  const key = `${namespace}/${name}`;
  const existing = cluster.releases.get(key);
  if (installing && existing) return failure('cannot re-use a name that is still in use', true);
  if (!installing && !existing && !hasFlag(options, 'install'))
    return failure(`"${name}" has no deployed releases`, false);
  const isInstall = !existing;
  if (existing && (existing.status === 'pending-install' || existing.status === 'pending-upgrade')) {
    return failure('another operation (install/upgrade/rollback) is in progress', false);
  }
  const chartRef = resolveChart(context, options, chart);
  if (typeof chartRef === 'string') {
    context.stderr(`Error: ${chartRef}\n`);
    return 1;
  }
  const supplied = await collectValues(context, options);
  if (typeof supplied === 'string') {
    context.stderr(`Error: ${supplied}\n`);
    return 1;
  }
  // Helm 3 reuses the previous values when an upgrade supplies none (and with --reuse-values).
  const noneGiven =
    !options.flags.has('values') && !options.flags.has('set') && !options.flags.has('set-string');
  const values =
    existing && !hasFlag(options, 'reset-values') && (hasFlag(options, 'reuse-values') || noneGiven)
      ? deepClone(existing.values)
      : {};
  deepMerge(values, supplied);
  if (!cluster.namespaces.has(namespace)) {
    if (!hasFlag(options, 'create-namespace'))
      return failure(`create: failed to create: namespaces "${namespace}" not found`, isInstall);
    cluster.namespaces.add(namespace);
  }
  const wait = hasFlag(options, 'wait') || hasFlag(options, 'atomic');
  const timeoutMs = parseDuration(flag(options, 'timeout') ?? '5m0s');
  if (timeoutMs === undefined) {
    context.stderr(
      `Error: invalid argument "${flag(options, 'timeout') ?? ''}" for "--timeout" flag: time: invalid duration\n`,
    );
    return 1;
  }
  const now = new Date();
  const release: HelmRelease = {
    name,
    namespace,
    chart: chartRef,
    revision: (existing?.revision ?? 0) + 1,
    status: wait ? (isInstall ? 'pending-install' : 'pending-upgrade') : 'deployed',
    description: wait
      ? isInstall
        ? 'Initial install underway'
        : 'Preparing upgrade'
      : isInstall
        ? 'Install complete'
        : 'Upgrade complete',
    firstDeployed: existing?.firstDeployed ?? now,
    lastDeployed: now,
    values,
    readyAt: now.getTime() + context.os.machine.timings.helmReadyMs,
  };
  cluster.releases.set(key, release);
  context.os.machine.count(isInstall ? 'helmInstalls' : 'helmUpgrades');
  if (!installing && isInstall) context.stdout(`Release "${name}" does not exist. Installing it now.\n`);
  if (wait) {
    const deadline = Date.now() + timeoutMs;
    while (!cluster.releaseReady(release)) {
      if (context.signal.aborted) return 130;
      if (Date.now() >= deadline) {
        release.status = 'failed';
        release.description = `Release "${name}" failed: context deadline exceeded`;
        return failure('context deadline exceeded', isInstall);
      }
      try {
        await sleep(Math.min(20, Math.max(1, deadline - Date.now())), undefined, { signal: context.signal });
      } catch {
        return 130;
      }
    }
    release.status = 'deployed';
    release.description = isInstall ? 'Install complete' : 'Upgrade complete';
  }
  if (!installing && !isInstall) context.stdout(`Release "${name}" has been upgraded. Happy Helming!\n`);
  context.stdout(statusText(release));
  return 0;
}

function deepClone(value: Record<string, unknown>): Record<string, unknown> {
  return structuredClone(value);
}

function ansic(date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${days[date.getUTCDay()] ?? ''} ${months[date.getUTCMonth()] ?? ''} ${String(date.getUTCDate()).padStart(2, ' ')} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

function goTime(date: Date): string {
  return `${date.toISOString().replace('T', ' ').replace('Z', '')}000000 +0000 UTC`;
}

function statusText(release: HelmRelease): string {
  return `NAME: ${release.name}\nLAST DEPLOYED: ${ansic(release.lastDeployed)}\nNAMESPACE: ${release.namespace}\nSTATUS: ${release.status}\nREVISION: ${release.revision}\nTEST SUITE: None\n`;
}

function list(context: CommandContext, cluster: KubeCluster, options: ParsedArgs, namespace: string): number {
  const all = hasFlag(options, 'all');
  const pending = hasFlag(options, 'pending');
  const releases = [...cluster.releases.values()]
    .filter((release) => hasFlag(options, 'all-namespaces') || release.namespace === namespace)
    .filter(
      (release) =>
        all ||
        (pending
          ? release.status.startsWith('pending')
          : release.status === 'deployed' || release.status === 'failed'),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  const rows = releases.map((release) => ({
    name: release.name,
    namespace: release.namespace,
    revision: String(release.revision),
    updated: goTime(release.lastDeployed),
    status: release.status,
    chart: `${release.chart.name}-${release.chart.version}`,
    app_version: release.chart.appVersion,
  }));
  const output = flag(options, 'output') ?? 'table';
  if (output === 'json') context.stdout(`${JSON.stringify(rows)}\n`);
  else if (output === 'yaml') context.stdout(rows.length === 0 ? '[]\n' : stringify(rows));
  else {
    const header = ['NAME', 'NAMESPACE', 'REVISION', 'UPDATED', 'STATUS', 'CHART', 'APP VERSION'];
    const table = [
      header,
      ...rows.map((row) => [
        row.name,
        row.namespace,
        row.revision,
        row.updated,
        row.status,
        row.chart,
        row.app_version,
      ]),
    ];
    const widths = header.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
    context.stdout(
      table
        .map((row) =>
          row
            .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
            .join('\t'),
        )
        .join('\n') + '\n',
    );
  }
  return 0;
}

function findRelease(
  context: CommandContext,
  cluster: KubeCluster,
  name: string | undefined,
  namespace: string,
): HelmRelease | undefined {
  const release = name === undefined ? undefined : cluster.releases.get(`${namespace}/${name}`);
  if (!release) context.stderr('Error: release: not found\n');
  return release;
}

function status(
  context: CommandContext,
  cluster: KubeCluster,
  options: ParsedArgs,
  name: string | undefined,
  namespace: string,
): number {
  const release = findRelease(context, cluster, name, namespace);
  if (!release) return 1;
  const output = flag(options, 'output') ?? 'table';
  if (output === 'table') {
    context.stdout(statusText(release));
    return 0;
  }
  const document = {
    name: release.name,
    info: {
      first_deployed: release.firstDeployed.toISOString(),
      last_deployed: release.lastDeployed.toISOString(),
      deleted: '',
      description: release.description,
      status: release.status,
    },
    chart: {
      metadata: {
        name: release.chart.name,
        version: release.chart.version,
        appVersion: release.chart.appVersion,
        apiVersion: 'v2',
      },
    },
    config: release.values,
    version: release.revision,
    namespace: release.namespace,
  };
  context.stdout(output === 'json' ? `${JSON.stringify(document)}\n` : stringify(document));
  return 0;
}

function getValues(
  context: CommandContext,
  cluster: KubeCluster,
  options: ParsedArgs,
  operands: string[],
  namespace: string,
): number {
  const [what, name] = operands;
  if (what !== 'values') {
    context.stderr(`Error: the lab emulates "helm get values", not "helm get ${what ?? ''}"\n`);
    return 1;
  }
  const release = findRelease(context, cluster, name, namespace);
  if (!release) return 1;
  const output = flag(options, 'output') ?? 'table';
  if (output === 'json') context.stdout(`${JSON.stringify(release.values)}\n`);
  else
    context.stdout(
      `USER-SUPPLIED VALUES:\n${Object.keys(release.values).length === 0 ? 'null\n' : stringify(release.values)}`,
    );
  return 0;
}

function uninstall(
  context: CommandContext,
  cluster: KubeCluster,
  operands: string[],
  namespace: string,
): number {
  for (const name of operands) {
    if (!cluster.releases.delete(`${namespace}/${name}`)) {
      context.stderr(`Error: uninstall: Release not loaded: ${name}: release: not found\n`);
      return 1;
    }
    context.stdout(`release "${name}" uninstalled\n`);
  }
  return 0;
}
