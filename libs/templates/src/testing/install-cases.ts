import type { ClusterSpec, HardwareInventory, Machine, MachineRole } from '@plinth/domain';
import type { BootEndpoints, InstallSubject } from '../context';

/**
 * Install configs that exercise every template and snippet: each OS family with DHCP and with a
 * static address, hardware-RAID LVM and software RAID1, mirrors, proxies, the hardened profile.
 * Golden files and the validator suite render the same cases.
 */

export const KEYS = {
  ops: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMuXv1fuTWQjx4wtFwWNGnY6+P39OOMMVzvYXdcS3rMi ops@plinth',
  oncall: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEHFQG6sVIPs+tQTL7isafTgPNZNEWaSlC03ffu75eTK oncall@plinth',
  site: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDvtBZxIO83rkH6wFrremJNXVaXQzwWEkncBTY/Gbu99 site-a',
};

/** crypt(3) SHA-512 of "plinth-test". */
export const PASSWORD_HASH =
  '$6$saltsalt$EGUXyRDufL/drIbAM8U8PWq6fyEnq.YcyTs43pt.ahE/OvmNNV.0u..m.m/c8c7DhwS23Reanw1uPfrKTWnfu0';

/** Fixed endpoints and tokens, so renders are byte-for-byte reproducible. */
export const GOLDEN_ENDPOINTS: BootEndpoints = {
  publicBaseUrl: 'http://10.0.0.2:3000',
  configId: '00000000-0000-4000-8000-000000000001',
  configToken: 'cfgTOKEN0000000000000000000000000000000000',
  callbackToken: 'cbTOKEN00000000000000000000000000000000000',
};

export function machine(name: string, bootMac: string, extra: Partial<Machine> = {}): Machine {
  return {
    name,
    bmc: { address: 'redfish+http://127.1.0.1:8000', credentialsRef: 'secret/lab-bmc' },
    bootMac,
    labels: {},
    ...extra,
  };
}

export function hardware(drives: { id: string; serial: string; sizeBytes: number }[]): HardwareInventory {
  return {
    cpu: { model: 'Lab CPU', cores: 16, sockets: 2 },
    memoryMiB: 65536,
    drives: drives.map((drive) => ({ ...drive, mediaType: 'SSD' as const })),
    nics: [
      { id: 'eno1', mac: '52:54:00:aa:00:01' },
      { id: 'eno2', mac: '52:54:00:bb:00:01' },
    ],
  };
}

export function cluster(
  os: ClusterSpec['os'],
  options: { raid?: ClusterSpec['raid']; dns?: string[]; ntp?: string[]; gateway?: string } = {},
): InstallSubject['cluster'] {
  return {
    name: 'edge-1',
    os,
    network: {
      bonds: [],
      vlans: [],
      pools: {},
      dns: options.dns ?? ['10.20.0.2'],
      ntp: options.ntp ?? ['10.20.0.2', 'ntp.example.org'],
      ...(options.gateway ? { gateway: options.gateway } : {}),
    },
    raid: options.raid ?? {},
  };
}

const RAID1_OS = (role: MachineRole): ClusterSpec['raid'] => ({
  [role]: {
    os: { level: 'raid1', drives: 'smallest-2', wipe: false },
    data: { level: 'raid10', drives: 'rest', wipe: false },
  },
});

export interface InstallCase {
  name: string;
  subject: InstallSubject;
}

