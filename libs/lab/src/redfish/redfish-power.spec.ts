import { describe, expect, it } from 'vitest';
import { eventually, messageIdOf, startTestBmc, type TestBmc } from './test-support';

const powerState = async ({ getJson, bmc }: TestBmc): Promise<unknown> =>
  (await getJson(bmc.systemPath))['PowerState'];
const waitForPower = (test: TestBmc, wanted: 'On' | 'Off') =>
  eventually(async () => ((await powerState(test)) === wanted ? true : undefined));

async function reset(test: TestBmc, resetType: unknown): Promise<Response> {
  return test.request('POST', `${test.bmc.systemPath}/Actions/ComputerSystem.Reset`, {
    body: { ResetType: resetType },
  });
}

describe('ComputerSystem.Reset', () => {
  it('answers 204 at once and changes PowerState after the configured time', async () => {
    // A long power time so the state right after the answer is unambiguous.
    const test = await startTestBmc({ timings: { powerMs: 600 } });
    expect(await powerState(test)).toBe('Off');
    const answer = await reset(test, 'On');
    expect(answer.status).toBe(204);
    expect(await powerState(test)).toBe('Off');
    await waitForPower(test, 'On');
    expect(test.machine.counters.powerOns).toBe(1);
  });

  it('implements On, ForceOff, GracefulShutdown, ForceRestart, GracefulRestart and PowerCycle', async () => {
    const test = await startTestBmc();
    expect((await reset(test, 'On')).status).toBe(204);
    await waitForPower(test, 'On');
    expect((await reset(test, 'ForceOff')).status).toBe(204);
    await waitForPower(test, 'Off');
    await reset(test, 'PowerCycle');
    await waitForPower(test, 'On');
    await reset(test, 'ForceRestart');
    await reset(test, 'GracefulRestart');
    await eventually(async () => (test.machine.counters.powerCycles === 3 ? true : undefined));
    expect(await powerState(test)).toBe('On');
    await reset(test, 'GracefulShutdown');
    await waitForPower(test, 'Off');
    // On when on and ForceOff when off are accepted no-ops, as on real BMCs.
    expect(test.machine.counters).toMatchObject({ powerOns: 1, powerOffs: 2, powerCycles: 3 });
  });

  it('refuses an unknown or missing ResetType with 400 naming the allowable values', async () => {
    const test = await startTestBmc();
    const wrong = await reset(test, 'Explode');
    expect(wrong.status).toBe(400);
    const body = (await wrong.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toMatch(/ActionParameterValueNotInList$/);
    expect(body.error.message).toContain('ForceRestart');
    const missing = await test.request('POST', `${test.bmc.systemPath}/Actions/ComputerSystem.Reset`, {
      body: {},
    });
    expect(missing.status).toBe(400);
    expect(messageIdOf(await missing.json())).toMatch(/ActionParameterMissing$/);
    expect(test.machine.counters.powerOns).toBe(0);
  });

  it('advertises the reset types and the action target in the system document', async () => {
    const test = await startTestBmc();
    const system = await test.getJson(test.bmc.systemPath);
    expect(system['Actions']).toEqual({
      '#ComputerSystem.Reset': {
        target: `${test.bmc.systemPath}/Actions/ComputerSystem.Reset`,
        'ResetType@Redfish.AllowableValues': [
          'On',
          'ForceOff',
          'GracefulShutdown',
          'ForceRestart',
          'GracefulRestart',
          'PowerCycle',
        ],
      },
    });
  });
});

describe('boot override', () => {
  const patchBoot = (test: TestBmc, boot: Record<string, unknown>, headers: Record<string, string> = {}) =>
    test.request('PATCH', test.bmc.systemPath, { body: { Boot: boot }, headers });

  it('sets Once/Pxe, which the next boot consumes', async () => {
    const test = await startTestBmc();
    const patched = await patchBoot(test, {
      BootSourceOverrideEnabled: 'Once',
      BootSourceOverrideTarget: 'Pxe',
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { Boot: unknown }).Boot).toMatchObject({
      BootSourceOverrideEnabled: 'Once',
      BootSourceOverrideTarget: 'Pxe',
    });
    expect(test.machine.counters.bootOverrides).toBe(1);
    await reset(test, 'On');
    // Without a host simulator the PXE boot finds nothing to boot; what matters is the override was consumed.
    await test.machine.waitForPhase('no-bootable-device', 5_000);
    const boot = (await test.getJson(test.bmc.systemPath))['Boot'];
    expect(boot).toMatchObject({ BootSourceOverrideEnabled: 'Disabled', BootSourceOverrideTarget: 'None' });
  });

  it('keeps a Continuous override across boots', async () => {
    const test = await startTestBmc();
    await patchBoot(test, { BootSourceOverrideEnabled: 'Continuous', BootSourceOverrideTarget: 'Hdd' });
    await reset(test, 'On');
    await test.machine.waitForPhase('no-bootable-device', 5_000);
    await reset(test, 'ForceRestart');
    await eventually(async () => (test.machine.counters.powerCycles === 1 ? true : undefined));
    await test.machine.waitForPhase('no-bootable-device', 5_000);
    expect((await test.getJson(test.bmc.systemPath))['Boot']).toMatchObject({
      BootSourceOverrideEnabled: 'Continuous',
      BootSourceOverrideTarget: 'Hdd',
    });
  });

  it('merges a partial PATCH and echoes BootSourceOverrideMode', async () => {
    const test = await startTestBmc();
    await patchBoot(test, { BootSourceOverrideTarget: 'Pxe' });
    await patchBoot(test, { BootSourceOverrideEnabled: 'Once', BootSourceOverrideMode: 'Legacy' });
    expect(test.machine.bootOverride).toEqual({ enabled: 'Once', target: 'Pxe' });
    expect((await test.getJson(test.bmc.systemPath))['Boot']).toMatchObject({
      BootSourceOverrideMode: 'Legacy',
    });
  });

  it('refuses targets it cannot boot, unknown and read-only properties with 400', async () => {
    const test = await startTestBmc();
    const cd = await patchBoot(test, { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Cd' });
    expect(cd.status).toBe(400);
    const body = (await cd.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toMatch(/PropertyValueNotInList$/);
    expect(body.error.message).toContain('Pxe');
    const unknown = await patchBoot(test, { Bogus: true });
    expect(messageIdOf(await unknown.json())).toMatch(/PropertyUnknown$/);
    const readOnly = await test.request('PATCH', test.bmc.systemPath, { body: { PowerState: 'On' } });
    expect(readOnly.status).toBe(400);
    expect(messageIdOf(await readOnly.json())).toMatch(/PropertyNotWritable$/);
    expect(test.machine.counters.bootOverrides).toBe(0);
    expect(test.machine.power).toBe('Off');
  });
});

describe('ETags', () => {
  it('sends an ETag on GET that changes with the resource, and honours If-None-Match', async () => {
    const test = await startTestBmc();
    const first = await test.request('GET', test.bmc.systemPath);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await test.request('GET', test.bmc.systemPath);
    expect(again.headers.get('etag')).toBe(etag);
    const unchanged = await test.request('GET', test.bmc.systemPath, { headers: { 'If-None-Match': etag } });
    expect(unchanged.status).toBe(304);
    test.machine.setBootOverride({ enabled: 'Once', target: 'Pxe' });
    const changed = await test.request('GET', test.bmc.systemPath);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('refuses a PATCH whose If-Match is stale with 412, and applies one that is current', async () => {
    const test = await startTestBmc();
    const etag = (await test.request('GET', test.bmc.systemPath)).headers.get('etag') ?? '';
    test.machine.setBootOverride({ enabled: 'Continuous', target: 'Hdd' });
    const stale = await test.request('PATCH', test.bmc.systemPath, {
      body: { Boot: { BootSourceOverrideTarget: 'Pxe' } },
      headers: { 'If-Match': etag },
    });
    expect(stale.status).toBe(412);
    expect(messageIdOf(await stale.json())).toMatch(/PreconditionFailed$/);
    expect(test.machine.bootOverride.target).toBe('Hdd');

    const current = (await test.request('GET', test.bmc.systemPath)).headers.get('etag') ?? '';
    const fresh = await test.request('PATCH', test.bmc.systemPath, {
      body: { Boot: { BootSourceOverrideTarget: 'Pxe' } },
      headers: { 'If-Match': current },
    });
    expect(fresh.status).toBe(200);
    expect(test.machine.bootOverride).toEqual({ enabled: 'Continuous', target: 'Pxe' });
  });
});
