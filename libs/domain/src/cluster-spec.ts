/**
 * The cluster spec: what an operator declares for one cluster. Validated by
 * `validateClusterSpec`, which applies the defaults documented here.
 */

/** The roles a machine can play in a cluster. */
export const MACHINE_ROLES = ['control-plane', 'worker', 'storage'] as const;
/** One of {@link MACHINE_ROLES}. */
export type MachineRole = (typeof MACHINE_ROLES)[number];

/** Selects machines either by explicit names or by labels (every given label must match). */
export interface MachineSelection {
  /** Machine names from the inventory. Exactly one of `names` and `select` is given. */
  names?: string[];
  /** Label selector: a machine matches when it carries every label with the same value. */
  select?: { labels: Record<string, string> };
  /** The role the selected machines play. */
  role: MachineRole;
}

/** Supported operating system families. */
export const OS_FAMILIES = ['ubuntu', 'debian', 'rocky', 'rhel'] as const;
/** One of {@link OS_FAMILIES}. */
export type OsFamily = (typeof OS_FAMILIES)[number];

/** The unattended-installer format a family uses. */
export type InstallerKind = 'autoinstall' | 'preseed' | 'kickstart';

/** Ubuntu → cloud-init autoinstall, Debian → preseed, Rocky/RHEL → kickstart. */
export function installerKindFor(family: OsFamily): InstallerKind {
  switch (family) {
    case 'ubuntu':
      return 'autoinstall';
    case 'debian':
      return 'preseed';
    case 'rocky':
    case 'rhel':
      return 'kickstart';
  }
}

/** The operating system to install. */
export interface OsSpec {
  /** Distribution family; picks the installer via {@link installerKindFor}. */
  family: OsFamily;
  /** Release, as a string (`"24.04"`, `"12"`, `"9.6"`). Quote it in YAML. */
  version: string;
  /** Install-template profile (snippet selection), e.g. `hardened`. */
  profile?: string;
}

/** RAID levels a volume may use. `jbod` passes drives through without redundancy. */
export const RAID_LEVELS = ['raid0', 'raid1', 'raid5', 'raid6', 'raid10', 'jbod'] as const;
/** One of {@link RAID_LEVELS}. */
export type RaidLevel = (typeof RAID_LEVELS)[number];

/**
 * Which drives a volume uses: `smallest-N` / `largest-N` (N drives by size), `all` (every drive;
 * then it must be the role's only volume), `rest` (drives no other volume took; at most one per
 * role), or a number N (any N drives).
 */
export type DriveSelector = `smallest-${number}` | `largest-${number}` | 'all' | 'rest' | number;

/** One RAID volume. */
export interface RaidVolume {
  /** RAID level. Drive counts: raid0 ≥ 1, raid1 = 2, raid5 ≥ 3, raid6 ≥ 4, raid10 ≥ 4 and even, jbod ≥ 1. */
  level: RaidLevel;
  /** Drive selection. */
  drives: DriveSelector;
  /** Delete existing volumes on the chosen drives first. Defaults to `false`. */
  wipe: boolean;
}

/** Volumes of one role keyed by volume name (`os`, `data`, …). */
export type RaidLayout = Record<string, RaidVolume>;

/** A bonded interface. */
export interface BondSpec {
  /** Interface name, e.g. `bond0`. */
  name: string;
  /** Bonding mode. */
  mode:
    'active-backup' | 'balance-rr' | 'balance-xor' | 'broadcast' | '802.3ad' | 'balance-tlb' | 'balance-alb';
  /** Member NIC names (at least one). */
  interfaces: string[];
  /** MTU in bytes. */
  mtu?: number;
  /** `dhcp`, or `pool/<name>` for a static address from that pool. Omitted: no address. */
  addresses?: string;
}

/** A tagged VLAN interface. */
export interface VlanSpec {
  /** 802.1Q VLAN id, 1–4094, unique in the plan. */
  id: number;
  /** Parent interface (a bond name or a NIC name). */
  on: string;
  /** Interface name; the validator fills in `<on>.<id>` when the file omits it. */
  name: string;
  /** MTU in bytes. */
  mtu?: number;
  /** `dhcp`, or `pool/<name>` for a static address from that pool. Omitted: no address. */
  addresses?: string;
}

/** A static address pool. */
export interface AddressPool {
  /** The network, e.g. `10.20.0.0/24` (host bits clear). */
  cidr: string;
  /** Default gateway inside the CIDR. */
  gateway?: string;
  /** Inclusive range to allocate from, `first-last`, inside the CIDR. Defaults to the whole network. */
  range?: string;
}

