import { describe, expect, it } from 'vitest';
import { createHardware, HARDWARE_PROFILES } from './hardware-profiles';
import { labMac, MAX_LAB_MACHINES } from './lab-identity';

describe('createHardware', () => {
  it('is deterministic: the same profile and index give the same hardware', () => {
    expect(createHardware('compute-1u', 42)).toEqual(createHardware('compute-1u', 42));
    expect(createHardware('compute-1u', 42)).not.toEqual(createHardware('compute-1u', 43));
  });

  it('gives 1,000 machines distinct serials, MACs and drive serials', () => {
    const machines = Array.from({ length: 1000 }, (_, index) =>
      createHardware(HARDWARE_PROFILES[index % HARDWARE_PROFILES.length] ?? 'compute-1u', index),
    );
    const serials = machines.map((hardware) => hardware.serial);
    const macs = machines.flatMap((hardware) => hardware.nics.map((nic) => nic.mac));
    const driveSerials = machines.flatMap((hardware) => hardware.drives.map((drive) => drive.serial));
    expect(new Set(serials).size).toBe(serials.length);
    expect(new Set(macs).size).toBe(macs.length);
    expect(new Set(driveSerials).size).toBe(driveSerials.length);
  });

  it('derives MACs 52:54:00:xx:xx:xx from the index, lowercase, eno1 first as the boot NIC', () => {
    const hardware = createHardware('control-1u', 0x012345);
    expect(hardware.nics.map((nic) => nic.id)).toEqual(['eno1', 'eno2']);
    expect(hardware.nics.map((nic) => nic.mac)).toEqual(['52:54:00:04:8d:14', '52:54:00:04:8d:15']);
    for (const nic of hardware.nics) expect(nic.mac).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
  });

  it('puts two small SSD boot drives in bays 0 and 1, data drives after them', () => {
    for (const profile of HARDWARE_PROFILES) {
      const { drives } = createHardware(profile, 3);
      expect(drives.slice(0, 2).map((drive) => [drive.id, drive.media])).toEqual([
        ['Disk.Bay.0', 'SSD'],
        ['Disk.Bay.1', 'SSD'],
      ]);
      expect(drives[0]?.capacityBytes).toBeLessThan(10 ** 12);
      const data = drives.slice(2);
      expect(data.length).toBeGreaterThan(0);
      expect(data.every((drive) => drive.capacityBytes > (drives[0]?.capacityBytes ?? 0))).toBe(true);
      expect(drives.every((drive) => !drive.failed)).toBe(true);
    }
  });

  it('gives storage-2u 8 data drives by default, and the number asked for', () => {
    expect(createHardware('storage-2u', 1).drives.filter((drive) => drive.media === 'HDD')).toHaveLength(8);
    const twelve = createHardware('storage-2u', 1, { dataDrives: 12 });
    expect(twelve.drives).toHaveLength(14);
    expect(twelve.drives.at(-1)?.id).toBe('Disk.Bay.13');
    expect(() => createHardware('storage-2u', 1, { dataDrives: 40 })).toThrow(/data bays/);
    expect(() => createHardware('control-1u', 1, { dataDrives: -1 })).toThrow(RangeError);
  });

  it('differs by profile in CPU and memory', () => {
    const control = createHardware('control-1u', 1);
    const compute = createHardware('compute-1u', 1);
    expect(compute.cpu.sockets * compute.cpu.coresPerSocket).toBeGreaterThan(
      control.cpu.sockets * control.cpu.coresPerSocket,
    );
    expect(compute.memory.dimms * compute.memory.dimmMiB).toBeGreaterThan(
      control.memory.dimms * control.memory.dimmMiB,
    );
  });

  it('has a BIOS version and the attributes roles change', () => {
    const hardware = createHardware('compute-1u', 5);
    expect(hardware.biosVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.keys(hardware.biosAttributes)).toEqual(
      expect.arrayContaining(['BootMode', 'ProcVirtualization', 'SriovGlobalEnable', 'WorkloadProfile']),
    );
  });

  it('returns fresh objects: failing a drive of one machine leaves another untouched', () => {
    const first = createHardware('storage-2u', 9);
    const second = createHardware('storage-2u', 9);
    const drive = first.drives[3];
    if (drive) drive.failed = true;
    expect(second.drives[3]?.failed).toBe(false);
  });

  it('refuses indexes the MAC space cannot hold', () => {
    expect(() => createHardware('compute-1u', MAX_LAB_MACHINES)).toThrow(RangeError);
    expect(() => createHardware('compute-1u', -1)).toThrow(RangeError);
    expect(() => labMac(0, 4)).toThrow(RangeError);
    expect(labMac(MAX_LAB_MACHINES - 1, 3)).toBe('52:54:00:ff:ff:ff');
  });
});
