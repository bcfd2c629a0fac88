import { EventEmitter } from 'node:events';

/**
 * One simulated machine: the state its BMC exposes (power, boot override, drives, volumes, BIOS)
 * and what its host is doing. Redfish and IPMI BMCs are two views over the same object, and the
 * host simulator ({@link BootHandler}) is what happens when it powers on — so a test can drive a
 * machine through any protocol and observe the result through any other.
 *
 * Every side effect a role could repeat by mistake is counted in {@link LabMachine.counters}.
 */

/** Power as a BMC reports it. */
export type PowerState = 'On' | 'Off';

/** Redfish `ResetType` values the lab implements (IPMI chassis commands map onto these). */
export const RESET_TYPES = ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart', 'GracefulRestart', 'PowerCycle'] as const;
export type ResetType = (typeof RESET_TYPES)[number];

/** Redfish `Boot.BootSourceOverrideEnabled`. */
export type BootOverrideEnabled = 'Disabled' | 'Once' | 'Continuous';
/** Redfish `Boot.BootSourceOverrideTarget` values the lab implements. */
export type BootTarget = 'None' | 'Pxe' | 'Hdd';

export interface BootOverride {
  enabled: BootOverrideEnabled;
  target: BootTarget;
}

export type DriveMedia = 'HDD' | 'SSD';

export interface LabDrive {
  /** Redfish Drive Id, e.g. `Disk.Bay.0`. */
  id: string;
  model: string;
  serial: string;
  capacityBytes: number;
  media: DriveMedia;
  /** Set by the `drive-failure` fault: the drive reports `Status.Health: Critical` and cannot join a volume. */
  failed: boolean;
}

export const RAID_TYPES = ['RAID0', 'RAID1', 'RAID5', 'RAID6', 'RAID10', 'None'] as const;
export type RaidType = (typeof RAID_TYPES)[number];

export interface LabVolume {
  /** Redfish Volume Id. */
  id: string;
  name: string;
  raidType: RaidType;
  /** Ids of the member drives. */
  driveIds: string[];
  capacityBytes: number;
}

export interface LabNic {
  /** Redfish EthernetInterface Id and the OS interface name, e.g. `eno1`. */
  id: string;
  /** Lowercase `aa:bb:cc:dd:ee:ff`. */
  mac: string;
  speedMbps: number;
}

/** The hardware a profile generates; fixed for the machine's lifetime except drive failures. */
export interface LabHardware {
  manufacturer: string;
  model: string;
  serial: string;
  cpu: { model: string; sockets: number; coresPerSocket: number; threadsPerCore: number };
  memory: { dimms: number; dimmMiB: number };
  drives: LabDrive[];
  /** The first NIC is the boot NIC. */
  nics: LabNic[];
  biosVersion: string;
  /** BIOS attributes the machine starts with. */
  biosAttributes: Record<string, string | number | boolean>;
}

/** What the host installed, parsed from its install config; the SSH server serves this identity. */
export interface InstalledOs {
  family: 'ubuntu' | 'debian' | 'rocky' | 'rhel';
  version: string;
  hostname: string;
  /** CIDR addresses per interface from the config (`{ eno1: ['10.20.0.51/24'] }`). */
  addresses: Record<string, string[]>;
  /** OpenSSH public keys (`ssh-ed25519 AAAA… comment`) the host accepts, from the config. */
  authorizedKeys: string[];
  /** Login user the keys belong to. */
  user: string;
}

/** Where the host is in its life; `os-running` means SSH is up. */
export type HostPhase =
  | 'off'
  | 'post'
  | 'netboot'
  | 'installing'
  | 'install-failed'
  | 'booting-os'
  | 'os-running'
  | 'no-bootable-device';

/** Side effects a role must not repeat; tests read them to prove idempotency. */
export interface LabCounters {
  powerOns: number;
  powerOffs: number;
  /** ForceRestart, GracefulRestart, PowerCycle. */
  powerCycles: number;
  bootOverrides: number;
  volumesCreated: number;
  volumesDeleted: number;
  biosApplies: number;
  netboots: number;
  installs: number;
  installCallbacks: number;
  netplanApplies: number;
  packageInstalls: number;
  kubeadmInits: number;
  kubeadmJoins: number;
  kubeadmUpgrades: number;
  helmInstalls: number;
  helmUpgrades: number;
  reboots: number;
}

