import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyRaidInput, MachineRef } from '@plinth/contracts';
import type { RaidLayout } from '@plinth/domain';
import { startRedfishLabBmc, type LabBmc } from '@plinth/driver-bmc/testing';
import { recordingEnvironment, startBmcRoleFixture, type BmcRoleFixture } from '../power/bmc-role-fixture';
import { createRaidActivities } from './raid-activities';

/** The DESIGN example's worker layout: OS mirrored on the two smallest drives, RAID10 over the rest. */
const WORKER: RaidLayout = {
  os: { level: 'raid1', drives: 'smallest-2', wipe: false },
  data: { level: 'raid10', drives: 'rest', wipe: false },
};
/** storage-2u with four data drives: two 480 GB SSDs (bays 0-1), four 16 TB HDDs (bays 2-5). */
const OS_DRIVES = ['Disk.Bay.0', 'Disk.Bay.1'];
const DATA_DRIVES = ['Disk.Bay.2', 'Disk.Bay.3', 'Disk.Bay.4', 'Disk.Bay.5'];

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  return (await promise.then(
    () => undefined,
    (error: unknown) => error,
  )) as ApplicationFailure;
}

describe('raid activity against the lab Redfish BMC', () => {
  let fixture: BmcRoleFixture;
  const bmcs: LabBmc[] = [];
  let started = 0;

  async function machine(name: string): Promise<{ bmc: LabBmc; ref: MachineRef }> {
    const bmc = await startRedfishLabBmc({ profile: 'storage-2u', index: ++started, name });
    // Four data drives keep the volumes small to reason about.
    bmc.machine.hardware.drives.splice(6);
    bmcs.push(bmc);
    return { bmc, ref: await fixture.register(name, bmc, { expect: {} }) };
  }
  const input = (ref: MachineRef, layout: RaidLayout = WORKER): ApplyRaidInput => ({
    ...ref,
    role: 'worker',
    layout,
  });

  beforeAll(async () => {
    fixture = await startBmcRoleFixture();
  });
  afterEach(async () => {
    await Promise.all(bmcs.splice(0).map((bmc) => bmc.close()));
  });
  afterAll(async () => fixture?.close());

  it('creates the layout through the task monitor; a rerun finds it done and writes nothing', async () => {
    const { bmc, ref } = await machine('raid-happy');
    const activities = createRaidActivities(fixture.deps);
    const { run, heartbeats } = recordingEnvironment();
    const result = await run(activities.applyRaidLayout, input(ref));
    expect(result).toMatchObject({ created: 2, deleted: 0, alreadyApplied: false });
    expect(result.volumes.map((v) => [v.name, v.level, v.driveIds])).toEqual([
      ['os', 'raid1', OS_DRIVES],
      ['data', 'raid10', DATA_DRIVES],
    ]);
    expect(bmc.machine.volumes.map((v) => [v.raidType, v.driveIds])).toEqual([
      ['RAID1', OS_DRIVES],
      ['RAID10', DATA_DRIVES],
    ]);
    expect(heartbeats.some((h) => (h as { stage?: string }).stage === 'creating volume data')).toBe(true);
    expect(bmc.machine.counters).toMatchObject({ volumesCreated: 2, volumesDeleted: 0 });

    const rerun = await recordingEnvironment().run(activities.applyRaidLayout, input(ref));
    expect(rerun).toEqual({ ...result, created: 0, alreadyApplied: true });
    expect(bmc.machine.counters).toMatchObject({ volumesCreated: 2, volumesDeleted: 0 });
  });

  it.each([
    [
      'before its request reached the BMC',
      (details: { stage?: string; detail?: string }) =>
        details.stage === 'creating volume data' && details.detail === undefined,
      1,
    ],
    [
      'while the BMC task was running',
      (details: { stage?: string; detail?: string }) =>
        details.stage === 'creating volume data' && details.detail !== undefined,
      2,
    ],
  ] as const)(
    'converges without duplicates after a crash mid-role: second volume cancelled %s',
    async (_when, crashOn, volumesBeforeRetry) => {
      const { bmc, ref } = await machine(`raid-crash-${volumesBeforeRetry}`);
      const activities = createRaidActivities(fixture.deps);
      const first = recordingEnvironment();
      first.env.on('heartbeat', (details: { stage?: string; detail?: string }) => {
        if (crashOn(details)) first.env.cancel();
      });
      await expect(first.run(activities.applyRaidLayout, input(ref))).rejects.toThrow();
      // The worker is gone; whatever the BMC had accepted finishes on its own before the retry.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(bmc.machine.volumes).toHaveLength(volumesBeforeRetry);

      const retry = await recordingEnvironment({ attempt: 2 }).run(activities.applyRaidLayout, input(ref));
      expect(retry.created).toBe(2 - volumesBeforeRetry);
      expect(retry.volumes.map((v) => v.driveIds)).toEqual([OS_DRIVES, DATA_DRIVES]);
      expect(bmc.machine.volumes.map((v) => v.driveIds)).toEqual([OS_DRIVES, DATA_DRIVES]);
      expect(bmc.machine.counters).toMatchObject({ volumesCreated: 2, volumesDeleted: 0 });
    },
  );

  it('refuses foreign volumes without wipe (changing nothing) and replaces them with wipe: true', async () => {
    const { bmc, ref } = await machine('raid-foreign');
    bmc.machine.createVolume({ name: 'legacy', raidType: 'RAID0', driveIds: ['Disk.Bay.1', 'Disk.Bay.2'] });
    const activities = createRaidActivities(fixture.deps);
    const refused = await failureOf(recordingEnvironment().run(activities.applyRaidLayout, input(ref)));
    expect(refused.type).toBe('ForeignVolumes');
    expect(refused.nonRetryable).toBe(true);
    expect(refused.message).toContain('"legacy"');
    expect(refused.message).toContain('wipe: true');
    expect(bmc.machine.counters).toMatchObject({ volumesCreated: 1, volumesDeleted: 0 });

    const wipe: RaidLayout = {
      os: { ...WORKER['os']!, wipe: true },
      data: { ...WORKER['data']!, wipe: true },
    };
    const result = await recordingEnvironment().run(activities.applyRaidLayout, input(ref, wipe));
    expect(result).toMatchObject({ created: 2, deleted: 1 });
    expect(bmc.machine.volumes.map((v) => v.name)).toEqual(['os', 'data']);
    expect(bmc.machine.counters).toMatchObject({ volumesCreated: 3, volumesDeleted: 1 });
  });

  it('fails with DriveFailed when a drive the layout needs has failed, creating nothing', async () => {
    const { bmc, ref } = await machine('raid-failed-drive');
    bmc.machine.hardware.drives[3]!.failed = true;
    const failure = await failureOf(
      recordingEnvironment().run(createRaidActivities(fixture.deps).applyRaidLayout, input(ref)),
    );
    expect(failure.type).toBe('DriveFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('Disk.Bay.3');
    expect(bmc.machine.counters.volumesCreated).toBe(0);
  });

  it('fails with UnsupportedRaidLevel for a level the controller does not offer or a drive count the level cannot use', async () => {
    const { bmc, ref } = await machine('raid-unsupported');
    const activities = createRaidActivities(fixture.deps);
    // The lab's controller advertises RAID0/1/5/6/10, not pass-through (RAIDType None).
    const jbod = await failureOf(
      recordingEnvironment().run(
        activities.applyRaidLayout,
        input(ref, { data: { level: 'jbod', drives: 'rest', wipe: false } }),
      ),
    );
    expect(jbod.type).toBe('UnsupportedRaidLevel');
    expect(jbod.message).toContain('does not offer jbod');
    const odd = await failureOf(
      recordingEnvironment().run(
        activities.applyRaidLayout,
        input(ref, {
          os: { level: 'raid1', drives: 'smallest-2', wipe: false },
          data: { level: 'raid6', drives: 3, wipe: false },
        }),
      ),
    );
    expect(odd.type).toBe('UnsupportedRaidLevel');
    expect(odd.message).toContain('raid6 needs at least 4 drives, got 3');
    expect(bmc.machine.counters.volumesCreated).toBe(0);
  });

  it('rides out a 503 storm while creating volumes', async () => {
    const { bmc, ref } = await machine('raid-503');
    const activities = createRaidActivities({
      ...fixture.deps,
      policy: { maxAttempts: 8, totalTimeoutMs: 60_000 },
    });
    bmc.machine.faults.http503Rate = 1;
    const release = setTimeout(() => (bmc.machine.faults.http503Rate = 0), 1_500);
    try {
      const { run, heartbeats } = recordingEnvironment();
      const result = await run(activities.applyRaidLayout, input(ref));
      expect(result.created).toBe(2);
      expect(heartbeats.some((h) => String((h as { detail?: string }).detail).includes('HTTP 503'))).toBe(
        true,
      );
    } finally {
      clearTimeout(release);
      bmc.machine.faults.http503Rate = 0;
    }
    expect(bmc.machine.counters).toMatchObject({ volumesCreated: 2, volumesDeleted: 0 });
  });

  it('leaves storage as found for an empty layout', async () => {
    const { bmc, ref } = await machine('raid-none');
    const result = await recordingEnvironment().run(
      createRaidActivities(fixture.deps).applyRaidLayout,
      input(ref, {}),
    );
    expect(result).toEqual({ volumes: [], created: 0, deleted: 0, alreadyApplied: true });
    expect(bmc.machine.counters.volumesCreated).toBe(0);
  });
});
