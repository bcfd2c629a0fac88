/**
 * Validation of the operator's files: structure from the field tables in `spec-schemas.ts`,
 * then the cross-field rules a schema cannot express. Every problem is reported at once.
 */
import {
  MACHINE_ROLES,
  driveCountOf,
  raidDriveCountProblem,
  type ClusterSpec,
  type DriveSelector,
  type RaidLevel,
} from './cluster-spec';
import { type HardwareInventory, type InventoryDocument } from './machine';
import {
  networkContains,
  networksOverlap,
  parseCidr,
  parseIpv4,
  parseIpv4Range,
  type Ipv4Network,
} from './net';
import { checkValue, indexPath, keyPath, type Problem, type Validation } from './schema';
import { type ParamsProfile } from './params';
import { clusterSpecSchema, hardwareInventorySchema, inventorySchema, profileSchema } from './spec-schemas';

/** What the structural pass leaves for cross-field rules: any field may be missing, any item `undefined`. */
type Loose<T> = T extends (infer U)[]
  ? (Loose<U> | undefined)[]
  : T extends object
    ? { [K in keyof T]?: Loose<T[K]> }
    : T;

const finish = <T>(value: unknown, problems: Problem[]): Validation<T> =>
  problems.length === 0 ? { ok: true, value: value as T } : { ok: false, problems };

/** Reports later occurrences of the same key: `duplicate <what> "x" (also <first path>)`. */
function reportDuplicates(
  entries: { key: string | number | undefined; path: string }[],
  what: string,
  problems: Problem[],
): void {
  const seen = new Map<string | number, string>();
  for (const { key, path } of entries) {
    if (key === undefined) continue;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, path);
    else problems.push({ path, message: `duplicate ${what} ${JSON.stringify(key)} (also ${first})` });
  }
}

/**
 * Validates an inventory file (`{ machines: [...] }`): types, required fields, formats (BMC URL
 * scheme, secret references, MACs), unknown fields, and unique machine names, boot MACs and BMC
 * addresses. MACs come back lowercase; `labels` defaults to `{}`, `bmc.insecureTls` to `false`.
 */
export function validateInventory(input: unknown): Validation<InventoryDocument> {
  const problems: Problem[] = [];
  const value = checkValue(inventorySchema, input, '', problems) as Loose<InventoryDocument> | undefined;
  const machines = value?.machines ?? [];
  reportDuplicates(
    machines.map((m, i) => ({ key: m?.name, path: `${indexPath('machines', i)}.name` })),
    'machine name',
    problems,
  );
  reportDuplicates(
    machines.map((m, i) => ({ key: m?.bootMac, path: `${indexPath('machines', i)}.bootMac` })),
    'boot MAC',
    problems,
  );
  reportDuplicates(
    machines.map((m, i) => ({ key: m?.bmc?.address, path: `${indexPath('machines', i)}.bmc.address` })),
    'BMC address',
    problems,
  );
  return finish(value, sortProblems(problems));
}

/** Validates a params profile (`{ name, description?, params }`); `params` defaults to `{}`. */
export function validateProfile(input: unknown): Validation<ParamsProfile> {
  const problems: Problem[] = [];
  const value = checkValue(profileSchema, input, '', problems);
  return finish(value, sortProblems(problems));
}

/**
 * Validates a hardware inventory as a driver reports it (a trust boundary: drivers parse
 * third-party BMC output). MACs come back lowercase; NIC MACs must be unique.
 */
export function validateHardwareInventory(input: unknown): Validation<HardwareInventory> {
  const problems: Problem[] = [];
  const value = checkValue(hardwareInventorySchema, input, '', problems) as
    Loose<HardwareInventory> | undefined;
  reportDuplicates(
    (value?.nics ?? []).map((n, i) => ({ key: n?.mac, path: `${indexPath('nics', i)}.mac` })),
    'MAC',
    problems,
  );
  reportDuplicates(
    (value?.drives ?? []).map((d, i) => ({ key: d?.id, path: `${indexPath('drives', i)}.id` })),
    'drive id',
    problems,
  );
  return finish(value, sortProblems(problems));
}

