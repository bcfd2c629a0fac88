import { CancelledFailure, type ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MachineRef, PowerCycleProgress } from '@plinth/contracts';
import { eventually, startRedfishLabBmc, type LabBmc } from '@plinth/driver-bmc/testing';
import { recordingEnvironment, startBmcRoleFixture, type BmcRoleFixture } from './bmc-role-fixture';
import { createPowerActivities } from './power-activities';

type BootHandler = NonNullable<Parameters<typeof startRedfishLabBmc>[0]>['bootHandler'];

/** A host that, once netbooting, stays in its installer until the power goes (a long install). */
const longInstall: BootHandler = {
  netboot: (_machine, signal) =>
    new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
  bootInstalledOs: (_machine, signal) =>
    new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
};

describe('power activities (provision-os BMC steps) against the lab Redfish BMC', () => {
  let fixture: BmcRoleFixture;
  const bmcs: LabBmc[] = [];
  let started = 0;

  async function machine(name: string, postMs = 10): Promise<{ bmc: LabBmc; ref: MachineRef }> {
    const bmc = await startRedfishLabBmc({
      profile: 'control-1u',
      index: ++started,
      name,
      bootHandler: longInstall,
      timings: { postMs },
    });
    bmcs.push(bmc);
    return { bmc, ref: await fixture.register(name, bmc) };
  }
  const activities = () =>
    createPowerActivities({ ...fixture.deps, pollIntervalMs: 20, bootStartTimeoutMs: 3_000 });

  beforeAll(async () => {
    fixture = await startBmcRoleFixture();
  });
  afterEach(async () => {
    await Promise.all(bmcs.splice(0).map((bmc) => bmc.close()));
  });
  afterAll(async () => fixture?.close());

  it('sets the one-time PXE boot once and powers the machine on into one netboot; reruns repeat nothing', async () => {
    const { bmc, ref } = await machine('power-happy');
    const power = activities();
    expect(await recordingEnvironment().run(power.setOneTimePxeBoot, ref)).toEqual({ changed: true });
    expect(await recordingEnvironment().run(power.setOneTimePxeBoot, ref)).toEqual({ changed: false });
    expect(bmc.machine.counters.bootOverrides).toBe(1);

    const cycled = await recordingEnvironment().run(power.powerCycle, ref);
    expect(cycled).toEqual({ action: 'powered-on', powerState: 'On', pxeOverridePending: false });
    expect(bmc.machine.phase).toBe('netboot');
    expect(bmc.machine.counters).toMatchObject({
      powerOns: 1,
      powerCycles: 0,
      netboots: 1,
      bootOverrides: 1,
    });

    // A retry after success (the machine is netbooting): nothing is sent again.
    const again = await recordingEnvironment({ attempt: 2 }).run(power.powerCycle, ref);
    expect(again).toMatchObject({ action: 'already-booted', powerState: 'On' });
    expect(bmc.machine.counters).toMatchObject({ powerOns: 1, powerCycles: 0, netboots: 1 });
    expect(await recordingEnvironment().run(power.readPowerState, ref)).toEqual({
      powerState: 'On',
      bootOverride: { enabled: 'Disabled', target: 'None' },
    });
  });

  it('restarts a running machine whose PXE override is pending, exactly once', async () => {
    const { bmc, ref } = await machine('power-running');
    await bmc.machine.reset('On');
    // Running: with nothing installed, the firmware netboots (without an override, before Plinth set one).
    await bmc.machine.waitForPhase('netboot');
    const power = activities();
    await recordingEnvironment().run(power.setOneTimePxeBoot, ref);
    const { run, heartbeats } = recordingEnvironment();
    expect(await run(power.powerCycle, ref)).toMatchObject({
      action: 'power-cycled',
      pxeOverridePending: false,
    });
    expect(heartbeats).toContainEqual({ requested: 'ForceRestart', stage: 'requesting ForceRestart' });
    // One netboot from the first power-on (nothing installed yet), one from the restart.
    expect(bmc.machine.counters).toMatchObject({ powerOns: 1, powerCycles: 1, netboots: 2 });
  });

  it('does not restart again when retried after a crash between the restart and the boot', async () => {
    // POST takes a while, so the first attempt is still waiting for the override to be taken when it dies.
    const { bmc, ref } = await machine('power-crash', 400);
    await bmc.machine.reset('On');
    // Running: with nothing installed, the firmware netboots (without an override, before Plinth set one).
    await bmc.machine.waitForPhase('netboot');
    const power = activities();
    await recordingEnvironment().run(power.setOneTimePxeBoot, ref);

    const first = recordingEnvironment();
    let lastDetails: PowerCycleProgress | undefined;
    first.env.on('heartbeat', (details: PowerCycleProgress) => {
      lastDetails = details;
      if (details.stage.startsWith('waiting for boot')) first.env.cancel();
    });
    await expect(first.run(power.powerCycle, ref)).rejects.toThrow();
    expect(lastDetails?.requested).toBe('ForceRestart');
    // The BMC carries out the restart it accepted, whatever became of the worker.
    await eventually(() => bmc.machine.counters.powerCycles === 1);

    // Temporal hands the last heartbeat details to the next attempt.
    const retry = await recordingEnvironment({ attempt: 2, heartbeatDetails: lastDetails }).run(
      power.powerCycle,
      ref,
    );
    expect(retry).toMatchObject({ action: 'resumed', powerState: 'On', pxeOverridePending: false });
    expect(bmc.machine.counters).toMatchObject({ powerOns: 1, powerCycles: 1, netboots: 2 });
  });

  it('fails with BmcUnreachable (retryable) on a hung BMC, and can be cancelled while waiting', async () => {
    const { bmc, ref } = await machine('power-hang');
    const power = createPowerActivities({
      ...fixture.deps,
      policy: { requestTimeoutMs: 200, maxAttempts: 2, totalTimeoutMs: 1_000 },
    });
    bmc.machine.faults.hang = true;
    const failure = (await recordingEnvironment()
      .run(power.setOneTimePxeBoot, ref)
      .then(
        () => undefined,
        (error: unknown) => error,
      )) as ApplicationFailure;
    expect(failure.type).toBe('BmcUnreachable');
    expect(failure.nonRetryable).toBe(false);
    expect(bmc.machine.counters.bootOverrides).toBe(0);

    // With the worker's patient defaults the call would wait a long time: cancellation ends it now.
    const patient = createPowerActivities({
      ...fixture.deps,
      policy: { requestTimeoutMs: 60_000, totalTimeoutMs: 120_000 },
    });
    const { env } = recordingEnvironment();
    const running = env.run(patient.powerCycle, ref).then(
      () => undefined,
      (error: unknown) => error,
    );
    setTimeout(() => env.cancel(), 200);
    expect(await running).toBeInstanceOf(CancelledFailure);
    bmc.machine.faults.hang = false;
    expect(bmc.machine.counters).toMatchObject({ powerOns: 0, powerCycles: 0 });
  });
});
