/**
 * The BMC driver contract: what roles ask of a machine's baseboard management controller, whatever
 * protocol it speaks. One small interface per capability ({@link BmcPower}, {@link BmcInventoryReader},
 * {@link BmcStorage}); quirks are capability fields ({@link BmcCapabilities}), never `instanceof`.
 *
 * Every method throws `RoleError` (from `@plinth/contracts`) with a code and an operator-readable
 * message naming the machine: `BmcUnreachable` (retryable: no answer, timeouts, 5xx after the
 * call's retries), `BmcAuthFailed` (credentials refused; never retried), `BmcCertificateUntrusted`,
 * `BmcUnsupported` (the BMC cannot do it), `BmcTaskFailed` (an asynchronous BMC task ended badly).
 * Messages and details never carry a password, a session token or a request body.
 */
import type { HardwareInventory, PowerState, RaidLevel } from '@plinth/domain';
import type { BmcCallPolicy } from './call-policy';

/** The protocol a driver speaks, chosen by the address scheme. */
export type BmcProtocol = 'redfish' | 'ipmi';

/** Something a long BMC operation reports while it waits; activities turn it into heartbeats. */
export interface BmcProgress {
  /** What is being waited for, e.g. `retry`, `task`, `power`. */
  stage: 'retry' | 'task' | 'power';
  /** Operator-readable state, e.g. `task 7 Running (40%)` or `503, retrying in 1000 ms`. */
  detail: string;
}

/** Options every driver call accepts. */
export interface BmcCallOptions {
  /** Overrides the driver's default policy for this call, field by field (see {@link BmcCallPolicy}). */
  policy?: Partial<BmcCallPolicy>;
  /**
   * Aborts the call: the request in flight is dropped and the call rejects with the signal's reason
   * (activities pass Temporal's cancellation signal, so the rejection is its `CancelledFailure`).
   */
  signal?: AbortSignal;
  /** Called while the call waits (retries, task polling); must not throw. */
  onProgress?: (progress: BmcProgress) => void;
}

/** Power actions roles request. `ForceRestart` is a power cycle of a machine that is on. */
export type PowerAction = 'On' | 'ForceOff' | 'GracefulShutdown' | 'ForceRestart';

/** Redfish `BootSourceOverrideEnabled` semantics, which IPMI boot flags map onto. */
export type BootOverrideEnabled = 'Disabled' | 'Once' | 'Continuous';
/** Boot targets roles use. */
export type BootTarget = 'None' | 'Pxe' | 'Hdd';

/** The boot source override as the BMC reports it. */
export interface BootOverride {
  enabled: BootOverrideEnabled;
  /** `None` whenever `enabled` is `Disabled`. */
  target: BootTarget;
}

/** Facts of a {@link HardwareInventory} a protocol may be unable to report. */
export const INVENTORY_FACTS = ['cpu', 'memory', 'drives', 'nics', 'biosVersion', 'serial'] as const;
/** One of {@link INVENTORY_FACTS}. */
export type InventoryFact = (typeof INVENTORY_FACTS)[number];

/**
 * Inventory as a driver read it. Facts listed in `unavailable` could not be read over this protocol
 * and are left empty in `inventory` (zero cores, no drives…) rather than invented: consumers must
 * treat them as unknown, not as zero.
 */
export interface DiscoveredInventory {
  /** Valid per `validateHardwareInventory`; MACs lowercase. */
  inventory: HardwareInventory;
  /** Facts this protocol cannot report; empty for a complete inventory. */
  unavailable: InventoryFact[];
}

/** What a BMC can do, detected from its documents (Redfish) or known for its protocol (IPMI). */
export interface BmcCapabilities {
  protocol: BmcProtocol;
  /** Inventory facts it can report (the complement of {@link DiscoveredInventory.unavailable}). */
  inventory: InventoryFact[];
  /** Boot targets the override accepts (Redfish `BootSourceOverrideTarget@Redfish.AllowableValues`). */
  bootTargets: BootTarget[];
  /** RAID through Redfish Storage Volumes. */
  raid: {
    supported: boolean;
    /**
     * Levels the controller advertises (`SupportedRAIDTypes`, `RAIDType@Redfish.AllowableValues`);
     * `undefined` when it does not say, in which case the controller decides at create time.
     */
    levels: RaidLevel[] | undefined;
  };
  /** A Bios resource (attributes, settings object). */
  bios: boolean;
  /** Virtual media on the system or its manager. */
  virtualMedia: boolean;
  /** Redfish sessions (`X-Auth-Token`); false when the BMC only takes Basic authentication, and for IPMI. */
  sessions: boolean;
}

