import { describe, expect, it } from 'vitest';
import { designClusterYaml, designInventoryYaml } from './fixtures/design-example';
import { parseSpecDocument } from './parse';
import { formatProblem, type Validation } from './schema';
import { mergeParams } from './params';
import { resolveClusterMachines } from './resolve';
import {
  validateClusterSpec,
  validateHardwareInventory,
  validateInventory,
  validateProfile,
} from './validate';

/** Test documents are mutated freely to build invalid input; the validator under test is the type check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

const parsed = (text: string): Record<string, unknown> => {
  const result = parseSpecDocument(text);
  if (!result.ok) throw new Error(result.problems.map((p) => formatProblem(p)).join('\n'));
  return result.value as Record<string, unknown>;
};
const designCluster = (): Record<string, unknown> => parsed(designClusterYaml);
const designInventory = (): Record<string, unknown> => parsed(designInventoryYaml);

const messages = (result: Validation<unknown>): string[] =>
  result.ok ? [] : result.problems.map((p) => formatProblem(p));

/** Applies `change` to a fresh copy of the design cluster and returns the formatted problems. */
const clusterProblems = (change: (spec: Doc) => void): string[] => {
  const spec = designCluster();
  change(spec);
  return messages(validateClusterSpec(spec));
};
const inventoryProblems = (change: (inventory: Doc) => void): string[] => {
  const inventory = designInventory();
  change(inventory);
  return messages(validateInventory(inventory));
};

describe('the DESIGN.md example', () => {
  it('validates as an inventory, with defaults applied', () => {
    const result = validateInventory(designInventory());
    expect(messages(result)).toEqual([]);
    if (!result.ok) return;
    expect(result.value.machines.map((m) => m.name)).toEqual(['r1-cp-01', 'r1-w-01']);
    expect(result.value.machines[1]?.bmc.insecureTls).toBe(false);
    expect(result.value.machines[0]?.expect).toEqual({ cpuCores: 32, memoryMiB: 262144, disks: 2 });
  });

  it('validates as a cluster spec, with defaults applied', () => {
    const result = validateClusterSpec(designCluster());
    expect(messages(result)).toEqual([]);
    if (!result.ok) return;
    const spec = result.value;
    expect(spec.raid.worker?.['data']).toEqual({ level: 'raid10', drives: 'rest', wipe: false });
    expect(spec.network.ntp).toEqual([]);
    expect(spec.rollout).toEqual({
      maxParallel: 20,
      success: { minPercent: 90, critical: ['control-plane'] },
      approve: ['before-openstack'],
    });
    expect(spec.profile).toBeUndefined();
  });
});

describe('validateClusterSpec defaults', () => {
  it('fills rollout, openstack, network, raid and params when omitted, and names VLANs <on>.<id>', () => {
    const result = validateClusterSpec({
      name: 'tiny',
      machines: [{ names: ['a'], role: 'control-plane' }],
      os: { family: 'debian', version: '12' },
      network: { vlans: [{ id: 7, on: 'eno1' }] },
    });
    expect(messages(result)).toEqual([]);
    if (!result.ok) return;
    expect(result.value.rollout).toEqual({
      maxParallel: 20,
      success: { minPercent: 100, critical: ['control-plane'] },
      approve: [],
    });
    expect(result.value.openstack).toEqual({ enabled: false, services: [], values: {} });
    expect(result.value.network).toEqual({
      bonds: [],
      vlans: [{ id: 7, on: 'eno1', name: 'eno1.7' }],
      pools: {},
      dns: [],
      ntp: [],
    });
    expect(result.value.raid).toEqual({});
    expect(result.value.params).toEqual({});
  });

  it('does not modify its input', () => {
    const input = designCluster();
    const before = JSON.stringify(input);
    validateClusterSpec(input);
    expect(JSON.stringify(input)).toBe(before);
  });
});