export function emptyCounters(): LabCounters {
  return {
    powerOns: 0,
    powerOffs: 0,
    powerCycles: 0,
    bootOverrides: 0,
    volumesCreated: 0,
    volumesDeleted: 0,
    biosApplies: 0,
    netboots: 0,
    installs: 0,
    installCallbacks: 0,
    netplanApplies: 0,
    packageInstalls: 0,
    kubeadmInits: 0,
    kubeadmJoins: 0,
    kubeadmUpgrades: 0,
    helmInstalls: 0,
    helmUpgrades: 0,
    reboots: 0,
  };
}

/** Injected faults; all off by default. Rates are probabilities in [0, 1]. */
export interface LabFaults {
  /** Extra latency added to every BMC request, drawn uniformly from [min, max] ms. */
  latencyMs: { min: number; max: number };
  /** Probability a BMC request answers 503 with `Retry-After: 1`. */
  http503Rate: number;
  /** Probability a correctly authenticated BMC request answers 401 anyway. */
  http401Rate: number;
  /** The BMC accepts connections and never answers. */
  hang: boolean;
  /** The next install fails: the host never calls back and stays in `install-failed`. */
  installFailure: boolean;
  /** The host's SSH server refuses connections (closes them at once). */
  sshRefuse: boolean;
}

export function noFaults(): LabFaults {
  return { latencyMs: { min: 0, max: 0 }, http503Rate: 0, http401Rate: 0, hang: false, installFailure: false, sshRefuse: false };
}

/** How long simulated operations take, in ms. Small defaults keep tests fast; the bench raises them. */
export interface LabTimings {
  /** From a reset/power request until the power state changes. */
  powerMs: number;
  /** From power-on to the first boot decision (POST). */
  postMs: number;
  /** Time the installer "runs" before calling back. */
  installMs: number;
  /** From install callback (or power-on from disk) to SSH up. */
  osBootMs: number;
  /** Duration of a volume create/delete task behind its TaskMonitor. */
  volumeTaskMs: number;
  /** From `helm upgrade --install` to its pods Ready. */
  helmReadyMs: number;
  /** From `kubeadm join` + CNI to the node Ready. */
  nodeReadyMs: number;
}

export const DEFAULT_TIMINGS: LabTimings = {
  powerMs: 20,
  postMs: 20,
  installMs: 200,
  osBootMs: 50,
  volumeTaskMs: 50,
  helmReadyMs: 100,
  nodeReadyMs: 100,
};

/**
 * What runs when the machine boots. The host simulator implements it; without one the machine
 * only changes power state (enough for BMC contract tests).
 */
export interface BootHandler {
  /** Power came on and POST chose to netboot; resolve when the netboot/install sequence ends or `signal` aborts (power lost). */
  netboot(machine: LabMachine, signal: AbortSignal): Promise<void>;
  /** Power came on and POST chose the installed OS on disk. */
  bootInstalledOs(machine: LabMachine, signal: AbortSignal): Promise<void>;
}

export interface LabMachineOptions {
  name: string;
  hardware: LabHardware;
  timings?: Partial<LabTimings>;
  bootHandler?: BootHandler;
}

/** Events a LabMachine emits (all synchronous, after the state changed). */
export interface LabMachineEvents {
  power: [PowerState];
  phase: [HostPhase];
  counter: [keyof LabCounters];
}

/**
 * The state of one simulated machine and its power/boot logic. BMC front ends call the
 * `power*`/`setBootOverride`/volume/bios methods; the host simulator is plugged in as {@link BootHandler}.
 */
export class LabMachine extends EventEmitter<LabMachineEvents> {
  readonly name: string;
  readonly hardware: LabHardware;
  readonly timings: LabTimings;
  readonly counters: LabCounters = emptyCounters();
  faults: LabFaults = noFaults();
  bootHandler: BootHandler | undefined;

