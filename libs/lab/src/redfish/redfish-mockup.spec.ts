import { describe, expect, it } from 'vitest';
import { createHardware } from '../hardware/hardware-profiles';
import { hardwareFromMockup } from '../hardware/mockup-hardware';
import { LabMachine } from '../machine/lab-machine';
import { crawl } from './crawl-support';
import type { JsonObject } from './json';
import { loadMockupTree, MOCKUP_NAMES } from './mockup-tree';
import { startRedfishBmc } from './redfish-bmc';
import { BASIC, CREDENTIALS, eventually, messageIdOf, startTestBmc, type TestBmc } from './test-support';

const SYSTEM = '/redfish/v1/Systems/437XR1138R2';
const VOLUMES = `${SYSTEM}/Storage/1/Volumes`;

const startMockup = (name: (typeof MOCKUP_NAMES)[number]) =>
  startTestBmc({ hardware: hardwareFromMockup(name), shape: { kind: 'mockup', name } });

const reset = (test: TestBmc, resetType: string) =>
  test.request('POST', `${SYSTEM}/Actions/ComputerSystem.Reset`, { body: { ResetType: resetType } });

describe.each(MOCKUP_NAMES)('mockup shape %s', (name) => {
  it('serves the published documents, links resolving, with PowerState following resets', async () => {
    const test = await startMockup(name);
    expect(test.bmc.systemPath).toBe(SYSTEM);
    const { documents, broken } = await crawl(test.bmc.url, { Authorization: BASIC });
    // The only links the lab does not serve are the mockup's captured sessions, tasks and volumes, replaced by live ones.
    expect(broken.filter(({ path }) => !/\/(Sessions|Tasks|Volumes)\/[^/]+$/.test(path))).toEqual([]);
    const tree = loadMockupTree(name);
    expect(documents.size).toBeGreaterThan(tree.paths().length / 2);
    // Untouched documents are served exactly as published.
    const processor = `${SYSTEM}/Processors/CPU1`;
    expect(documents.get(processor)).toEqual(tree.get(processor));

    // The mockup says On; the machine starts Off, and the BMC says what the machine is.
    expect((await test.getJson(SYSTEM))['PowerState']).toBe('Off');
    expect((await reset(test, 'On')).status).toBe(204);
    await eventually(async () => ((await test.getJson(SYSTEM))['PowerState'] === 'On' ? true : undefined));
    expect((await test.getJson('/redfish/v1/Chassis/1U'))['PowerState']).toBe('On');
    await reset(test, 'ForceOff');
    await eventually(async () => ((await test.getJson(SYSTEM))['PowerState'] === 'Off' ? true : undefined));
  });

  it('accepts the reset types the mockup advertises and refuses the ones it does not', async () => {
    const test = await startMockup(name);
    const advertised = ((await test.getJson(SYSTEM))['Actions'] as Record<string, JsonObject>)[
      '#ComputerSystem.Reset'
    ];
    expect(advertised?.['ResetType@Redfish.AllowableValues']).toEqual([
      'On',
      'ForceOff',
      'GracefulShutdown',
      'GracefulRestart',
      'ForceRestart',
      'Nmi',
      'ForceOn',
      'PushPowerButton',
    ]);
    const powerCycle = await reset(test, 'PowerCycle');
    expect(powerCycle.status).toBe(400);
    expect(messageIdOf(await powerCycle.json())).toMatch(/ActionParameterValueNotInList$/);
    await reset(test, 'PushPowerButton');
    await eventually(async () => (test.machine.power === 'On' ? true : undefined));
    await reset(test, 'PushPowerButton');
    await eventually(async () => (test.machine.power === 'Off' ? true : undefined));
    expect(test.machine.counters).toMatchObject({ powerOns: 1, powerOffs: 1 });
  });

  it('overlays the boot override and BIOS state on the published documents', async () => {
    const test = await startMockup(name);
    const patched = await test.request('PATCH', SYSTEM, {
      body: { Boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe' } },
    });
    expect(patched.status).toBe(200);
    expect(test.machine.bootOverride).toEqual({ enabled: 'Once', target: 'Pxe' });
    const boot = (await test.getJson(SYSTEM))['Boot'] as JsonObject;
    expect(boot).toMatchObject({
      BootSourceOverrideEnabled: 'Once',
      UefiTargetBootSourceOverride: '/0x31/0x33/0x01/0x01',
    });
    expect(boot['BootSourceOverrideTarget@Redfish.AllowableValues']).toEqual(['None', 'Pxe', 'Hdd']);

    const settings = `${SYSTEM}/Bios/Settings`;
    expect((await test.getJson(settings))['Attributes']).toEqual({});
    expect(
      (await test.request('PATCH', settings, { body: { Attributes: { ProcTurboMode: 'Disabled' } } })).status,
    ).toBe(200);
    await reset(test, 'On');
    await eventually(async () => (test.machine.power === 'On' ? true : undefined));
    expect((await test.getJson(`${SYSTEM}/Bios`))['Attributes']).toMatchObject({ ProcTurboMode: 'Disabled' });
  });
});

describe('mockup shape dmtf-public-localstorage volumes', () => {
  it('creates and deletes volumes linked by the mockup drive URIs, shaped like the published volumes', async () => {
    const test = await startMockup('dmtf-public-localstorage');
    expect((await test.getJson(VOLUMES))['Members@odata.count']).toBe(0);
    const drives = [
      '/redfish/v1/Chassis/1U/Drives/3F5A8C54207B7233',
      `${SYSTEM}/Storage/1/Drives/35D38F11ACEF7BD3`,
    ];
    const accepted = await test.request('POST', VOLUMES, {
      body: { RAIDType: 'RAID1', Links: { Drives: drives.map((id) => ({ '@odata.id': id })) } },
    });
    expect(accepted.status).toBe(202);
    const monitor = accepted.headers.get('location') ?? '';
    const created = await eventually(async () => {
      const response = await test.request('GET', monitor);
      return response.status === 201 ? ((await response.json()) as JsonObject) : undefined;
    });
    expect(created).toMatchObject({
      '@odata.type': '#Volume.v1_10_2.Volume',
      '@odata.id': `${VOLUMES}/1`,
      RAIDType: 'RAID1',
      Encrypted: false,
      CapacityBytes: 899527000064,
      Links: {
        Drives: [
          { '@odata.id': '/redfish/v1/Chassis/1U/Drives/3F5A8C54207B7233' },
          { '@odata.id': '/redfish/v1/Chassis/1U/Drives/35D38F11ACEF7BD3' },
        ],
      },
    });
    expect(created['Actions']).toBeUndefined();
    const drive = await test.getJson('/redfish/v1/Chassis/1U/Drives/35D38F11ACEF7BD3');
    expect(drive['Links']).toEqual({ Volumes: [{ '@odata.id': `${VOLUMES}/1` }] });

    const failing = test.machine.hardware.drives.find((candidate) => candidate.id === '35D38F11ACEF7BD3');
    if (failing) failing.failed = true;
    expect((await test.getJson(`${SYSTEM}/Storage/1/Drives/35D38F11ACEF7BD3`))['Status']).toMatchObject({
      Health: 'Critical',
    });
    expect((await test.getJson(`${VOLUMES}/1`))['Status']).toMatchObject({ Health: 'Warning' });

    const deleting = await test.request('DELETE', `${VOLUMES}/1`);
    expect(deleting.status).toBe(202);
    await eventually(async () =>
      (await test.request('GET', deleting.headers.get('location') ?? '')).status === 204 ? true : undefined,
    );
    expect(test.machine.volumes).toEqual([]);
    expect(test.machine.counters).toMatchObject({ volumesCreated: 1, volumesDeleted: 1 });
  });

  it('has no Volumes to create in dmtf-public-rackmount1 (SimpleStorage only)', async () => {
    const test = await startMockup('dmtf-public-rackmount1');
    expect(
      (await test.request('POST', `${SYSTEM}/Storage/1/Volumes`, { body: { RAIDType: 'RAID0' } })).status,
    ).toBe(404);
  });

  it('refuses to present a machine that lacks the mockup hardware', async () => {
    const machine = new LabMachine({ name: 'wrong', hardware: createHardware('compute-1u', 1) });
    await expect(
      startRedfishBmc({
        machine,
        credentials: CREDENTIALS,
        shape: { kind: 'mockup', name: 'dmtf-public-localstorage' },
      }),
    ).rejects.toThrow(/hardwareFromMockup/);
  });
});