/** Power and boot control. */
export interface BmcPower {
  /** Current power state. Read-only. */
  getPowerState(options?: BmcCallOptions): Promise<PowerState>;
  /**
   * Requests a power action and returns once the BMC accepted it (the state changes afterwards:
   * poll {@link getPowerState}). Not idempotent by itself for `ForceRestart`: callers compare state
   * first. `On` on a machine that is on and `ForceOff` on one that is off are accepted no-ops on
   * conforming BMCs. Transient failures are retried only when the BMC refused the request before
   * acting on it (503, connection refused), never after a timeout, so an action is not sent twice.
   */
  setPower(action: PowerAction, options?: BmcCallOptions): Promise<void>;
  /** The current boot source override. Read-only. */
  getBootOverride(options?: BmcCallOptions): Promise<BootOverride>;
  /**
   * Sets the boot source override. Idempotent: when the BMC already reports `override`, nothing is
   * written and `changed` is false. Redfish writes use `If-Match` with the system's ETag and re-read
   * on 412. @throws RoleError BmcUnsupported when the target is not among the BMC's allowed targets.
   */
  setBootOverride(override: BootOverride, options?: BmcCallOptions): Promise<{ changed: boolean }>;
}

/** Inventory reading. */
export interface BmcInventoryReader {
  /**
   * Reads CPU, memory, drives, NICs with MACs, BIOS version, serial, manufacturer, model and power
   * state. Read-only, safe to repeat. The result passes `validateHardwareInventory`.
   * @throws RoleError BmcUnsupported when the BMC's documents cannot be read as an inventory.
   */
  readInventory(options?: BmcCallOptions): Promise<DiscoveredInventory>;
}

/** A physical drive as the storage controller reports it. */
export interface StorageDrive {
  /** Redfish Drive `Id`, the id discovery reports. */
  id: string;
  model?: string;
  serial?: string;
  sizeBytes: number;
  mediaType: HardwareInventory['drives'][number]['mediaType'];
  /** False when the drive reports `Status.Health: Critical` or is absent/disabled. */
  healthy: boolean;
  /** Why it is unhealthy, in words (e.g. `Status.Health Critical`). */
  problem?: string;
}

/** A volume (virtual disk) as the controller reports it. */
export interface StorageVolume {
  /** Redfish Volume `Id`. */
  id: string;
  name: string;
  /** The level, mapped from `RAIDType` (`None` → `jbod`) or, for older BMCs, `VolumeType`. */
  level: RaidLevel | undefined;
  /** Member drive ids (drive `Id`s, as in {@link StorageDrive.id}). */
  driveIds: string[];
  sizeBytes: number | undefined;
}

/** What to create. */
export interface VolumeRequest {
  name: string;
  level: RaidLevel;
  /** Drive ids from {@link BmcStorage.listDrives}. */
  driveIds: string[];
}

/** RAID volumes through Redfish Storage. */
export interface BmcStorage {
  /**
   * Levels the controller advertises (`SupportedRAIDTypes`, `RAIDType@Redfish.AllowableValues`);
   * undefined when it does not say. Read-only.
   */
  supportedLevels(options?: BmcCallOptions): Promise<RaidLevel[] | undefined>;
  /** Drives of the RAID controller, with health. Read-only. */
  listDrives(options?: BmcCallOptions): Promise<StorageDrive[]>;
  /** Existing volumes. Read-only. */
  listVolumes(options?: BmcCallOptions): Promise<StorageVolume[]>;
  /**
   * Creates a volume and waits for its task monitor to finish (heartbeating through `onProgress`).
   * Not idempotent: the POST is not retried after a timeout (the volume may exist); callers list
   * volumes first and after a failure. Resolves with the created volume.
   * @throws RoleError BmcTaskFailed when the task ends in an exception or outlives `taskTimeoutMs`.
   */
  createVolume(request: VolumeRequest, options?: BmcCallOptions): Promise<StorageVolume>;
  /**
   * Deletes a volume and waits for its task. Idempotent: a volume that no longer exists counts as
   * deleted.
   */
  deleteVolume(volumeId: string, options?: BmcCallOptions): Promise<void>;
}

/**
 * A driver for one machine's BMC. Holds a connection (Redfish session, keep-alive sockets) that is
 * reused across calls and re-established when the BMC forgets it (re-login on 401).
 */
export interface BmcDriver extends BmcPower, BmcInventoryReader {
  readonly protocol: BmcProtocol;
  /** The BMC address as the inventory gives it (no credentials in it), for messages. */
  readonly address: string;
  /** Detects what the BMC can do. Read-only. */
  capabilities(options?: BmcCallOptions): Promise<BmcCapabilities>;
  /**
   * The RAID controller. @throws RoleError BmcUnsupported when the BMC has no Storage with a
   * Volumes collection (always for IPMI), with a message saying what to change.
   */
  storage(options?: BmcCallOptions): Promise<BmcStorage>;
  /** Logs out (Redfish session) and frees sockets. Safe to call twice; never throws. */
  close(): Promise<void>;
}