/**
 * Validates a cluster spec. Besides types, enums, ranges and formats it checks: each machines
 * entry gives exactly one of `names`/`select`; some entry has role control-plane; RAID drive counts
 * fit the level (raid1 = 2, raid5 ≥ 3, raid6 ≥ 4, raid10 ≥ 4 and even), `all` is a role's only
 * volume and `rest` appears at most once per role; unique VLAN ids and bond names; `pool/<name>`
 * references exist; pool gateways and ranges lie inside their CIDR, gateways outside the range,
 * pools do not overlap; pod and service CIDRs overlap neither each other nor a pool; an enabled
 * OpenStack has a release, services and Kubernetes; critical roles are roles in use.
 * Defaults are applied in the returned value (see {@link ClusterSpec}); a VLAN without a name is
 * named `<on>.<id>`.
 */
export function validateClusterSpec(input: unknown): Validation<ClusterSpec> {
  const problems: Problem[] = [];
  const spec = checkValue(clusterSpecSchema, input, '', problems) as Loose<ClusterSpec> | undefined;
  if (spec !== undefined) {
    checkMachineSelections(spec, problems);
    checkRaid(spec, problems);
    checkNetwork(spec, problems);
    checkKubernetes(spec, problems);
    checkOpenStack(spec, problems);
  }
  return finish(spec, sortProblems(problems));
}

function checkMachineSelections(spec: Loose<ClusterSpec>, problems: Problem[]): void {
  const selections = spec.machines ?? [];
  selections.forEach((selection, i) => {
    if (selection === undefined) return;
    const path = indexPath('machines', i);
    if (selection.names !== undefined && selection.select !== undefined) {
      problems.push({ path, message: 'give either names or select, not both' });
    } else if (selection.names === undefined && selection.select === undefined) {
      problems.push({ path, message: 'give names (a list of machine names) or select (labels)' });
    }
  });
  const roles = new Set(selections.map((s) => s?.role).filter((r) => r !== undefined));
  if (
    spec.machines !== undefined &&
    selections.every((s) => s !== undefined) &&
    !roles.has('control-plane')
  ) {
    problems.push({ path: 'machines', message: 'needs at least one entry with role control-plane' });
  }
  // control-plane is covered by the rule above; only judge roles once every entry has a valid role.
  if (spec.machines !== undefined && selections.every((s) => s?.role !== undefined)) {
    (spec.rollout?.success?.critical ?? []).forEach((role, i) => {
      if (role !== undefined && role !== 'control-plane' && !roles.has(role)) {
        problems.push({
          path: indexPath('rollout.success.critical', i),
          message: `no machines entry has role ${role}`,
        });
      }
    });
  }
}

function checkRaid(spec: Loose<ClusterSpec>, problems: Problem[]): void {
  for (const role of MACHINE_ROLES) {
    const layout = spec.raid?.[role];
    if (layout === undefined) continue;
    const volumes = Object.entries(layout);
    let restAt: string | undefined;
    for (const [name, volume] of volumes) {
      if (volume === undefined) continue;
      const path = keyPath(keyPath(keyPath('raid', role), name), 'drives');
      const drives = volume.drives as DriveSelector | undefined;
      if (drives === undefined) continue;
      if (drives === 'all' && volumes.length > 1) {
        problems.push({ path, message: 'all takes every drive, so it must be the only volume of the role' });
      }
      if (drives === 'rest') {
        if (restAt !== undefined) problems.push({ path, message: `rest is already used by ${restAt}` });
        else restAt = path;
      }
      const count = driveCountOf(drives);
      const level = volume.level as RaidLevel | undefined;
      if (count !== undefined && level !== undefined) {
        const problem = raidDriveCountProblem(level, count);
        if (problem) problems.push({ path, message: problem });
      }
    }
  }
}

