import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RAID_LEVELS, raidDriveCountProblem, type RaidLayout, type RaidLevel } from '@plinth/domain';
import {
  planRaidLayout,
  reconcileVolumes,
  type ExistingVolume,
  type PlannableDrive,
  type PlannedVolume,
} from './raid-plan';

const GB = 1_000_000_000;
const drive = (id: string, sizeGb: number, healthy = true): PlannableDrive => ({
  id,
  sizeBytes: sizeGb * GB,
  healthy,
});
/** The lab's storage-2u: two 480 GB SSDs in bays 0-1, eight 16 TB HDDs after them. */
const storage2u = [
  drive('Disk.Bay.0', 480),
  drive('Disk.Bay.1', 480),
  ...Array.from({ length: 8 }, (_, n) => drive(`Disk.Bay.${n + 2}`, 16_000)),
];
const worker: RaidLayout = {
  os: { level: 'raid1', drives: 'smallest-2', wipe: false },
  data: { level: 'raid10', drives: 'rest', wipe: false },
};

function asExisting(volumes: PlannedVolume[]): ExistingVolume[] {
  return volumes.map((v, index) => ({
    id: String(index + 1),
    name: v.name,
    level: v.level,
    driveIds: [...v.driveIds].reverse(),
  }));
}

const drivesArb = fc
  .uniqueArray(
    fc.record({
      id: fc.stringMatching(/^[A-Za-z][A-Za-z0-9.]{0,8}$/),
      sizeBytes: fc.integer({ min: 1, max: 20 }),
      healthy: fc.boolean(),
    }),
    {
      selector: (d) => d.id,
      minLength: 0,
      maxLength: 12,
    },
  )
  .map((drives) => drives.map((d) => ({ ...d, sizeBytes: d.sizeBytes * GB })));
const selectorArb = fc.oneof(
  fc.integer({ min: 1, max: 6 }).map((n) => `smallest-${n}` as const),
  fc.integer({ min: 1, max: 6 }).map((n) => `largest-${n}` as const),
  fc.integer({ min: 1, max: 6 }),
  fc.constant('rest' as const),
);
const layoutArb = fc.dictionary(
  fc.constantFrom('os', 'data', 'scratch', 'logs'),
  fc.record({ level: fc.constantFrom(...RAID_LEVELS), drives: selectorArb, wipe: fc.boolean() }),
  { minKeys: 1, maxKeys: 3 },
);
const levelsArb = fc.option(fc.subarray([...RAID_LEVELS] as RaidLevel[]), { nil: undefined });

describe('planRaidLayout', () => {
  it('puts the OS on the two smallest drives and RAID10 on the rest', () => {
    const plan = planRaidLayout(worker, [...storage2u].reverse(), [
      'raid0',
      'raid1',
      'raid5',
      'raid6',
      'raid10',
    ]);
    expect(plan).toEqual({
      ok: true,
      volumes: [
        { name: 'os', specVolume: 'os', level: 'raid1', driveIds: ['Disk.Bay.0', 'Disk.Bay.1'] },
        { name: 'data', specVolume: 'data', level: 'raid10', driveIds: storage2u.slice(2).map((d) => d.id) },
      ],
    });
  });

  it('makes one pass-through volume per drive for jbod', () => {
    const plan = planRaidLayout({ data: { level: 'jbod', drives: 'largest-2', wipe: false } }, storage2u);
    expect(plan.ok && plan.volumes.map((v) => [v.name, v.driveIds])).toEqual([
      ['data-1', ['Disk.Bay.8']],
      ['data-2', ['Disk.Bay.9']],
    ]);
  });

  it('reports every problem: levels the controller lacks, drive counts, failed drives', () => {
    const drives = [drive('a', 100), drive('b', 100, false), drive('c', 200)];
    drives[1]!.problem = 'Status.Health is Critical';
    const plan = planRaidLayout(
      {
        os: { level: 'raid1', drives: 'smallest-2', wipe: false },
        data: { level: 'raid10', drives: 'rest', wipe: false },
        scratch: { level: 'jbod', drives: 1, wipe: false },
      },
      drives,
      ['raid1', 'raid10'],
    );
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.problems.map((p) => [p.code, p.volume])).toEqual([
      ['DriveFailed', 'os'],
      ['UnsupportedRaidLevel', 'data'],
      ['UnsupportedRaidLevel', 'scratch'],
    ]);
    expect(plan.problems[0]?.message).toContain('b (Status.Health is Critical)');
  });

  it('plans only valid volumes: disjoint healthy drives, counts that fit the level, offered levels', () => {
    fc.assert(
      fc.property(layoutArb, drivesArb, levelsArb, (layout, drives, levels) => {
        const plan = planRaidLayout(layout, drives, levels);
        if (!plan.ok) {
          expect(plan.problems.length).toBeGreaterThan(0);
          return;
        }
        const used = plan.volumes.flatMap((v) => v.driveIds);
        expect(new Set(used).size).toBe(used.length);
        for (const volume of plan.volumes) {
          for (const id of volume.driveIds) expect(drives.find((d) => d.id === id)?.healthy).toBe(true);
          if (levels) expect(levels).toContain(volume.level);
          if (volume.level === 'jbod') expect(volume.driveIds).toHaveLength(1);
          else expect(raidDriveCountProblem(volume.level, volume.driveIds.length)).toBeUndefined();
        }
        // Every spec volume is planned.
        expect(new Set(plan.volumes.map((v) => v.specVolume))).toEqual(new Set(Object.keys(layout)));
      }),
    );
  });

  it('is deterministic: the order drives are listed in does not matter', () => {
    fc.assert(
      fc.property(layoutArb, drivesArb, fc.infiniteStream(fc.nat()), (layout, drives, randoms) => {
        const shuffled = [...drives].sort(() => (randoms.next().value % 3) - 1);
        expect(planRaidLayout(layout, shuffled)).toEqual(planRaidLayout(layout, drives));
      }),
    );
  });

  it('gives smallest-N the N smallest drives of the machine when it comes first', () => {
    fc.assert(
      fc.property(
        drivesArb.map((ds) => ds.map((d) => ({ ...d, healthy: true }))),
        fc.integer({ min: 1, max: 4 }),
        (drives, n) => {
          const plan = planRaidLayout(
            { os: { level: 'raid0', drives: `smallest-${n}`, wipe: false } },
            drives,
          );
          if (drives.length < n) {
            expect(plan.ok).toBe(false);
            return;
          }
          const sizes = drives.map((d) => d.sizeBytes).sort((a, b) => a - b);
          expect(
            plan.ok && plan.volumes[0]!.driveIds.map((id) => drives.find((d) => d.id === id)!.sizeBytes),
          ).toEqual(sizes.slice(0, n));
        },
      ),
    );
  });
});

