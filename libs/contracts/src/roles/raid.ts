/** The raid role as an activity: apply the spec's RAID layout for a machine's role. */
import type { MachineRole, RaidLayout, RaidLevel } from '@plinth/domain';
import type { MachineRef } from './bmc';

/** Input of {@link RaidActivities.applyRaidLayout}. */
export interface ApplyRaidInput extends MachineRef {
  /** The machine's role in the cluster (for messages). */
  role: MachineRole;
  /** `spec.raid[role]`: volume name → level, drive selector, wipe. An empty layout leaves storage as found. */
  layout: RaidLayout;
}

/** One volume of the applied layout. */
export interface AppliedVolume {
  /** The spec's volume name; JBOD volumes are one per drive: `<name>-1`, `<name>-2`, … */
  name: string;
  level: RaidLevel;
  /** Member drive ids (Redfish Drive Ids, as discovery reports them). */
  driveIds: string[];
  /** The controller's Volume Id. */
  volumeId: string;
}

/** What {@link RaidActivities.applyRaidLayout} did. */
export interface ApplyRaidResult {
  volumes: AppliedVolume[];
  /** Volumes created by this attempt. */
  created: number;
  /** Foreign volumes deleted by this attempt (only with `wipe: true`). */
  deleted: number;
  /** The controller already matched the layout: nothing was written. */
  alreadyApplied: boolean;
}

/**
 * Failures: `UnsupportedRaidLevel` (level the controller does not offer, or a drive count the level
 * cannot use), `DriveFailed` (a drive the layout needs has failed), `ForeignVolumes` (other volumes
 * occupy the drives and the volume does not say `wipe: true`), `BmcTaskFailed`, `BmcUnsupported`
 * (no RAID controller, e.g. IPMI), and the BMC codes of `PowerActivities`.
 */
export interface RaidActivities {
  /**
   * Plans the layout over the controller's drives (a pure, deterministic plan: drives ordered by
   * size then id), then converges: volumes that already match (same level, same drives) are kept,
   * foreign volumes on the planned drives are deleted only when their spec volume has `wipe: true`,
   * missing volumes are created through the task monitor. Idempotent: a rerun after success writes
   * nothing; a rerun after a crash mid-role creates only what is missing.
   */
  applyRaidLayout(input: ApplyRaidInput): Promise<ApplyRaidResult>;
}
