import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RoleError } from '@plinth/contracts';
import type { NetworkPlan } from '@plinth/domain';
import { poolInterfaces, renderNetplan, type NetplanRenderInput } from './render-netplan';

/**
 * Golden files for the netplan renderer, each also checked by the real validator:
 * `netplan generate --root-dir` (Debian's netplan.io), which must accept it and write the
 * systemd-networkd units asserted below. `UPDATE_GOLDEN=1` rewrites the golden files.
 */
const GOLDEN = join(__dirname, 'golden');
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const NICS = [
  { name: 'eno1', mac: '52:54:00:AA:00:01' },
  { name: 'eno2', mac: '52:54:00:aa:00:02' },
  { name: 'eno3', mac: '52:54:00:aa:00:03' },
];

const empty: NetworkPlan = { bonds: [], vlans: [], pools: {}, dns: [], ntp: [] };

const CASES: Record<string, NetplanRenderInput> = {
  // The DESIGN.md example: LACP bond, management VLAN from a pool with a gateway.
  'lacp-bond-vlan': {
    plan: {
      ...empty,
      bonds: [{ name: 'bond0', mode: '802.3ad', interfaces: ['eno1', 'eno2'], mtu: 9000 }],
      vlans: [{ id: 120, on: 'bond0', name: 'mgmt', addresses: 'pool/mgmt' }],
      pools: { mgmt: { cidr: '10.20.0.0/24', gateway: '10.20.0.1', range: '10.20.0.50-10.20.0.200' } },
      dns: ['10.20.0.2', '10.20.0.3'],
      ntp: ['10.20.0.2'],
    },
    nics: NICS,
    addresses: [{ interfaceName: 'mgmt', pool: 'mgmt', address: '10.20.0.50', prefix: 24 }],
    bootNic: 'eno1',
  },
  // Active-backup on DHCP, a storage VLAN straight on a NIC, gateway from network.gateway.
  'active-backup-dhcp': {
    plan: {
      ...empty,
      bonds: [{ name: 'bond0', mode: 'active-backup', interfaces: ['eno1', 'eno2'], addresses: 'dhcp' }],
      vlans: [{ id: 300, on: 'eno3', name: 'eno3.300', addresses: 'pool/storage', mtu: 9000 }],
      pools: { storage: { cidr: '10.30.0.0/16' } },
      gateway: '10.30.0.1',
      dns: ['1.1.1.1'],
    },
    nics: NICS,
    addresses: [{ interfaceName: 'eno3.300', pool: 'storage', address: '10.30.0.7', prefix: 16 }],
    bootNic: 'eno1',
  },
  // A static bond with two VLANs; the boot NIC is not in the plan and keeps DHCP.
  'static-bond-two-vlans': {
    plan: {
      ...empty,
      bonds: [{ name: 'bond1', mode: '802.3ad', interfaces: ['eno2', 'eno3'], addresses: 'pool/host' }],
      vlans: [
        { id: 120, on: 'bond1', name: 'mgmt', addresses: 'pool/mgmt' },
        { id: 130, on: 'bond1', name: 'tenant' },
      ],
      pools: {
        host: { cidr: '10.40.0.0/24', gateway: '10.40.0.1' },
        mgmt: { cidr: '10.20.0.0/24', gateway: '10.20.0.1' },
      },
      dns: [],
    },
    nics: NICS,
    addresses: [
      { interfaceName: 'bond1', pool: 'host', address: '10.40.0.9', prefix: 24 },
      { interfaceName: 'mgmt', pool: 'mgmt', address: '10.20.0.9', prefix: 24 },
    ],
    bootNic: 'eno1',
  },
};

function netplanGenerate(yaml: string): {
  status: number | null;
  stderr: string;
  files: Record<string, string>;
} {
  const root = mkdtempSync(join(tmpdir(), 'plinth-netplan-'));
  roots.push(root);
  mkdirSync(join(root, 'etc/netplan'), { recursive: true });
  const file = join(root, 'etc/netplan/60-plinth.yaml');
  writeFileSync(file, yaml);
  chmodSync(file, 0o600);
  const result = spawnSync('netplan', ['generate', '--root-dir', root], { encoding: 'utf8' });
  if (result.error)
    throw new Error(`netplan is needed for this test (apt-get install netplan.io): ${result.error.message}`);
  const dir = join(root, 'run/systemd/network');
  const files: Record<string, string> = {};
  try {
    for (const name of readdirSync(dir)) files[name] = readFileSync(join(dir, name), 'utf8');
  } catch {
    // nothing generated
  }
  return { status: result.status, stderr: result.stderr, files };
}

