import { describe, expect, it } from 'vitest';
import {
  compareHardware,
  expectedHardwareOf,
  parseBmcAddress,
  type HardwareInventory,
  type Machine,
} from './machine';

const inventory = (): HardwareInventory => ({
  cpu: { model: 'Intel Xeon Gold 6338', cores: 32, sockets: 2 },
  memoryMiB: 262144,
  drives: [
    { id: 'Disk.Bay.0', sizeBytes: 960_000_000_000, mediaType: 'SSD' },
    { id: 'Disk.Bay.1', sizeBytes: 960_000_000_000, mediaType: 'SSD' },
  ],
  nics: [
    { id: 'NIC.1', mac: '52:54:00:00:01:01', linkUp: true },
    { id: 'NIC.2', mac: '52:54:00:00:01:02' },
  ],
  serial: 'SN123',
});

const machine: Machine = {
  name: 'r1-cp-01',
  serial: 'SN123',
  bmc: { address: 'redfish+https://10.10.0.11', credentialsRef: 'secret/bmc-rack1' },
  bootMac: '52:54:00:00:01:01',
  labels: {},
  expect: { cpuCores: 32, memoryMiB: 262144, disks: 2, diskMinSizeBytes: 500_000_000_000 },
};

describe('compareHardware', () => {
  it('finds no difference when everything matches (MACs compared case-insensitively)', () => {
    expect(
      compareHardware(
        { ...expectedHardwareOf(machine), bootMac: '52:54:00:00:01:01'.toUpperCase() },
        inventory(),
      ),
    ).toEqual([]);
  });

  it('checks nothing that is not expected', () => {
    const found = inventory();
    found.cpu.cores = 1;
    expect(compareHardware({}, found)).toEqual([]);
  });

  it('lists every difference, not just the first', () => {
    const found: HardwareInventory = {
      ...inventory(),
      cpu: { model: 'Intel Xeon Silver 4314', cores: 16, sockets: 1 },
      memoryMiB: 196608,
      drives: [
        { id: 'Disk.Bay.0', sizeBytes: 240_000_000_000, mediaType: 'SSD' },
        { id: 'Disk.Bay.1', sizeBytes: 960_000_000_000, mediaType: 'SSD' },
        { id: 'Disk.Bay.2', sizeBytes: 120_000_000_000, mediaType: 'HDD' },
      ],
      nics: [{ id: 'NIC.1', mac: '52:54:00:00:09:09' }],
      serial: 'OTHER',
    };
    expect(compareHardware(expectedHardwareOf(machine), found)).toEqual([
      {
        field: 'serial',
        expected: 'SN123',
        found: 'OTHER',
        message: 'expected serial SN123, found OTHER: is the BMC address pointing at the right machine?',
      },
      {
        field: 'bootMac',
        expected: '52:54:00:00:01:01',
        found: '52:54:00:00:09:09',
        message:
          'boot MAC 52:54:00:00:01:01 is not among the discovered NICs (52:54:00:00:09:09): correct bootMac in the inventory',
      },
      {
        field: 'cpuCores',
        expected: 32,
        found: 16,
        message: 'expected 32 CPU cores, found 16 (1 socket(s) of Intel Xeon Silver 4314)',
      },
      {
        field: 'memoryMiB',
        expected: 262144,
        found: 196608,
        message: 'expected 262144 MiB (256 GiB) of memory, found 196608 MiB (192 GiB)',
      },
      { field: 'disks', expected: 2, found: 3, message: 'expected 2 drive(s), found 3' },
      {
        field: 'diskMinSizeBytes',
        expected: 500_000_000_000,
        found: 240_000_000_000,
        driveId: 'Disk.Bay.0',
        message:
          'drive Disk.Bay.0 has 240000000000 bytes (240.0 GB), smaller than the expected minimum of 500000000000 bytes (500.0 GB)',
      },
      {
        field: 'diskMinSizeBytes',
        expected: 500_000_000_000,
        found: 120_000_000_000,
        driveId: 'Disk.Bay.2',
        message:
          'drive Disk.Bay.2 has 120000000000 bytes (120.0 GB), smaller than the expected minimum of 500000000000 bytes (500.0 GB)',
      },
    ]);
  });

  it('reports a missing serial and no NICs in words', () => {
    const found = { ...inventory(), serial: undefined, nics: [] };
    expect(
      compareHardware({ serial: 'SN1', bootMac: 'aa:bb:cc:dd:ee:ff' }, found).map((d) => d.message),
    ).toEqual([
      'expected serial SN1, found none: is the BMC address pointing at the right machine?',
      'boot MAC aa:bb:cc:dd:ee:ff is not among the discovered NICs (none found): correct bootMac in the inventory',
    ]);
  });
});

describe('parseBmcAddress', () => {
  it.each([
    ['redfish://10.0.0.1', { scheme: 'redfish', driver: 'redfish', transport: 'https', host: '10.0.0.1' }],
    [
      'redfish+https://bmc.r1.example:8443/redfish/v1/Systems/1',
      {
        scheme: 'redfish+https',
        driver: 'redfish',
        transport: 'https',
        host: 'bmc.r1.example',
        port: 8443,
        path: '/redfish/v1/Systems/1',
      },
    ],
    [
      'redfish+http://127.0.0.5:8000',
      { scheme: 'redfish+http', driver: 'redfish', transport: 'http', host: '127.0.0.5', port: 8000 },
    ],
    [
      'ipmi://10.0.0.2:623',
      { scheme: 'ipmi', driver: 'ipmi', transport: 'udp', host: '10.0.0.2', port: 623 },
    ],
  ])('reads %s', (address, expected) => {
    expect(parseBmcAddress(address)).toEqual(expected);
  });

  it.each([
    [
      'https://10.0.0.1',
      'scheme "https" is not supported; use one of: redfish://, redfish+https://, redfish+http://, ipmi://',
    ],
    ['ipmi://', 'must be a URL like redfish+https://10.10.0.11 or ipmi://10.10.0.21'],
    ['ipmi://10.0.0.1:0', 'port must be between 1 and 65535'],
    ['ipmi://user:pass@10.0.0.1', 'must be a URL like redfish+https://10.10.0.11 or ipmi://10.10.0.21'],
  ])('rejects %s', (address, reason) => {
    expect(parseBmcAddress(address)).toBe(reason);
  });
});