  power: PowerState = 'Off';
  bootOverride: BootOverride = { enabled: 'Disabled', target: 'None' };
  volumes: LabVolume[] = [];
  /** BIOS attributes in effect. */
  biosAttributes: Record<string, string | number | boolean>;
  /** BIOS attributes staged through Bios/Settings, applied at the next power-on or reset. */
  pendingBiosAttributes: Record<string, string | number | boolean> = {};
  phase: HostPhase = 'off';
  /** Set once an install completed; survives power cycles (it is on disk) until volumes are deleted. */
  installedOs: InstalledOs | undefined;
  /** Why the last netboot/boot failed, for the control API and test messages. */
  lastBootError: string | undefined;
  /** Bumped on every boot so stale asynchronous work can tell it lost the machine. */
  bootGeneration = 0;

  private powerTransition: Promise<void> = Promise.resolve();
  private bootAbort: AbortController | undefined;
  private nextVolumeId = 1;

  constructor(options: LabMachineOptions) {
    super();
    this.name = options.name;
    this.hardware = options.hardware;
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.bootHandler = options.bootHandler;
    this.biosAttributes = { ...options.hardware.biosAttributes };
  }

  /** The boot NIC's MAC. */
  get bootMac(): string {
    const nic = this.hardware.nics[0];
    if (!nic) throw new Error(`lab machine ${this.name} has no NIC`);
    return nic.mac;
  }

  count(counter: keyof LabCounters): void {
    this.counters[counter] += 1;
    this.emit('counter', counter);
  }

  setPhase(phase: HostPhase): void {
    this.phase = phase;
    this.emit('phase', phase);
  }

  /**
   * Perform a reset action. Resolves when the power state has changed (after `timings.powerMs`);
   * actions on the same machine are serialised. `On` when already on and `ForceOff` when already
   * off are accepted no-ops, as on real BMCs.
   */
  reset(type: ResetType): Promise<void> {
    const run = async (): Promise<void> => {
      await delay(this.timings.powerMs);
      switch (type) {
        case 'On':
          if (this.power === 'On') return;
          this.count('powerOns');
          this.powerOn();
          return;
        case 'ForceOff':
        case 'GracefulShutdown':
          if (this.power === 'Off') return;
          this.count('powerOffs');
          this.powerOff();
          return;
        case 'ForceRestart':
        case 'GracefulRestart':
        case 'PowerCycle':
          this.count('powerCycles');
          if (this.power === 'On') this.powerOff();
          this.powerOn();
          return;
      }
    };
    const next = this.powerTransition.then(run, run);
    this.powerTransition = next.catch(() => undefined);
    return next;
  }

  /** Set the boot source override (Redfish PATCH Boot, IPMI `chassis bootdev`). */
  setBootOverride(override: BootOverride): void {
    this.bootOverride = { ...override };
    this.count('bootOverrides');
  }

  /** Create a volume; throws {@link LabError} for unknown, failed or already-used drives. */
  createVolume(input: { name?: string; raidType: RaidType; driveIds: string[] }): LabVolume {
    const minimum: Record<RaidType, number> = { RAID0: 1, RAID1: 2, RAID5: 3, RAID6: 4, RAID10: 4, None: 1 };
    if (input.driveIds.length < minimum[input.raidType]) {
      throw new LabError('InvalidDriveCount', `${input.raidType} needs at least ${minimum[input.raidType]} drives`);
    }
    if (input.raidType === 'RAID10' && input.driveIds.length % 2 !== 0) {
      throw new LabError('InvalidDriveCount', 'RAID10 needs an even number of drives');
    }
    const drives = input.driveIds.map((id) => {
      const drive = this.hardware.drives.find((candidate) => candidate.id === id);
      if (!drive) throw new LabError('DriveNotFound', `drive ${id} does not exist`);
      if (drive.failed) throw new LabError('DriveFailed', `drive ${id} has failed`);
      if (this.volumes.some((volume) => volume.driveIds.includes(id))) {
        throw new LabError('DriveInUse', `drive ${id} already belongs to a volume`);
      }
      return drive;
    });
    const smallest = Math.min(...drives.map((drive) => drive.capacityBytes));
    const dataDrives: Record<RaidType, number> = {
      RAID0: drives.length,
      RAID1: 1,
      RAID5: drives.length - 1,
      RAID6: drives.length - 2,
      RAID10: drives.length / 2,
      None: drives.length,
    };
    const volume: LabVolume = {
      id: String(this.nextVolumeId++),
      name: input.name ?? `Volume ${this.nextVolumeId - 1}`,
      raidType: input.raidType,
      driveIds: [...input.driveIds],
      capacityBytes: smallest * dataDrives[input.raidType],
    };
    this.volumes.push(volume);
    this.count('volumesCreated');
    return volume;
  }