/** Host networking for every machine of the cluster. */
export interface NetworkPlan {
  /** Bonds. Defaults to `[]`. */
  bonds: BondSpec[];
  /** VLANs. Defaults to `[]`. */
  vlans: VlanSpec[];
  /** Static pools by name, referenced as `pool/<name>`. Defaults to `{}`. */
  pools: Record<string, AddressPool>;
  /** Default gateway when no pool gives one. */
  gateway?: string;
  /** DNS servers (IPv4). Defaults to `[]`. */
  dns: string[];
  /** NTP servers (IPv4 or host names). Defaults to `[]`. */
  ntp: string[];
}

/** Container network plugins Plinth can install. */
export const CNI_PLUGINS = ['calico', 'cilium', 'flannel'] as const;

/** Kubernetes on the cluster. */
export interface KubernetesSpec {
  /** Kubernetes minor or patch version, e.g. `"1.33"` or `"1.33.2"`. */
  version: string;
  /** Pod network CIDR; must not overlap `serviceCidr`. */
  podCidr: string;
  /** Service network CIDR. */
  serviceCidr: string;
  /** Network plugin. */
  cni: (typeof CNI_PLUGINS)[number];
  /** Control-plane endpoint: IPv4 address or host name, optional `:port`. */
  endpoint: string;
}

/** OpenStack via openstack-helm. */
export interface OpenStackSpec {
  /** Whether to deploy OpenStack. Defaults to `false`. */
  enabled: boolean;
  /** OpenStack release, e.g. `"2025.2"`; required when enabled. */
  release?: string;
  /** Services (charts) to deploy, in any order; Plinth orders them. Defaults to `[]`. */
  services: string[];
  /** Helm values per chart name. Defaults to `{}`. */
  values: Record<string, Record<string, unknown>>;
}

/** Approval gates where a run pauses until an operator approves. */
export const APPROVAL_GATES = ['before-kubernetes', 'before-openstack'] as const;
/** One of {@link APPROVAL_GATES}. */
export type ApprovalGate = (typeof APPROVAL_GATES)[number];

/** How a deployment fans out and when it counts as successful. */
export interface RolloutPolicy {
  /** Machines provisioned at once, ≥ 1. Defaults to 20. */
  maxParallel: number;
  /** Success criteria. */
  success: {
    /** Minimum percent of machines that must succeed, 0–100. Defaults to 100. */
    minPercent: number;
    /** Roles in which every machine must succeed. Defaults to `['control-plane']`. */
    critical: MachineRole[];
  };
  /** Gates where the run waits for approval. Defaults to `[]`. */
  approve: ApprovalGate[];
}

/** A validated cluster spec with defaults applied. */
export interface ClusterSpec {
  /** Cluster name, a DNS label. */
  name: string;
  /** Machine selections with roles. */
  machines: MachineSelection[];
  /** Operating system. */
  os: OsSpec;
  /** RAID layout per role. Defaults to `{}` (leave storage as found). */
  raid: Partial<Record<MachineRole, RaidLayout>>;
  /** Host networking. Defaults to an empty plan. */
  network: NetworkPlan;
  /** Kubernetes; required when OpenStack is enabled. */
  kubernetes?: KubernetesSpec;
  /** OpenStack. Defaults to disabled. */
  openstack: OpenStackSpec;
  /** Rollout policy. Defaults as documented on {@link RolloutPolicy}. */
  rollout: RolloutPolicy;
  /** Cluster-level params (free-form), merged with `mergeParams`. Defaults to `{}`. */
  params: Record<string, unknown>;
  /** Name of the params profile layered between global and cluster params. */
  profile?: string;
}

/**
 * Parses a {@link DriveSelector} into a drive count when it fixes one (`smallest-2` → 2, `3` → 3);
 * `undefined` for `all` and `rest`, whose count depends on the machine.
 */
export function driveCountOf(selector: DriveSelector): number | undefined {
  if (typeof selector === 'number') return selector;
  const match = /^(?:smallest|largest)-(\d+)$/.exec(selector);
  return match ? Number(match[1]) : undefined;
}

/**
 * Checks a drive count against a RAID level; returns the problem in words, or `undefined` when fine.
 */
export function raidDriveCountProblem(level: RaidLevel, count: number): string | undefined {
  switch (level) {
    case 'raid0':
    case 'jbod':
      return count >= 1 ? undefined : `${level} needs at least 1 drive`;
    case 'raid1':
      return count === 2 ? undefined : `raid1 needs exactly 2 drives, got ${count}`;
    case 'raid5':
      return count >= 3 ? undefined : `raid5 needs at least 3 drives, got ${count}`;
    case 'raid6':
      return count >= 4 ? undefined : `raid6 needs at least 4 drives, got ${count}`;
    case 'raid10':
      return count >= 4 && count % 2 === 0
        ? undefined
        : `raid10 needs an even number of drives, at least 4, got ${count}`;
  }
}
