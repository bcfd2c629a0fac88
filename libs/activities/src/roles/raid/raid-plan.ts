/**
 * RAID planning as pure functions: which drives each spec volume gets ({@link planRaidLayout}), and
 * what to do about the volumes a controller already has ({@link reconcileVolumes}). No I/O: the same
 * inputs always give the same plan, which is what makes the raid role safe to run again.
 */
import { raidDriveCountProblem, type DriveSelector, type RaidLayout, type RaidLevel } from '@plinth/domain';

/** A drive as the planner sees it. */
export interface PlannableDrive {
  id: string;
  sizeBytes: number;
  healthy: boolean;
  /** Why it is unhealthy. */
  problem?: string;
}

/** One volume to exist on the controller. */
export interface PlannedVolume {
  /** Controller volume name: the spec's volume name, or `<name>-<k>` for JBOD (one volume per drive). */
  name: string;
  /** The spec volume it comes from. */
  specVolume: string;
  level: RaidLevel;
  /** Member drives, in plan order (by size, then id). */
  driveIds: string[];
}

/** Why a layout cannot be planned. */
export interface RaidPlanProblem {
  code: 'UnsupportedRaidLevel' | 'DriveFailed';
  /** The spec volume concerned. */
  volume: string;
  message: string;
  driveIds?: string[];
}

export type RaidPlan = { ok: true; volumes: PlannedVolume[] } | { ok: false; problems: RaidPlanProblem[] };

/** Drive order everywhere: by size, then by id in natural order (`Disk.Bay.2` before `Disk.Bay.10`). */
export function compareDrives(a: PlannableDrive, b: PlannableDrive): number {
  return a.sizeBytes - b.sizeBytes || a.id.localeCompare(b.id, 'en', { numeric: true });
}

/**
 * Assigns drives to the layout's volumes. Volumes with a fixed count (`smallest-N`, `largest-N`, `N`)
 * take their drives first, in the layout's order, from the drives still free (`N` takes the smallest
 * free ones); then `rest` takes what is left and `all` takes everything. Drives are chosen by size
 * and id whatever their health, so a failed drive is reported (`DriveFailed`) rather than silently
 * replaced by another. Every problem is reported, not just the first.
 *
 * @param supportedLevels the controller's advertised levels; undefined when it does not say.
 */
export function planRaidLayout(
  layout: RaidLayout,
  drives: readonly PlannableDrive[],
  supportedLevels?: readonly RaidLevel[],
): RaidPlan {
  const problems: RaidPlanProblem[] = [];
  const sorted = [...drives].sort(compareDrives);
  const free = new Set(sorted.map((drive) => drive.id));
  const chosen = new Map<string, PlannableDrive[]>();
  const entries = Object.entries(layout);
  const fixed = entries.filter(([, volume]) => volume.drives !== 'rest' && volume.drives !== 'all');
  const flexible = entries.filter(([, volume]) => volume.drives === 'rest' || volume.drives === 'all');

  for (const [name, volume] of [...fixed, ...flexible]) {
    if (volume.drives === 'all' && entries.length > 1) {
      problems.push({
        code: 'UnsupportedRaidLevel',
        volume: name,
        message: `volume ${name}: drives "all" must be the role's only volume`,
      });
      continue;
    }
    const available = sorted.filter((drive) => free.has(drive.id));
    const picked = pick(volume.drives, available, sorted);
    if (typeof picked === 'string') {
      problems.push({
        code: 'UnsupportedRaidLevel',
        volume: name,
        message: `volume ${name} (${volume.level}, drives: ${volume.drives}): ${picked}`,
      });
      continue;
    }
    for (const drive of picked) free.delete(drive.id);
    chosen.set(name, picked);
  }

  const volumes: PlannedVolume[] = [];
  for (const [name, volume] of entries) {
    const picked = chosen.get(name);
    if (!picked) continue;
    const ids = picked.map((drive) => drive.id);
    if (supportedLevels !== undefined && !supportedLevels.includes(volume.level)) {
      problems.push({
        code: 'UnsupportedRaidLevel',
        volume: name,
        message: `volume ${name}: the RAID controller does not offer ${volume.level} (it offers ${supportedLevels.join(', ') || 'no level'})`,
      });
      continue;
    }
    const countProblem =
      volume.level === 'jbod'
        ? ids.length >= 1
          ? undefined
          : 'jbod needs at least 1 drive'
        : raidDriveCountProblem(volume.level, ids.length);
    if (countProblem) {
      problems.push({
        code: 'UnsupportedRaidLevel',
        volume: name,
        message: `volume ${name} (drives: ${volume.drives}): ${countProblem}`,
        driveIds: ids,
      });
      continue;
    }
    const failed = picked.filter((drive) => !drive.healthy);
    if (failed.length > 0) {
      problems.push({
        code: 'DriveFailed',
        volume: name,
        message: `volume ${name} needs ${failed.map((d) => `${d.id} (${d.problem ?? 'unhealthy'})`).join(', ')}: replace the drive(s) and retry the machine`,
        driveIds: failed.map((d) => d.id),
      });
      continue;
    }
    if (volume.level === 'jbod') {
      ids.forEach((id, index) =>
        volumes.push({ name: `${name}-${index + 1}`, specVolume: name, level: 'jbod', driveIds: [id] }),
      );
    } else {
      volumes.push({ name, specVolume: name, level: volume.level, driveIds: ids });
    }
  }
  if (problems.length === 0) return { ok: true, volumes };
  const order = entries.map(([name]) => name);
  return { ok: false, problems: problems.sort((a, b) => order.indexOf(a.volume) - order.indexOf(b.volume)) };
}

