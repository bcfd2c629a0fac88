import { describe, expect, it } from 'vitest';
import { checkTopology, defaultTopology, rackLayout, RACK_UNITS } from './topology';

describe('default lab topology', () => {
  it('makes the first three machines control planes and the rest workers', () => {
    const specs = defaultTopology({ machines: 5 });
    expect(specs.map((spec) => [spec.name, spec.hardware, spec.labels['pool'], spec.bmc])).toEqual([
      ['lab-cp-1', 'control-1u', 'control', 'redfish'],
      ['lab-cp-2', 'control-1u', 'control', 'redfish'],
      ['lab-cp-3', 'control-1u', 'control', 'redfish'],
      ['lab-w-1', 'compute-1u', 'worker', 'redfish'],
      ['lab-w-2', 'compute-1u', 'worker', 'redfish'],
    ]);
    expect(defaultTopology({ machines: 2 }).map((spec) => spec.name)).toEqual(['lab-cp-1', 'lab-cp-2']);
  });

  it('gives IPMI BMCs to the last machines, then adds storage and mockup machines', () => {
    const specs = defaultTopology({ machines: 4, ipmi: 2, storage: 2, storageDataDrives: 12, mockups: true });
    expect(specs.map((spec) => `${spec.name}:${spec.bmc}`)).toEqual([
      'lab-cp-1:redfish',
      'lab-cp-2:redfish',
      'lab-cp-3:ipmi',
      'lab-w-1:ipmi',
      'lab-st-1:redfish',
      'lab-st-2:redfish',
      'lab-dmtf-rackmount1:redfish',
      'lab-dmtf-localstorage:redfish',
    ]);
    expect(specs[4]).toMatchObject({ hardware: 'storage-2u', dataDrives: 12, labels: { pool: 'storage' } });
    expect(specs[6]).toMatchObject({ hardware: 'dmtf-public-rackmount1', labels: { pool: 'mockup' } });
    checkTopology(specs);
  });

  it('refuses impossible counts with the option named', () => {
    expect(() => defaultTopology({ machines: 2, ipmi: 3 })).toThrow(/ipmi: 3 IPMI machines .* only 2/);
    expect(() => defaultTopology({ machines: -1 })).toThrow(/machines: expected a whole number/);
    expect(() => defaultTopology({ machines: 2, storage: 1.5 })).toThrow(/storage: expected a whole number/);
  });

  it('refuses duplicate names, non-DNS names, unknown hardware and IPMI mockups', () => {
    const base = { hardware: 'compute-1u' as const, bmc: 'redfish' as const, labels: {} };
    expect(() =>
      checkTopology([
        { ...base, name: 'a' },
        { ...base, name: 'a' },
      ]),
    ).toThrow(/"a" is used twice/);
    expect(() => checkTopology([{ ...base, name: 'Node_1' }])).toThrow(/not a DNS label/);
    expect(() => checkTopology([{ ...base, name: 'x', hardware: 'mainframe' as never }])).toThrow(
      /unknown hardware "mainframe"/,
    );
    expect(() =>
      checkTopology([{ ...base, name: 'm', hardware: 'dmtf-public-rackmount1', bmc: 'ipmi' }]),
    ).toThrow(/Redfish mockup and cannot have an IPMI BMC/);
  });
});

describe('rack layout', () => {
  it('fills 42U racks bottom-up, 2U for storage, and starts a new rack when a machine does not fit', () => {
    const specs = defaultTopology({ machines: 41, storage: 2 });
    const places = rackLayout(specs);
    expect(places[0]).toEqual({ rack: 'lab-r1', position: 1 });
    expect(places[40]).toEqual({ rack: 'lab-r1', position: 41 });
    // Unit 42 is free but a 2U storage machine does not fit there.
    expect(places[41]).toEqual({ rack: 'lab-r2', position: 1 });
    expect(places[42]).toEqual({ rack: 'lab-r2', position: 3 });
    const thousand = rackLayout(defaultTopology({ machines: 1000 }));
    expect(new Set(thousand.map((place) => `${place.rack}/${place.position}`)).size).toBe(1000);
    expect(Math.max(...thousand.map((place) => place.position))).toBeLessThanOrEqual(RACK_UNITS);
  });
});
