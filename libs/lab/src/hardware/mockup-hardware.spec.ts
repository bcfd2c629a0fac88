import { describe, expect, it } from 'vitest';
import { hardwareFromMockup } from './mockup-hardware';

describe('hardwareFromMockup', () => {
  it('reads dmtf-public-localstorage as the mockup describes it', () => {
    const hardware = hardwareFromMockup('dmtf-public-localstorage');
    expect(hardware).toMatchObject({
      manufacturer: 'Contoso',
      model: '3500RX',
      serial: '437XR1138R2',
      // CPU2 and DIMM4 are listed but Absent.
      cpu: {
        model: 'Multi-Core Intel(R) Xeon(R) processor 7xxx Series',
        sockets: 1,
        coresPerSocket: 8,
        threadsPerCore: 2,
      },
      memory: { dimms: 3, dimmMiB: 32768 },
      biosVersion: 'P79 v1.33 (02/28/2015)',
    });
    expect(hardware.drives.map((drive) => drive.id)).toEqual([
      '35D38F11ACEF7BD3',
      '3F5A8C54207B7233',
      '32ADF365C6C1B7BD',
      '3D58ECBC375FD9F2',
    ]);
    expect(hardware.drives.find((drive) => drive.id === '32ADF365C6C1B7BD')).toMatchObject({
      model: 'C123',
      serial: '1234570',
      capacityBytes: 899527000064,
      media: 'HDD',
      failed: false,
    });
    expect(hardware.nics).toEqual([
      { id: '1', mac: '12:44:6a:3b:04:11', speedMbps: 1000 },
      { id: '2', mac: 'aa:bb:cc:dd:ee:00', speedMbps: 1000 },
    ]);
    expect(hardware.biosAttributes).toMatchObject({ BootMode: 'Uefi', ProcCoreDisable: 0 });
  });

  it('reads dmtf-public-rackmount1: SimpleStorage devices, no VLAN or host-interface NICs, no FPGA as a CPU', () => {
    const hardware = hardwareFromMockup('dmtf-public-rackmount1');
    expect(hardware.serial).toBe('437XR1138R2');
    expect(hardware.cpu.sockets).toBe(1);
    expect(hardware.drives.map((drive) => [drive.id, drive.capacityBytes])).toEqual([
      ['SATA Bay 1', 8000000000000],
      ['SATA Bay 2', 4000000000000],
    ]);
    expect(hardware.nics.map((nic) => nic.id)).toEqual(['12446A3B0411', '12446A3B8890']);
  });

  it('returns a fresh object each time', () => {
    const first = hardwareFromMockup('dmtf-public-localstorage');
    const drive = first.drives[0];
    if (drive) drive.failed = true;
    expect(hardwareFromMockup('dmtf-public-localstorage').drives[0]?.failed).toBe(false);
  });
});