function pick(
  selector: DriveSelector,
  available: PlannableDrive[],
  all: PlannableDrive[],
): PlannableDrive[] | string {
  if (selector === 'all') return all;
  if (selector === 'rest') return available.length > 0 ? available : 'no drives are left for it';
  const match = typeof selector === 'number' ? undefined : /^(smallest|largest)-(\d+)$/.exec(selector);
  const count = typeof selector === 'number' ? selector : Number(match?.[2]);
  if (!Number.isInteger(count) || count < 1) return `"${String(selector)}" is not a drive selector`;
  if (count > available.length) {
    return `needs ${count} drive(s), but only ${available.length} of the machine's ${all.length} are free`;
  }
  return match?.[1] === 'largest' ? available.slice(available.length - count) : available.slice(0, count);
}

/** A volume the controller has. */
export interface ExistingVolume {
  id: string;
  name: string;
  level: RaidLevel | undefined;
  driveIds: string[];
}

/** A foreign volume that blocks the plan because its spec volume does not allow wiping. */
export interface BlockingVolume {
  volume: ExistingVolume;
  /** The spec volumes whose drives it occupies without `wipe: true`. */
  specVolumes: string[];
}

/** What converging the controller to the plan takes. */
export interface RaidReconciliation {
  /** Planned volumes that exist already (same level, same drives), with their volume. */
  keep: { planned: PlannedVolume; existing: ExistingVolume }[];
  /** Foreign volumes on planned drives, allowed to go (`wipe: true`). */
  delete: ExistingVolume[];
  /** Planned volumes to create, after the deletions. */
  create: PlannedVolume[];
  /** Foreign volumes that may not be deleted: the plan cannot proceed. */
  blocked: BlockingVolume[];
}

/**
 * Compares the plan with the controller. A volume matches a planned one when it has the same level
 * and the same drives (names may differ: the layout is what matters). Volumes on drives the plan does
 * not use are left alone. Deterministic, and a fixed point: reconciling a plan with the volumes it
 * produced gives nothing to do.
 */
export function reconcileVolumes(
  planned: readonly PlannedVolume[],
  existing: readonly ExistingVolume[],
  layout: RaidLayout,
): RaidReconciliation {
  const sameDrives = (a: string[], b: string[]): boolean =>
    a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
  const keep: RaidReconciliation['keep'] = [];
  const matched = new Set<string>();
  const create: PlannedVolume[] = [];
  for (const volume of planned) {
    const found = existing.find(
      (candidate) =>
        !matched.has(candidate.id) &&
        candidate.level === volume.level &&
        sameDrives(candidate.driveIds, volume.driveIds),
    );
    if (found) {
      matched.add(found.id);
      keep.push({ planned: volume, existing: found });
    } else {
      create.push(volume);
    }
  }
  const specVolumeOfDrive = new Map<string, string>();
  for (const volume of planned)
    for (const id of volume.driveIds) specVolumeOfDrive.set(id, volume.specVolume);
  const del: ExistingVolume[] = [];
  const blocked: BlockingVolume[] = [];
  for (const volume of existing) {
    if (matched.has(volume.id)) continue;
    const touched = [
      ...new Set(
        volume.driveIds.map((id) => specVolumeOfDrive.get(id)).filter((v): v is string => v !== undefined),
      ),
    ];
    if (touched.length === 0) continue;
    const unwipeable = touched.filter((name) => layout[name]?.wipe !== true);
    if (unwipeable.length > 0) blocked.push({ volume, specVolumes: unwipeable.sort() });
    else del.push(volume);
  }
  return { keep, delete: del, create, blocked };
}
