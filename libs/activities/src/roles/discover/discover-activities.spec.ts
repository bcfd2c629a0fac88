import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HardwareMismatchDetails } from '@plinth/contracts';
import { startRedfishLabBmc, type LabBmc } from '@plinth/driver-bmc/testing';
import { recordingEnvironment, startBmcRoleFixture, type BmcRoleFixture } from '../power/bmc-role-fixture';
import { checkableExpectation, createDiscoverActivities } from './discover-activities';

describe('discover activity against the lab Redfish BMC', () => {
  let fixture: BmcRoleFixture;
  const bmcs: LabBmc[] = [];
  let started = 0;
  const labBmc = async (profile: 'control-1u' | 'compute-1u' = 'control-1u'): Promise<LabBmc> => {
    const bmc = await startRedfishLabBmc({ profile, index: ++started });
    bmcs.push(bmc);
    return bmc;
  };

  beforeAll(async () => {
    fixture = await startBmcRoleFixture();
  });
  afterEach(async () => {
    await Promise.all(bmcs.splice(0).map((bmc) => bmc.close()));
  });
  afterAll(async () => fixture?.close());

  it('stores the inventory, finds it as expected, and a rerun has no BMC side effects', async () => {
    const bmc = await labBmc();
    const ref = await fixture.register('disc-ok', bmc);
    const activities = createDiscoverActivities({ ...fixture.deps, inventories: fixture.inventories });
    const { run, heartbeats } = recordingEnvironment();
    const first = await run(activities.discoverHardware, ref);
    expect(first).toMatchObject({ protocol: 'redfish', unavailable: [], unverified: [] });
    const stored = await fixture.inventories.latest(ref.machineId);
    expect(stored?.id).toBe(first.inventoryId);
    expect(stored?.contentHash).toBe(first.contentHash);
    expect(stored?.inventory.serial).toBe(bmc.machine.hardware.serial);
    expect(stored?.inventory.nics.map((n) => n.mac)).toContain(bmc.machine.bootMac);
    expect(heartbeats).toContainEqual({ stage: 'reading inventory' });

    const again = await recordingEnvironment().run(activities.discoverHardware, ref);
    expect(again.inventoryId).not.toBe(first.inventoryId);
    expect(again.contentHash).toBe(first.contentHash);
    expect(Object.values(bmc.machine.counters).every((count) => count === 0)).toBe(true);
  });

  it('fails with HardwareMismatch listing every difference, after storing what it found', async () => {
    const bmc = await labBmc('compute-1u');
    const ref = await fixture.register('disc-mismatch', bmc, {
      serial: 'WRONG-SERIAL',
      bootMac: '52:54:00:ff:ff:01',
      expect: { cpuCores: 32, memoryMiB: 262_144, disks: 8, diskMinSizeBytes: 1_000_000_000_000 },
    });
    const activities = createDiscoverActivities({ ...fixture.deps, inventories: fixture.inventories });
    const failure = await recordingEnvironment()
      .run(activities.discoverHardware, ref)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    const applicationFailure = failure as ApplicationFailure;
    expect(applicationFailure.type).toBe('HardwareMismatch');
    expect(applicationFailure.nonRetryable).toBe(true);
    const details = applicationFailure.details?.[0] as HardwareMismatchDetails;
    expect(details.differences.map((d) => d.field)).toEqual([
      'serial',
      'bootMac',
      'cpuCores',
      'memoryMiB',
      'disks',
      'diskMinSizeBytes',
      'diskMinSizeBytes',
    ]);
    expect(applicationFailure.message).toContain('expected 32 CPU cores, found 64');
    expect((await fixture.inventories.latest(ref.machineId))?.id).toBe(details.inventoryId);
  });

  it('fails with BmcAuthFailed (not retryable) when the stored credentials are wrong', async () => {
    const bmc = await labBmc();
    const ref = await fixture.register('disc-badcreds', bmc);
    await fixture.secrets.put('disc-badcreds-bmc', `${bmc.credentials.username}:wrong`);
    const activities = createDiscoverActivities({ ...fixture.deps, inventories: fixture.inventories });
    const failure = (await recordingEnvironment()
      .run(activities.discoverHardware, ref)
      .then(
        () => undefined,
        (error: unknown) => error,
      )) as ApplicationFailure;
    expect(failure.type).toBe('BmcAuthFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('secret/disc-badcreds-bmc');
    expect(failure.message).not.toContain(bmc.credentials.password);
    expect(await fixture.inventories.latest(ref.machineId)).toBeUndefined();
  });

  it('heartbeats through a 503 storm and succeeds; a hung BMC can be cancelled', async () => {
    const bmc = await labBmc();
    const ref = await fixture.register('disc-faults', bmc);
    const activities = createDiscoverActivities({
      ...fixture.deps,
      inventories: fixture.inventories,
      policy: { maxAttempts: 8, requestTimeoutMs: 60_000, totalTimeoutMs: 60_000 },
    });
    bmc.machine.faults.http503Rate = 1;
    const stormy = recordingEnvironment();
    const release = setTimeout(() => (bmc.machine.faults.http503Rate = 0), 1_500);
    try {
      await stormy.run(activities.discoverHardware, ref);
    } finally {
      clearTimeout(release);
    }
    expect(
      stormy.heartbeats.some((h) => String((h as { detail?: string }).detail).includes('HTTP 503')),
    ).toBe(true);

    bmc.machine.faults.hang = true;
    const hung = recordingEnvironment();
    const running = hung.run(activities.discoverHardware, ref).then(
      () => undefined,
      (error: unknown) => error,
    );
    setTimeout(() => hung.env.cancel(), 300);
    expect(await running).toBeInstanceOf(CancelledFailure);
    bmc.machine.faults.hang = false;
  });

  it('fails with MachineNotFound for a reference the inventory does not have', async () => {
    const activities = createDiscoverActivities({ ...fixture.deps, inventories: fixture.inventories });
    const failure = (await recordingEnvironment()
      .run(activities.discoverHardware, {
        machineId: '00000000-0000-4000-8000-000000000000',
        machineName: 'ghost',
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      )) as ApplicationFailure;
    expect(failure.type).toBe('MachineNotFound');
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('checkableExpectation', () => {
  it('sets aside what the BMC cannot report instead of comparing it with placeholders', () => {
    expect(
      checkableExpectation(
        {
          cpuCores: 32,
          memoryMiB: 1024,
          disks: 2,
          diskMinSizeBytes: 1,
          serial: 'S',
          bootMac: 'aa:bb:cc:dd:ee:ff',
        },
        ['cpu', 'memory', 'drives', 'nics', 'biosVersion'],
      ),
    ).toEqual({
      checkable: { serial: 'S' },
      unverified: ['cpuCores', 'memoryMiB', 'disks', 'diskMinSizeBytes', 'bootMac'],
    });
  });
});