  /** Delete a volume; deleting the volumes also loses the installed OS. */
  deleteVolume(id: string): void {
    const index = this.volumes.findIndex((volume) => volume.id === id);
    if (index < 0) throw new LabError('VolumeNotFound', `volume ${id} does not exist`);
    this.volumes.splice(index, 1);
    this.count('volumesDeleted');
    if (this.volumes.length === 0) this.installedOs = undefined;
  }

  /** Stage BIOS attributes (Redfish `Bios/Settings` PATCH); applied at the next boot. */
  stageBiosAttributes(attributes: Record<string, string | number | boolean>): void {
    for (const key of Object.keys(attributes)) {
      if (!(key in this.biosAttributes)) throw new LabError('UnknownAttribute', `BIOS attribute ${key} does not exist`);
    }
    Object.assign(this.pendingBiosAttributes, attributes);
  }

  /** Called by the host simulator when the installer finished: the OS is now on disk. */
  markInstalled(os: InstalledOs): void {
    this.installedOs = os;
  }

  /** Wait until the host reaches `phase` (or any of several), rejecting after `timeoutMs`. */
  waitForPhase(phases: HostPhase | HostPhase[], timeoutMs = 10_000): Promise<void> {
    const wanted = Array.isArray(phases) ? phases : [phases];
    if (wanted.includes(this.phase)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('phase', listener);
        reject(new Error(`${this.name}: still ${this.phase} after ${timeoutMs} ms, wanted ${wanted.join('|')}`));
      }, timeoutMs);
      const listener = (phase: HostPhase): void => {
        if (!wanted.includes(phase)) return;
        clearTimeout(timer);
        this.off('phase', listener);
        resolve();
      };
      this.on('phase', listener);
    });
  }

  private powerOff(): void {
    this.power = 'Off';
    this.bootAbort?.abort();
    this.bootAbort = undefined;
    this.setPhase('off');
    this.emit('power', 'Off');
  }

  private powerOn(): void {
    this.power = 'On';
    this.bootGeneration += 1;
    if (Object.keys(this.pendingBiosAttributes).length > 0) {
      Object.assign(this.biosAttributes, this.pendingBiosAttributes);
      this.pendingBiosAttributes = {};
      this.count('biosApplies');
    }
    this.emit('power', 'On');
    const abort = new AbortController();
    this.bootAbort = abort;
    this.setPhase('post');
    void this.boot(abort.signal);
  }

  /** POST: choose the boot device as firmware does, then hand over to the boot handler. */
  private async boot(signal: AbortSignal): Promise<void> {
    await delay(this.timings.postMs);
    if (signal.aborted) return;
    const override = this.bootOverride;
    const target: BootTarget = override.enabled === 'Disabled' ? 'None' : override.target;
    if (override.enabled === 'Once') this.bootOverride = { enabled: 'Disabled', target: 'None' };
    // Firmware order: an explicit override wins; otherwise disk if an OS is installed, else the network.
    const netboot = target === 'Pxe' || (target !== 'Hdd' && !this.installedOs);
    try {
      if (netboot) {
        if (!this.bootHandler) return this.setPhase('no-bootable-device');
        this.count('netboots');
        this.setPhase('netboot');
        await this.bootHandler.netboot(this, signal);
      } else if (this.installedOs && this.bootHandler) {
        this.setPhase('booting-os');
        await this.bootHandler.bootInstalledOs(this, signal);
      } else {
        this.setPhase('no-bootable-device');
      }
    } catch (error) {
      if (!signal.aborted) {
        this.lastBootError = error instanceof Error ? error.message : String(error);
        this.setPhase('install-failed');
      }
    }
  }
}

/** A refused lab operation, mapped by the front ends to their protocol's error shape. */
export class LabError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LabError';
  }
}

export function delay(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