describe('validateClusterSpec problems (exact path and message)', () => {
  const cases: [string, (spec: Doc) => void, string[]][] = [
    [
      'VLAN id out of range',
      (s) =>
        (s.network.vlans = [
          { id: 10, on: 'bond0' },
          { id: 5000, on: 'bond0' },
        ]),
      ['network.vlans[1].id: must be between 1 and 4094'],
    ],
    ['VLAN id zero', (s) => (s.network.vlans[0].id = 0), ['network.vlans[0].id: must be between 1 and 4094']],
    [
      'VLAN id not an integer',
      (s) => (s.network.vlans[0].id = 12.5),
      ['network.vlans[0].id: must be an integer'],
    ],
    [
      'VLAN id as a string',
      (s) => (s.network.vlans[0].id = '120'),
      ['network.vlans[0].id: must be an integer'],
    ],
    [
      'duplicate VLAN ids',
      (s) => s.network.vlans.push({ id: 120, on: 'bond0', name: 'other' }),
      ['network.vlans[1].id: duplicate VLAN id 120 (also network.vlans[0].id)'],
    ],
    ['missing name', (s) => delete s.name, ['name: is required']],
    [
      'bad name',
      (s) => (s.name = 'Edge_1'),
      [
        'name: must be lowercase letters, digits and hyphens (at most 63), starting and ending with a letter or digit',
      ],
    ],
    ['unknown top-level field', (s) => (s.nmae = 'x'), ['nmae: unknown field']],
    [
      'unknown nested field',
      (s) => (s.kubernetes.podCIDR = '10.0.0.0/8'),
      ['kubernetes.podCIDR: unknown field'],
    ],
    [
      'OS family enum',
      (s) => (s.os.family = 'centos'),
      ['os.family: must be one of: ubuntu, debian, rocky, rhel'],
    ],
    ['unquoted version', (s) => (s.os.version = 24.04), ['os.version: must be a string']],
    ['null where an object belongs', (s) => (s.os = null), ['os: must not be null; must be an object']],
    [
      'machines must not be empty',
      (s) => (s.machines = []),
      ['machines: must not be empty', 'machines: needs at least one entry with role control-plane'],
    ],
    [
      'role enum',
      (s) => (s.machines[1].role = 'compute'),
      ['machines[1].role: must be one of: control-plane, worker, storage'],
    ],
    [
      'names and select together',
      (s) => (s.machines[0].names = ['r1-cp-01']),
      ['machines[0]: give either names or select, not both'],
    ],
    [
      'neither names nor select',
      (s) => delete s.machines[1].select,
      ['machines[1]: give names (a list of machine names) or select (labels)'],
    ],
    [
      'no control plane',
      (s) => (s.machines[0].role = 'storage'),
      ['machines: needs at least one entry with role control-plane'],
    ],
    [
      'pool gateway outside CIDR',
      (s) => (s.network.pools.mgmt.gateway = '10.30.0.1'),
      ['network.pools.mgmt.gateway: 10.30.0.1 is outside 10.20.0.0/24'],
    ],
    [
      'pool range outside CIDR',
      (s) => (s.network.pools.mgmt.range = '10.20.0.50-10.20.1.10'),
      ['network.pools.mgmt.range: must lie inside 10.20.0.0/24'],
    ],
    [
      'pool gateway inside range',
      (s) => (s.network.pools.mgmt.gateway = '10.20.0.60'),
      ['network.pools.mgmt.gateway: 10.20.0.60 is inside the allocation range 10.20.0.50-10.20.0.200'],
    ],
    [
      'range reversed',
      (s) => (s.network.pools.mgmt.range = '10.20.0.200-10.20.0.50'),
      ['network.pools.mgmt.range: must be an IPv4 range like 10.20.0.50-10.20.0.200 (first ≤ last)'],
    ],
    [
      'CIDR with host bits',
      (s) => (s.network.pools.mgmt.cidr = '10.20.0.1/24'),
      ['network.pools.mgmt.cidr: must be a network address: host bits are set'],
    ],
    [
      'CIDR malformed',
      (s) => (s.network.pools.mgmt.cidr = '10.20.0.0/33'),
      ['network.pools.mgmt.cidr: must be an IPv4 CIDR like 10.20.0.0/24'],
    ],
    [
      'bad DNS address',
      (s) => (s.network.dns = ['10.20.0.2', '10.20.0.256']),
      ['network.dns[1]: must be an IPv4 address like 10.20.0.1'],
    ],
    [
      'duplicate DNS',
      (s) => (s.network.dns = ['10.20.0.2', '10.20.0.2']),
      ['network.dns[1]: duplicate of network.dns[0]'],
    ],
    [
      'unknown pool reference',
      (s) => (s.network.vlans[0].addresses = 'pool/storage'),
      ['network.vlans[0].addresses: unknown pool "storage": define it under network.pools'],
    ],
    [
      'bad address source',
      (s) => (s.network.bonds[0].addresses = 'static'),
      ['network.bonds[0].addresses: must be "dhcp" or "pool/<name>"'],
    ],
    [
      'bond mode enum',
      (s) => (s.network.bonds[0].mode = 'lacp'),
      [
        'network.bonds[0].mode: must be one of: active-backup, balance-rr, balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb',
      ],
    ],
    [
      'bond without members',
      (s) => (s.network.bonds[0].interfaces = []),
      ['network.bonds[0].interfaces: must not be empty'],
    ],
    [
      'overlapping pools',
      (s) => (s.network.pools.other = { cidr: '10.20.0.128/25' }),
      ['network.pools.other.cidr: overlaps pool mgmt'],
    ],
    [
      'pod and service CIDRs overlap',
      (s) => (s.kubernetes.serviceCidr = '10.244.128.0/20'),
      ['kubernetes.serviceCidr: overlaps podCidr 10.244.0.0/16'],
    ],
    [
      'pod CIDR overlaps a host pool',
      (s) => (s.kubernetes.podCidr = '10.0.0.0/8'),
      [
        'kubernetes.podCidr: overlaps network pool mgmt (10.20.0.0/24)',
        'kubernetes.serviceCidr: overlaps podCidr 10.0.0.0/8',
      ],
    ],
    [
      'unquoted Kubernetes version',
      (s) => (s.kubernetes.version = 1.3),
      ['kubernetes.version: must be a string'],
    ],
    [
      'Kubernetes version with a v',
      (s) => (s.kubernetes.version = 'v1.33'),
      ['kubernetes.version: must be a Kubernetes version like "1.33" or "1.33.2" (quote it in YAML)'],
    ],
    [
      'CNI enum',
      (s) => (s.kubernetes.cni = 'weave'),
      ['kubernetes.cni: must be one of: calico, cilium, flannel'],
    ],
    [
      'bad endpoint port',
      (s) => (s.kubernetes.endpoint = '10.20.0.10:70000'),
      ['kubernetes.endpoint: port must be between 1 and 65535'],
    ],
    [
      'maxParallel zero',
      (s) => (s.rollout.maxParallel = 0),
      ['rollout.maxParallel: must be between 1 and 10000'],
    ],
    [
      'minPercent above 100',
      (s) => (s.rollout.success.minPercent = 101),
      ['rollout.success.minPercent: must be between 0 and 100'],
    ],
    [
      'minPercent negative',
      (s) => (s.rollout.success.minPercent = -1),
      ['rollout.success.minPercent: must be between 0 and 100'],
    ],
    [
      'approval gate enum',
      (s) => (s.rollout.approve = ['before-raid']),
      ['rollout.approve[0]: must be one of: before-kubernetes, before-openstack'],
    ],
    [
      'critical role not in use',
      (s) => (s.rollout.success.critical = ['control-plane', 'storage']),
      ['rollout.success.critical[1]: no machines entry has role storage'],
    ],
    [
      'raid1 with 3 drives',
      (s) => (s.raid['control-plane'].os.drives = 3),
      ['raid.control-plane.os.drives: raid1 needs exactly 2 drives, got 3'],
    ],
    [
      'raid10 with odd drives',
      (s) => (s.raid.worker.data.drives = 'largest-5'),
      ['raid.worker.data.drives: raid10 needs an even number of drives, at least 4, got 5'],
    ],
    [
      'raid10 with 2 drives',
      (s) => (s.raid.worker.data.drives = 2),
      ['raid.worker.data.drives: raid10 needs an even number of drives, at least 4, got 2'],
    ],
    [
      'raid5 with 2 drives',
      (s) => (s.raid.worker.data = { level: 'raid5', drives: 'smallest-2' }),
      ['raid.worker.data.drives: raid5 needs at least 3 drives, got 2'],
    ],
    [
      'raid6 with 3 drives',
      (s) => (s.raid.worker.data = { level: 'raid6', drives: 3 }),
      ['raid.worker.data.drives: raid6 needs at least 4 drives, got 3'],
    ],
    [
      'raid level enum',
      (s) => (s.raid.worker.data.level = 'raid50'),
      ['raid.worker.data.level: must be one of: raid0, raid1, raid5, raid6, raid10, jbod'],
    ],
    [
      'drive selector typo',
      (s) => (s.raid.worker.os.drives = 'smalest-2'),
      ['raid.worker.os.drives: must be smallest-N, largest-N, all, rest, or a number of drives'],
    ],
    [
      'drive selector wrong type',
      (s) => (s.raid.worker.os.drives = true),
      ['raid.worker.os.drives: must be smallest-N, largest-N, all, rest, or a number of drives'],
    ],
    [
      'all with another volume',
      (s) => (s.raid.worker.data.drives = 'all'),
      ['raid.worker.data.drives: all takes every drive, so it must be the only volume of the role'],
    ],
    [
      'two rest volumes',
      (s) => (s.raid.worker.os = { level: 'jbod', drives: 'rest' }),
      ['raid.worker.data.drives: rest is already used by raid.worker.os.drives'],
    ],
    [
      'raid role key unknown',
      (s) => (s.raid.compute = {}),
      ['raid.compute: key must be one of: control-plane, worker, storage'],
    ],
    [
      'wipe not boolean',
      (s) => (s.raid.worker.os.wipe = 'yes'),
      ['raid.worker.os.wipe: must be true or false'],
    ],
    [
      'openstack without release',
      (s) => delete s.openstack.release,
      ['openstack.release: is required when openstack.enabled is true'],
    ],
    [
      'openstack without services',
      (s) => (s.openstack.services = []),
      ['openstack.services: must not be empty when openstack.enabled is true'],
    ],
    [
      'openstack without kubernetes',
      (s) => delete s.kubernetes,
      ['kubernetes: is required when openstack.enabled is true'],
    ],
    [
      'chart values not an object',
      (s) => (s.openstack.values.nova = 'x'),
      ['openstack.values.nova: must be an object'],
    ],
    ['params not an object', (s) => (s.params = ['a']), ['params: must be an object']],
  ];

  it.each(cases)('%s', (_name, change, expected) => {
    expect(clusterProblems(change)).toEqual(expected);
  });

  it('reports every problem at once, sorted by path', () => {
    const problems = clusterProblems((s) => {
      s.name = 'BAD';
      s.network.vlans[0].id = 5000;
      s.network.pools.mgmt.gateway = '10.99.0.1';
      s.rollout.maxParallel = 0;
      s.rollout.success.minPercent = 150;
      s.kubernetes.serviceCidr = '10.244.0.0/16';
      s.raid.worker.data.drives = 3;
      s.extra = true;
    });
    expect(problems).toEqual([
      'extra: unknown field',
      'kubernetes.serviceCidr: overlaps podCidr 10.244.0.0/16',
      'name: must be lowercase letters, digits and hyphens (at most 63), starting and ending with a letter or digit',
      'network.pools.mgmt.gateway: 10.99.0.1 is outside 10.20.0.0/24',
      'network.vlans[0].id: must be between 1 and 4094',
      'raid.worker.data.drives: raid10 needs an even number of drives, at least 4, got 3',
      'rollout.maxParallel: must be between 1 and 10000',
      'rollout.success.minPercent: must be between 0 and 100',
    ]);
  });

  it('lets the caller prefix paths (spec.network.vlans[1].id)', () => {
    const result = validateClusterSpec({
      ...designCluster(),
      network: {
        vlans: [
          { id: 1, on: 'a' },
          { id: 4095, on: 'a' },
        ],
      },
    });
    expect(result.ok ? [] : result.problems.map((p) => formatProblem(p, 'spec'))).toEqual([
      'spec.network.vlans[1].id: must be between 1 and 4094',
    ]);
  });

  it.each([null, 'text', 42, [], true])('rejects a document that is not an object (%j)', (input) => {
    expect(messages(validateClusterSpec(input))).toEqual([
      input === null ? 'must not be null; must be an object' : 'must be an object',
    ]);
  });

  it('reports every required field of an empty object', () => {
    expect(messages(validateClusterSpec({}))).toEqual([
      'machines: is required',
      'name: is required',
      'os: is required',
    ]);
  });

  it('treats __proto__ as an unknown field without polluting prototypes', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "name": "x"}') as unknown;
    expect(messages(validateClusterSpec(input))).toContain('__proto__: unknown field');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('keeps label keys like __proto__ as own keys', () => {
    const spec = designCluster() as Doc;
    spec.machines[0].select.labels = JSON.parse('{"__proto__": "x", "pool": "control"}');
    const result = validateClusterSpec(spec);
    expect(messages(result)).toEqual([]);
    if (result.ok)
      expect(Object.keys(result.value.machines[0]?.select?.labels ?? {})).toEqual(['__proto__', 'pool']);
  });
});

