import type { BootTarget, LabMachine, LabVolume, ResetType } from '../machine/lab-machine';
import type { JsonObject } from './json';
import type { SessionStore } from './session-store';
import type { TaskStore } from './task-store';

/** The state of one BMC that documents are rendered from: the machine plus what only the BMC holds. */
export interface BmcContext {
  machine: LabMachine;
  sessions: SessionStore;
  tasks: TaskStore;
  /** `Boot.BootSourceOverrideMode`: echoed back; the lab's firmware boots the same either way. */
  bootMode: BootMode;
  /** Session idle timeout in seconds, shown in SessionService. */
  sessionTimeoutSeconds: number;
}

export const BOOT_MODES = ['UEFI', 'Legacy'] as const;

/** Boot targets the lab's firmware implements (the machine model knows no others), in every shape. */
export const LAB_BOOT_TARGETS = ['None', 'Pxe', 'Hdd'] as const;
export type BootMode = (typeof BOOT_MODES)[number];

/** What a requested `ResetType` does to the machine: a lab reset, or nothing (`Nmi` only interrupts the OS). */
export type ResetEffect = ResetType | 'none';

/**
 * A hardware shape as the Redfish service presents it: where the writable resources live and how
 * every document is rendered from the machine's state. Stateless: one instance serves any number of BMCs.
 */
export interface RedfishShape {
  readonly systemPath: string;
  readonly chassisPath: string;
  readonly managerPath: string;
  /** `Bios` and its settings object. */
  readonly bios: { path: string; settingsPath: string } | undefined;
  /** The Volumes collection volumes are created in, when the shape has a RAID controller. */
  readonly volumesPath: string | undefined;
  /** `ResetType@Redfish.AllowableValues` of ComputerSystem.Reset, in advertised order. */
  readonly resetTypes: readonly string[];
  /** `BootSourceOverrideTarget@Redfish.AllowableValues`: the targets the lab implements. */
  readonly bootTargets: readonly BootTarget[];
  /** What an allowed `ResetType` does when the machine is in `power`. */
  resetEffect(resetType: string, machine: LabMachine): ResetEffect;
  volumePath(volume: Pick<LabVolume, 'id'>): string;
  /** The drive Id a `Links.Drives` entry points at, or undefined when it is not one of this system's drives. */
  driveIdForLink(odataId: string, machine: LabMachine): string | undefined;
  /** Throws when the machine's hardware cannot be presented in this shape. */
  checkMachine(machine: LabMachine): void;
  /**
   * The document at `path` (no trailing slash), or undefined for 404. Sessions and tasks are
   * rendered by the service itself, not by the shape.
   */
  render(path: string, context: BmcContext): Readonly<JsonObject> | undefined;
}

/** Power reset types the lab understands beyond its own {@link ResetType}s (advertised by mockups). */
export function standardResetEffect(resetType: string, machine: LabMachine): ResetEffect {
  switch (resetType) {
    case 'ForceOn':
      return 'On';
    case 'PushPowerButton':
      // A short press: an ACPI power-button event turns a running host off, or a stopped one on.
      return machine.power === 'On' ? 'GracefulShutdown' : 'On';
    case 'Nmi':
      return 'none';
    default:
      return resetType as ResetType;
  }
}

/** The id of the member `path` names in collection `collectionPath`, or undefined. */
export function memberId(path: string, collectionPath: string): string | undefined {
  if (!path.startsWith(`${collectionPath}/`)) return undefined;
  const id = path.slice(collectionPath.length + 1);
  return id !== '' && !id.includes('/') ? id : undefined;
}

/** Health of a volume: a failed member is fatal without redundancy, degraded with it. */
export function volumeHealth(volume: LabVolume, machine: LabMachine): 'OK' | 'Warning' | 'Critical' {
  const failed = volume.driveIds.filter(
    (id) => machine.hardware.drives.find((drive) => drive.id === id)?.failed,
  );
  if (failed.length === 0) return 'OK';
  return volume.raidType === 'RAID0' || volume.raidType === 'None' ? 'Critical' : 'Warning';
}

/** Worst health of the machine's drives, for `HealthRollup`. */
export function drivesHealth(machine: LabMachine): 'OK' | 'Critical' {
  return machine.hardware.drives.some((drive) => drive.failed) ? 'Critical' : 'OK';
}

/** Redfish shows MACs as the DMTF mockups and most BMCs do: uppercase, colon-separated. */
export const redfishMac = (mac: string): string => mac.toUpperCase();

/** Deprecated `VolumeType` that corresponds to a `RAIDType`, still read by older clients. */
export function volumeTypeOf(raidType: LabVolume['raidType']): string {
  switch (raidType) {
    case 'None':
      return 'RawDevice';
    case 'RAID0':
      return 'NonRedundant';
    case 'RAID1':
      return 'Mirrored';
    case 'RAID10':
      return 'SpannedMirrors';
    case 'RAID5':
    case 'RAID6':
      return 'StripedWithParity';
  }
}