describe('reconcileVolumes', () => {
  const plan = planRaidLayout(worker, storage2u);
  const planned = plan.ok ? plan.volumes : [];

  it('creates everything on an empty controller and nothing once it matches (a fixed point)', () => {
    expect(reconcileVolumes(planned, [], worker)).toEqual({
      keep: [],
      delete: [],
      create: planned,
      blocked: [],
    });
    fc.assert(
      fc.property(layoutArb, drivesArb, (layout, drives) => {
        const p = planRaidLayout(
          layout,
          drives.map((d) => ({ ...d, healthy: true })),
        );
        if (!p.ok) return;
        const again = reconcileVolumes(p.volumes, asExisting(p.volumes), layout);
        expect(again.create).toEqual([]);
        expect(again.delete).toEqual([]);
        expect(again.blocked).toEqual([]);
        expect(again.keep).toHaveLength(p.volumes.length);
      }),
    );
  });

  it('after a crash between two volumes creates only the missing one', () => {
    const existing = asExisting(planned.slice(0, 1));
    const result = reconcileVolumes(planned, existing, worker);
    expect(result.keep.map((k) => k.existing.id)).toEqual(['1']);
    expect(result.create.map((v) => v.name)).toEqual(['data']);
  });

  it('deletes foreign volumes on planned drives only with wipe, leaves volumes elsewhere alone', () => {
    const foreign: ExistingVolume = {
      id: '9',
      name: 'old',
      level: 'raid0',
      driveIds: ['Disk.Bay.1', 'Disk.Bay.2'],
    };
    const elsewhere: ExistingVolume = {
      id: '8',
      name: 'other',
      level: 'raid1',
      driveIds: ['Disk.Bay.20', 'Disk.Bay.21'],
    };
    const blocked = reconcileVolumes(planned, [foreign, elsewhere], worker);
    expect(blocked.blocked).toEqual([{ volume: foreign, specVolumes: ['data', 'os'] }]);
    expect(blocked.delete).toEqual([]);
    const wipeOsOnly: RaidLayout = { ...worker, os: { ...worker['os']!, wipe: true } };
    expect(reconcileVolumes(planned, [foreign], wipeOsOnly).blocked).toEqual([
      { volume: foreign, specVolumes: ['data'] },
    ]);
    const wipeBoth: RaidLayout = {
      os: { ...worker['os']!, wipe: true },
      data: { ...worker['data']!, wipe: true },
    };
    const wiped = reconcileVolumes(planned, [foreign, elsewhere], wipeBoth);
    expect(wiped.delete).toEqual([foreign]);
    expect(wiped.blocked).toEqual([]);
    expect(wiped.create).toEqual(planned);
  });
});