export const INSTALL_CASES: InstallCase[] = [
  {
    name: 'ubuntu-dhcp-lvm',
    subject: {
      machine: machine('r1-cp-01', '52:54:00:aa:00:01', { serial: 'SN-0001', rack: 'r1' }),
      role: 'control-plane',
      cluster: cluster({ family: 'ubuntu', version: '24.04' }, { raid: RAID1_OS('control-plane') }),
      params: { sshKeys: [KEYS.ops, `${KEYS.oncall}\n${KEYS.site}`], packages: ['vim', 'jq'] },
    },
  },
  {
    name: 'ubuntu-static-raid1-hardened',
    subject: {
      machine: machine('r1-w-02', '52:54:00:aa:00:02'),
      role: 'worker',
      cluster: cluster(
        { family: 'ubuntu', version: '22.04', profile: 'hardened' },
        { raid: RAID1_OS('worker') },
      ),
      params: {
        sshKeys: [KEYS.ops],
        passwordHash: PASSWORD_HASH,
        user: 'ops',
        domain: 'lab.example',
        mirror: 'https://mirror.example/ubuntu',
        proxy: 'http://proxy.example:3128',
        kernelArgs: ['console=ttyS0,115200n8'],
        sshPort: 2222,
        storage: { softwareRaid: true },
      },
      hardware: hardware([
        { id: 'Disk.Bay.0', serial: 'S4-SMALL-A', sizeBytes: 480e9 },
        { id: 'Disk.Bay.1', serial: 'S4-SMALL-B', sizeBytes: 480e9 },
        { id: 'Disk.Bay.2', serial: 'S4-BIG-C', sizeBytes: 3.84e12 },
      ]),
      bootAddress: { cidr: '10.20.0.52/24', gateway: '10.20.0.1' },
    },
  },
  {
    name: 'debian-dhcp-lvm',
    subject: {
      machine: machine('r2-w-01', '52:54:00:aa:00:03'),
      role: 'worker',
      cluster: cluster({ family: 'debian', version: '12' }, { ntp: [] }),
      params: { sshKeys: [KEYS.ops] },
    },
  },
  {
    name: 'debian-static-osdisk-mirror',
    subject: {
      machine: machine('r2-s-01', '52:54:00:aa:00:04'),
      role: 'storage',
      cluster: cluster(
        { family: 'debian', version: '12', profile: 'hardened' },
        { raid: RAID1_OS('storage') },
      ),
      params: {
        sshKeys: [KEYS.ops, KEYS.oncall],
        installAddress: '10.20.0.54/24',
        installGateway: '10.20.0.1',
        domain: 'lab.example',
        mirror: 'https://mirror.example/debian',
        proxy: 'http://proxy.example:3128',
        timezone: 'Europe/Paris',
        packages: ['lvm2'],
        storage: { osDisk: '/dev/sdb' },
      },
    },
  },
  {
    name: 'rocky-dhcp-lvm',
    subject: {
      machine: machine('r3-cp-01', '52:54:00:aa:00:05'),
      role: 'control-plane',
      cluster: cluster({ family: 'rocky', version: '9.4' }, { raid: RAID1_OS('control-plane') }),
      params: { sshKeys: [KEYS.ops], packages: ['vim-enhanced'] },
    },
  },
  {
    name: 'rocky-static-raid1-hardened',
    subject: {
      machine: machine('r3-w-01', '52:54:00:aa:00:06'),
      role: 'worker',
      cluster: cluster(
        { family: 'rocky', version: '9.4', profile: 'hardened' },
        { raid: RAID1_OS('worker'), gateway: '10.20.0.1' },
      ),
      params: {
        sshKeys: [KEYS.ops],
        passwordHash: PASSWORD_HASH,
        installAddress: '10.20.0.56/24',
        proxy: 'http://proxy.example:3128',
        storage: { softwareRaid: true },
      },
      hardware: hardware([
        { id: 'Disk.Bay.0', serial: 'S4-SMALL-A', sizeBytes: 480e9 },
        { id: 'Disk.Bay.1', serial: 'S4-SMALL-B', sizeBytes: 960e9 },
        { id: 'Disk.Bay.2', serial: 'S4-BIG-C', sizeBytes: 3.84e12 },
        { id: 'Disk.Bay.3', serial: 'S4-BIG-D', sizeBytes: 3.84e12 },
      ]),
    },
  },
  {
    name: 'rhel8-osdisk-mirror',
    subject: {
      machine: machine('r3-w-02', '52:54:00:aa:00:07'),
      role: 'worker',
      cluster: cluster({ family: 'rhel', version: '8.10' }),
      params: {
        sshKeys: [KEYS.ops],
        mirror: 'http://mirror.example/rhel/8.10/BaseOS/x86_64/os',
        storage: { osDisk: '/dev/nvme0n1' },
      },
    },
  },
];
