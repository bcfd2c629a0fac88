import { describe, expect, it } from 'vitest';
import { eventually, messageIdOf, startTestBmc } from './test-support';

const BIOS = '/redfish/v1/Systems/1/Bios';
const SETTINGS = `${BIOS}/Settings`;

describe('Bios settings', () => {
  it('stages attributes in Bios/Settings and applies them at the next power-on', async () => {
    const test = await startTestBmc();
    const bios = await test.getJson(BIOS);
    expect(bios['@Redfish.Settings']).toMatchObject({ SettingsObject: { '@odata.id': SETTINGS } });
    expect(bios['Attributes']).toMatchObject({ ProcVirtualization: 'Enabled', NumaNodesPerSocket: 1 });

    const patched = await test.request('PATCH', SETTINGS, {
      body: { Attributes: { ProcVirtualization: 'Disabled', NumaNodesPerSocket: 2 } },
    });
    expect(patched.status).toBe(200);
    expect((await test.getJson(SETTINGS))['Attributes']).toEqual({
      ProcVirtualization: 'Disabled',
      NumaNodesPerSocket: 2,
    });
    // Not in effect before a reset.
    expect((await test.getJson(BIOS))['Attributes']).toMatchObject({ ProcVirtualization: 'Enabled' });

    await test.request('POST', `${test.bmc.systemPath}/Actions/ComputerSystem.Reset`, {
      body: { ResetType: 'On' },
    });
    await eventually(async () => (test.machine.power === 'On' ? true : undefined));
    expect((await test.getJson(BIOS))['Attributes']).toMatchObject({
      ProcVirtualization: 'Disabled',
      NumaNodesPerSocket: 2,
    });
    expect((await test.getJson(SETTINGS))['Attributes']).toEqual({});
    expect(test.machine.counters.biosApplies).toBe(1);
  });

  it('refuses unknown attributes and values of the wrong type with 400, staging nothing', async () => {
    const test = await startTestBmc();
    const unknown = await test.request('PATCH', SETTINGS, {
      body: { Attributes: { TurboBoost: 'On', BootMode: 'Legacy' } },
    });
    expect(unknown.status).toBe(400);
    expect(messageIdOf(await unknown.json())).toMatch(/PropertyUnknown$/);
    const wrongType = await test.request('PATCH', SETTINGS, {
      body: { Attributes: { NumaNodesPerSocket: 'two' } },
    });
    expect(wrongType.status).toBe(400);
    expect(messageIdOf(await wrongType.json())).toMatch(/PropertyValueTypeError$/);
    const noAttributes = await test.request('PATCH', SETTINGS, { body: { Foo: 1 } });
    expect(noAttributes.status).toBe(400);
    expect(test.machine.pendingBiosAttributes).toEqual({});
  });

  it('accepts an OnReset apply time and refuses Immediate', async () => {
    const test = await startTestBmc();
    const onReset = await test.request('PATCH', SETTINGS, {
      body: {
        Attributes: { SriovGlobalEnable: 'Enabled' },
        '@Redfish.SettingsApplyTime': { ApplyTime: 'OnReset' },
      },
    });
    expect(onReset.status).toBe(200);
    const immediate = await test.request('PATCH', SETTINGS, {
      body: {
        Attributes: { SriovGlobalEnable: 'Enabled' },
        '@Redfish.SettingsApplyTime': { ApplyTime: 'Immediate' },
      },
    });
    expect(immediate.status).toBe(400);
  });

  it('stages the factory attributes with Bios.ResetBios', async () => {
    const test = await startTestBmc();
    test.machine.biosAttributes['WorkloadProfile'] = 'Custom';
    const answer = await test.request('POST', `${BIOS}/Actions/Bios.ResetBios`, { body: {} });
    expect(answer.status).toBe(204);
    expect((await test.getJson(SETTINGS))['Attributes']).toMatchObject({
      WorkloadProfile: 'StorageIOPerformance',
    });
  });

  it('honours If-Match on the settings object', async () => {
    const test = await startTestBmc();
    const etag = (await test.request('GET', SETTINGS)).headers.get('etag') ?? '';
    test.machine.stageBiosAttributes({ LogicalProc: 'Disabled' });
    const stale = await test.request('PATCH', SETTINGS, {
      body: { Attributes: { LogicalProc: 'Enabled' } },
      headers: { 'If-Match': etag },
    });
    expect(stale.status).toBe(412);
    expect(test.machine.pendingBiosAttributes).toEqual({ LogicalProc: 'Disabled' });
  });
});