function checkNetwork(spec: Loose<ClusterSpec>, problems: Problem[]): void {
  const network = spec.network;
  if (network === undefined) return;
  const vlans = network.vlans ?? [];
  reportDuplicates(
    vlans.map((v, i) => ({ key: v?.id, path: `${indexPath('network.vlans', i)}.id` })),
    'VLAN id',
    problems,
  );
  reportDuplicates(
    (network.bonds ?? []).map((b, i) => ({ key: b?.name, path: `${indexPath('network.bonds', i)}.name` })),
    'bond name',
    problems,
  );
  for (const vlan of vlans) {
    if (vlan !== undefined && vlan.name === undefined && vlan.on !== undefined && vlan.id !== undefined) {
      vlan.name = `${vlan.on}.${vlan.id}`;
    }
  }
  reportDuplicates(
    vlans.map((v, i) => ({ key: v?.name, path: `${indexPath('network.vlans', i)}.name` })),
    'interface name',
    problems,
  );
  const pools = network.pools ?? {};
  const checkPoolRef = (addresses: string | undefined, path: string): void => {
    if (addresses?.startsWith('pool/')) {
      const pool = addresses.slice('pool/'.length);
      if (!Object.prototype.hasOwnProperty.call(pools, pool)) {
        problems.push({ path, message: `unknown pool "${pool}": define it under network.pools` });
      }
    }
  };
  vlans.forEach((v, i) => checkPoolRef(v?.addresses, `${indexPath('network.vlans', i)}.addresses`));
  (network.bonds ?? []).forEach((b, i) =>
    checkPoolRef(b?.addresses, `${indexPath('network.bonds', i)}.addresses`),
  );

  const seen: { name: string; network: Ipv4Network }[] = [];
  for (const [name, pool] of Object.entries(pools)) {
    const cidr = pool?.cidr === undefined ? undefined : parseCidr(pool.cidr);
    if (pool === undefined || cidr === undefined) continue;
    const base = keyPath('network.pools', name);
    const gateway = pool.gateway === undefined ? undefined : parseIpv4(pool.gateway);
    const range = pool.range === undefined ? undefined : parseIpv4Range(pool.range);
    if (gateway !== undefined && !networkContains(cidr, gateway)) {
      problems.push({ path: `${base}.gateway`, message: `${String(pool.gateway)} is outside ${pool.cidr}` });
    }
    if (range !== undefined) {
      if (!networkContains(cidr, range.first) || !networkContains(cidr, range.last)) {
        problems.push({ path: `${base}.range`, message: `must lie inside ${pool.cidr}` });
      } else if (gateway !== undefined && gateway >= range.first && gateway <= range.last) {
        problems.push({
          path: `${base}.gateway`,
          message: `${String(pool.gateway)} is inside the allocation range ${String(pool.range)}`,
        });
      }
    }
    const overlapping = seen.find((other) => networksOverlap(other.network, cidr));
    if (overlapping) {
      problems.push({ path: `${base}.cidr`, message: `overlaps pool ${overlapping.name}` });
    }
    seen.push({ name, network: cidr });
  }
}

function checkKubernetes(spec: Loose<ClusterSpec>, problems: Problem[]): void {
  const kubernetes = spec.kubernetes;
  if (kubernetes === undefined) return;
  const pod = kubernetes.podCidr === undefined ? undefined : parseCidr(kubernetes.podCidr);
  const service = kubernetes.serviceCidr === undefined ? undefined : parseCidr(kubernetes.serviceCidr);
  if (pod && service && networksOverlap(pod, service)) {
    problems.push({
      path: 'kubernetes.serviceCidr',
      message: `overlaps podCidr ${String(kubernetes.podCidr)}`,
    });
  }
  for (const [name, pool] of Object.entries(spec.network?.pools ?? {})) {
    const cidr = pool?.cidr === undefined ? undefined : parseCidr(pool.cidr);
    if (cidr === undefined) continue;
    if (pod && networksOverlap(pod, cidr)) {
      problems.push({
        path: 'kubernetes.podCidr',
        message: `overlaps network pool ${name} (${String(pool?.cidr)})`,
      });
    }
    if (service && networksOverlap(service, cidr)) {
      problems.push({
        path: 'kubernetes.serviceCidr',
        message: `overlaps network pool ${name} (${String(pool?.cidr)})`,
      });
    }
  }
}

function checkOpenStack(spec: Loose<ClusterSpec>, problems: Problem[]): void {
  const openstack = spec.openstack;
  if (openstack?.enabled !== true) return;
  const why = 'when openstack.enabled is true';
  if (openstack.release === undefined)
    problems.push({ path: 'openstack.release', message: `is required ${why}` });
  if (openstack.services !== undefined && openstack.services.length === 0) {
    problems.push({ path: 'openstack.services', message: `must not be empty ${why}` });
  }
  if (spec.kubernetes === undefined) {
    problems.push({ path: 'kubernetes', message: `is required ${why}` });
  }
}

/** Sorts problems by path (stable; `[2]` before `[10]`), so reports read top to bottom. */
function sortProblems(problems: Problem[]): Problem[] {
  const sortKey = (path: string): string => path.replace(/\d+/g, (digits) => digits.padStart(10, '0'));
  return problems
    .map((problem, order) => ({ problem, order, key: sortKey(problem.path) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.order - b.order))
    .map(({ problem }) => problem);
}
