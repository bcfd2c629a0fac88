import { describe, expect, it } from 'vitest';
import { crawl, resourceTypeOf } from './crawl-support';
import { isJsonObject, type JsonObject } from './json';
import { loadMockupTree } from './mockup-tree';
import { BASIC, startTestBmc } from './test-support';

/**
 * Properties a DMTF mockup document has that the profile shape leaves out on purpose: OEM data,
 * services the lab does not run (logs, accounts, events), and hardware facts it does not model.
 */
const OMITTED: Record<string, string[]> = {
  ServiceRoot: ['AccountService', 'EventService', '@Redfish.Copyright'],
  ComputerSystem: [
    'AssetTag',
    'SKU',
    'PartNumber',
    'Description',
    'HostingRoles',
    'IndicatorLED',
    'TrustedModules',
    'Oem',
    'LogServices',
    '@Redfish.Copyright',
  ],
  Drive: ['IndicatorLED', 'PartNumber', 'HotspareReplacementMode', 'Actions', '@Redfish.Copyright'],
  Volume: ['Actions', '@Redfish.Copyright'],
  EthernetInterface: ['IPv6DefaultGateway', 'VLANs', '@Redfish.Copyright'],
};

const MOCKUP = '/redfish/v1/Systems/437XR1138R2';
const PAIRS: [string, string, string][] = [
  ['ServiceRoot', '/redfish/v1', '/redfish/v1'],
  ['ComputerSystem', MOCKUP, '/redfish/v1/Systems/1'],
  ['Drive', '/redfish/v1/Chassis/1U/Drives/3D58ECBC375FD9F2', '/redfish/v1/Chassis/1/Drives/Disk.Bay.2'],
  ['Volume', `${MOCKUP}/Storage/1/Volumes/1`, '/redfish/v1/Systems/1/Storage/RAID.Integrated.1/Volumes/1'],
  [
    'EthernetInterface',
    `${MOCKUP}/EthernetInterfaces/12446A3B0411`,
    '/redfish/v1/Systems/1/EthernetInterfaces/eno1',
  ],
];

const jsonKind = (value: unknown): string =>
  Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;

describe('profile documents have the structure of the DMTF mockups', () => {
  it.each(PAIRS)('%s', async (type, mockupPath, labPath) => {
    const test = await startTestBmc();
    test.machine.createVolume({ raidType: 'RAID1', driveIds: ['Disk.Bay.2', 'Disk.Bay.3'] });
    const reference = loadMockupTree('dmtf-public-localstorage').get(mockupPath) ?? {};
    const generated = await test.getJson(labPath);

    expect(resourceTypeOf(generated['@odata.type'])).toBe(type);
    expect(resourceTypeOf(reference['@odata.type'])).toBe(type);
    const missing = Object.keys(reference).filter((key) => !(key in generated));
    expect(missing.filter((key) => !(OMITTED[type] ?? []).includes(key))).toEqual([]);
    for (const key of Object.keys(reference).filter((candidate) => candidate in generated)) {
      if (reference[key] === null) continue;
      expect(jsonKind(generated[key]), `${type}.${key}`).toBe(jsonKind(reference[key]));
    }
  });

  it('has the nested structure drivers read: Boot, Actions, Links, Status', async () => {
    const test = await startTestBmc();
    const system = await test.getJson('/redfish/v1/Systems/1');
    const reference = loadMockupTree('dmtf-public-localstorage').get(MOCKUP) ?? {};
    const keysOf = (value: unknown): string[] => (isJsonObject(value) ? Object.keys(value).sort() : []);
    for (const key of [
      'BootSourceOverrideEnabled',
      'BootSourceOverrideTarget',
      'BootSourceOverrideTarget@Redfish.AllowableValues',
      'BootSourceOverrideMode',
    ]) {
      expect(keysOf(system['Boot'])).toContain(key);
    }
    expect(keysOf((system['Actions'] as JsonObject)['#ComputerSystem.Reset'])).toEqual(
      keysOf((reference['Actions'] as JsonObject)['#ComputerSystem.Reset']),
    );
    expect(keysOf(system['Links'])).toEqual(keysOf(reference['Links']));
    expect(keysOf(system['ProcessorSummary'])).toEqual(expect.arrayContaining(['Count', 'Model', 'Status']));
    expect(keysOf(system['MemorySummary'])).toEqual(
      expect.arrayContaining(['TotalSystemMemoryGiB', 'Status']),
    );
  });

  it('reports the hardware: CPU, memory, drives and MACs', async () => {
    const test = await startTestBmc({ profile: 'compute-1u' });
    const { hardware } = test.machine;
    const system = await test.getJson('/redfish/v1/Systems/1');
    expect(system).toMatchObject({
      SerialNumber: hardware.serial,
      ProcessorSummary: { Count: 2, CoreCount: 64, LogicalProcessorCount: 128 },
      MemorySummary: { TotalSystemMemoryGiB: 512 },
      BiosVersion: hardware.biosVersion,
    });
    const nic = await test.getJson('/redfish/v1/Systems/1/EthernetInterfaces/eno1');
    expect(String(nic['MACAddress']).toLowerCase()).toBe(test.machine.bootMac);
    const storage = await test.getJson('/redfish/v1/Systems/1/Storage/RAID.Integrated.1');
    expect(storage['Drives']).toHaveLength(hardware.drives.length);
    const cpu = await test.getJson('/redfish/v1/Systems/1/Processors/CPU2');
    expect(cpu).toMatchObject({ TotalCores: 32, TotalThreads: 64 });
    expect((await test.request('GET', '/redfish/v1/Systems/1/Processors/CPU3')).status).toBe(404);
  });

  it('links resolve everywhere: every @odata.id answers 200 with that @odata.id and a typed document', async () => {
    const test = await startTestBmc();
    test.machine.createVolume({ raidType: 'RAID5', driveIds: ['Disk.Bay.2', 'Disk.Bay.3', 'Disk.Bay.4'] });
    await test.request('POST', '/redfish/v1/SessionService/Sessions', {
      body: { UserName: 'admin', Password: 'lab-secret' },
    });
    const { documents, broken } = await crawl(test.bmc.url, { Authorization: BASIC });
    expect(broken).toEqual([]);
    expect(documents.size).toBeGreaterThan(40);
    for (const [path, document] of documents) {
      expect(String(document['@odata.id']).replace(/\/$/, ''), path).toBe(path);
      expect(resourceTypeOf(document['@odata.type']), path).toBeDefined();
      expect(typeof document['Name'], path).toBe('string');
      if ('Members' in document)
        expect(document['Members@odata.count'], path).toBe((document['Members'] as unknown[]).length);
      if (!String(resourceTypeOf(document['@odata.type'])).endsWith('Collection') && path !== '/redfish/v1') {
        expect(document['Id'], path).toBe(path.split('/').at(-1));
      }
    }
  });
});