describe('validateInventory problems (exact path and message)', () => {
  const cases: [string, (inv: Doc) => void, string[]][] = [
    ['missing machines', (i) => delete i.machines, ['machines: is required']],
    [
      'BMC scheme',
      (i) => (i.machines[0].bmc.address = 'http://10.0.0.1'),
      [
        'machines[0].bmc.address: scheme "http" is not supported; use one of: redfish://, redfish+https://, redfish+http://, ipmi://',
      ],
    ],
    [
      'BMC address not a URL',
      (i) => (i.machines[1].bmc.address = '10.10.0.21'),
      ['machines[1].bmc.address: must be a URL like redfish+https://10.10.0.11 or ipmi://10.10.0.21'],
    ],
    [
      'BMC port',
      (i) => (i.machines[1].bmc.address = 'ipmi://10.10.0.21:99999'),
      ['machines[1].bmc.address: port must be between 1 and 65535'],
    ],
    [
      'password instead of reference',
      (i) => (i.machines[0].bmc.credentialsRef = 'calvin'),
      [
        'machines[0].bmc.credentialsRef: must be a secret reference like secret/bmc-rack1 (never the secret itself)',
      ],
    ],
    [
      'missing credentials',
      (i) => delete i.machines[0].bmc.credentialsRef,
      ['machines[0].bmc.credentialsRef: is required'],
    ],
    [
      'old credentials key',
      (i) => (i.machines[0].bmc.credentials = 'secret/x'),
      ['machines[0].bmc.credentials: unknown field'],
    ],
    [
      'bad MAC',
      (i) => (i.machines[0].bootMac = '52:54:00:00:01'),
      ['machines[0].bootMac: must be a MAC address like 52:54:00:00:01:01'],
    ],
    [
      'MAC with dashes',
      (i) => (i.machines[0].bootMac = '52-54-00-00-01-01'),
      ['machines[0].bootMac: must be a MAC address like 52:54:00:00:01:01'],
    ],
    [
      'duplicate MAC in another case',
      (i) => (i.machines[1].bootMac = '52:54:00:00:01:01'.toUpperCase()),
      ['machines[1].bootMac: duplicate boot MAC "52:54:00:00:01:01" (also machines[0].bootMac)'],
    ],
    [
      'duplicate name',
      (i) => (i.machines[1].name = 'r1-cp-01'),
      ['machines[1].name: duplicate machine name "r1-cp-01" (also machines[0].name)'],
    ],
    [
      'duplicate BMC',
      (i) => (i.machines[1].bmc.address = 'redfish+https://10.10.0.11'),
      [
        'machines[1].bmc.address: duplicate BMC address "redfish+https://10.10.0.11" (also machines[0].bmc.address)',
      ],
    ],
    [
      'expect cores zero',
      (i) => (i.machines[0].expect.cpuCores = 0),
      ['machines[0].expect.cpuCores: must be at least 1'],
    ],
    [
      'expect unknown key',
      (i) => (i.machines[0].expect.gpus = 2),
      ['machines[0].expect.gpus: unknown field'],
    ],
    [
      'label value not a string',
      (i) => (i.machines[0].labels.pool = 3),
      ['machines[0].labels.pool: must be a string'],
    ],
    [
      'position range',
      (i) => (i.machines[0].position = 0),
      ['machines[0].position: must be between 1 and 100'],
    ],
    [
      'insecureTls type',
      (i) => (i.machines[0].bmc.insecureTls = 'true'),
      ['machines[0].bmc.insecureTls: must be true or false'],
    ],
  ];

  it.each(cases)('%s', (_name, change, expected) => {
    expect(inventoryProblems(change)).toEqual(expected);
  });

  it('reports holes in sparse arrays from JS callers instead of crashing', () => {
    const machines: unknown[] = [];
    machines[1] = (designInventory()['machines'] as unknown[])[0];
    expect(messages(validateInventory({ machines }))).toEqual(['machines[0]: must be an object']);
  });

  it('lowercases MACs', () => {
    const inventory = designInventory() as Doc;
    inventory.machines[0].bootMac = 'AA:BB:CC:DD:EE:0F';
    const result = validateInventory(inventory);
    expect(result.ok && result.value.machines[0]?.bootMac).toBe('aa:bb:cc:dd:ee:0f');
  });

  it('reports problems in several machines at once', () => {
    expect(
      inventoryProblems((i) => {
        i.machines[0].bmc = {};
        i.machines[1].name = 'R1';
        i.machines.push('not a machine');
      }),
    ).toEqual([
      'machines[0].bmc.address: is required',
      'machines[0].bmc.credentialsRef: is required',
      'machines[1].name: must be lowercase letters, digits and hyphens (at most 63), starting and ending with a letter or digit',
      'machines[2]: must be an object',
    ]);
  });
});