describe('renderNetplan golden files', () => {
  it.each(Object.keys(CASES))('%s matches its golden file and netplan generate accepts it', (name) => {
    const rendered = renderNetplan(CASES[name]!);
    const golden = join(GOLDEN, `${name}.yaml`);
    if (process.env['UPDATE_GOLDEN'] === '1') {
      mkdirSync(GOLDEN, { recursive: true });
      writeFileSync(golden, rendered.yaml);
    }
    expect(rendered.yaml).toBe(readFileSync(golden, 'utf8'));
    // Deterministic: the hash says whether a host already runs it.
    expect(renderNetplan(CASES[name]!).sha256).toBe(rendered.sha256);

    const generated = netplanGenerate(rendered.yaml);
    expect(generated.stderr).toBe('');
    expect(generated.status).toBe(0);
    expect(Object.keys(generated.files).length).toBeGreaterThan(0);
  });

  it('produces the networkd bond, VLAN, address and route netplan would run (lacp-bond-vlan)', () => {
    const rendered = renderNetplan(CASES['lacp-bond-vlan']!);
    const { files } = netplanGenerate(rendered.yaml);
    expect(files['10-netplan-bond0.netdev']).toMatch(
      /Kind=bond[\s\S]*Mode=802\.3ad[\s\S]*LACPTransmitRate=fast[\s\S]*TransmitHashPolicy=layer3\+4/,
    );
    expect(files['10-netplan-mgmt.netdev']).toMatch(/Kind=vlan[\s\S]*Id=120/);
    expect(files['10-netplan-mgmt.network']).toMatch(/Address=10\.20\.0\.50\/24/);
    expect(files['10-netplan-mgmt.network']).toMatch(
      /\[Route\]\nDestination=0\.0\.0\.0\/0\nGateway=10\.20\.0\.1/,
    );
    expect(files['10-netplan-mgmt.network']).toMatch(/DNS=10\.20\.0\.2\nDNS=10\.20\.0\.3/);
    expect(files['10-netplan-eno1.network']).toMatch(/Bond=bond0/);
    expect(files['10-netplan-eno1.link']).toMatch(/MACAddress=52:54:00:aa:00:01[\s\S]*Name=eno1/);
    expect(rendered).toMatchObject({ gateway: '10.20.0.1', ntp: ['10.20.0.2'] });
    expect(rendered.expected).toEqual([
      { name: 'eno1', kind: 'ethernet', addresses: [], dhcp: false },
      { name: 'eno2', kind: 'ethernet', addresses: [], dhcp: false },
      { name: 'bond0', kind: 'bond', members: ['eno1', 'eno2'], addresses: [], dhcp: false },
      { name: 'mgmt', kind: 'vlan', parent: 'bond0', addresses: ['10.20.0.50/24'], dhcp: false },
    ]);
  });

  it('the validator is real: it rejects a malformed address with its position', () => {
    const rendered = renderNetplan(CASES['lacp-bond-vlan']!);
    const broken = netplanGenerate(rendered.yaml.replace('10.20.0.50/24', '10.20.0.50/33'));
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toMatch(
      /60-plinth\.yaml:\d+:\d+: Error in network definition: invalid prefix length in address '10\.20\.0\.50\/33'/,
    );
  });

  it('passes yamllint', () => {
    for (const name of Object.keys(CASES)) {
      const output = execFileSync(
        'yamllint',
        [
          '-f',
          'parsable',
          '-d',
          '{extends: default, rules: {line-length: disable, document-start: disable}}',
          join(GOLDEN, `${name}.yaml`),
        ],
        { encoding: 'utf8' },
      );
      expect(output).toBe('');
    }
  });
});

describe('renderNetplan errors', () => {
  const base = CASES['lacp-bond-vlan']!;
  const problem = (input: NetplanRenderInput): string => {
    try {
      renderNetplan(input);
    } catch (error) {
      expect(error).toBeInstanceOf(RoleError);
      expect((error as RoleError).code).toBe('TemplateError');
      return (error as Error).message;
    }
    throw new Error('expected a TemplateError');
  };

  it('names a NIC the machine lacks', () => {
    expect(problem({ ...base, nics: NICS.slice(0, 1) })).toBe(
      'Network plan: bond bond0 uses NIC eno2, but the machine has eno1',
    );
  });

  it('needs an allocated address for every pool interface', () => {
    expect(problem({ ...base, addresses: [] })).toBe(
      'Network plan: no address was allocated for mgmt from pool mgmt; run allocateAddresses first',
    );
  });

  it('refuses a gateway on none of the machine networks', () => {
    const plan = { ...base.plan, pools: { mgmt: { cidr: '10.20.0.0/24' } }, gateway: '192.168.1.1' };
    expect(problem({ ...base, plan })).toBe(
      "Network plan: gateway 192.168.1.1 is on none of this machine's networks (10.20.0.0/24)",
    );
  });

  it('lists the interfaces that need pool addresses', () => {
    expect(poolInterfaces(CASES['static-bond-two-vlans']!.plan)).toEqual([
      { interfaceName: 'bond1', pool: 'host' },
      { interfaceName: 'mgmt', pool: 'mgmt' },
    ]);
  });
});