describe('validateProfile', () => {
  it('accepts a profile and defaults its params', () => {
    expect(validateProfile({ name: 'hardened' })).toEqual({
      ok: true,
      value: { name: 'hardened', params: {} },
    });
  });
  it('reports every problem', () => {
    expect(messages(validateProfile({ name: 'Hardened', params: [], extra: 1 }))).toEqual([
      'extra: unknown field',
      'name: must be lowercase letters, digits and hyphens (at most 63), starting and ending with a letter or digit',
      'params: must be an object',
    ]);
  });
});

describe('from files to per-machine params', () => {
  it('validates, resolves roles and merges params for each machine of the DESIGN.md example', () => {
    const inventory = designInventory() as Doc;
    inventory.machines[1].params = { ntp: ['10.9.9.9'], kernel: { hugepages: 1024 } };
    const machines = validateInventory(inventory);
    const cluster = validateClusterSpec({ ...designCluster(), profile: 'hardened' });
    const profile = validateProfile({
      name: 'hardened',
      params: { kernel: { lockdown: true }, sshKeys: null },
    });
    if (!machines.ok || !cluster.ok || !profile.ok) throw new Error('fixtures must validate');
    const membership = resolveClusterMachines(cluster.value, machines.value.machines);
    if (!membership.ok) throw new Error('fixtures must resolve');
    const perMachine = membership.value.assignments.map((a) => ({
      name: a.machine.name,
      role: a.role,
      ...mergeParams({
        global: { ntp: ['pool.ntp.org'], sshKeys: ['secret/global-keys'] },
        profile: profile.value.params,
        cluster: cluster.value.params,
        machine: a.machine.params,
      }),
    }));
    expect(perMachine).toEqual([
      {
        name: 'r1-cp-01',
        role: 'control-plane',
        params: { ntp: ['10.20.0.2'], kernel: { lockdown: true }, sshKeys: ['secret/ops-keys'] },
        sources: { ntp: 'cluster', kernel: 'profile', sshKeys: 'cluster' },
        contributors: { ntp: ['cluster'], kernel: ['profile'], sshKeys: ['cluster'] },
      },
      {
        name: 'r1-w-01',
        role: 'worker',
        params: {
          ntp: ['10.9.9.9'],
          kernel: { lockdown: true, hugepages: 1024 },
          sshKeys: ['secret/ops-keys'],
        },
        sources: { ntp: 'machine', kernel: 'machine', sshKeys: 'cluster' },
        contributors: { ntp: ['machine'], kernel: ['profile', 'machine'], sshKeys: ['cluster'] },
      },
    ]);
  });
});

describe('validateHardwareInventory', () => {
  const found = {
    cpu: { model: 'Xeon', cores: 32, sockets: 2 },
    memoryMiB: 262144,
    drives: [{ id: 'd0', sizeBytes: 960e9, mediaType: 'SSD' }],
    nics: [{ id: 'n0', mac: '52:54:00:00:01:01' }],
  };
  it('accepts a driver report', () => {
    expect(messages(validateHardwareInventory(found))).toEqual([]);
  });
  it('reports bad media types and duplicate MACs', () => {
    expect(
      messages(
        validateHardwareInventory({
          ...found,
          drives: [{ id: 'd0', sizeBytes: 1, mediaType: 'Tape' }],
          nics: [...found.nics, { id: 'n1', mac: '52:54:00:00:01:01' }],
        }),
      ),
    ).toEqual([
      'drives[0].mediaType: must be one of: HDD, SSD, NVMe, Unknown',
      'nics[1].mac: duplicate MAC "52:54:00:00:01:01" (also nics[0].mac)',
    ]);
  });
});
