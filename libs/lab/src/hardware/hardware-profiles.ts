import type { DriveMedia, LabDrive, LabHardware, LabNic } from '../machine/lab-machine';
import { labMac, labSerial } from './lab-identity';

/** The hardware profiles the lab can generate. */
export const HARDWARE_PROFILES = ['control-1u', 'compute-1u', 'storage-2u'] as const;
export type HardwareProfile = (typeof HARDWARE_PROFILES)[number];

export function isHardwareProfile(name: string): name is HardwareProfile {
  return (HARDWARE_PROFILES as readonly string[]).includes(name);
}

/** Options for {@link createHardware}. */
export interface HardwareOptions {
  /**
   * Data drives besides the two SSD boot drives (bays `Disk.Bay.2` onwards). Defaults per profile:
   * control-1u 2, compute-1u 2, storage-2u 8. At most the chassis' bays minus two.
   */
  dataDrives?: number;
}

interface DriveModel {
  model: string;
  capacityBytes: number;
  media: DriveMedia;
}

interface ProfileSpec {
  /** Two letters that start the chassis serial. */
  serialCode: string;
  model: string;
  bays: number;
  cpu: LabHardware['cpu'];
  memory: LabHardware['memory'];
  dataDrive: DriveModel;
  defaultDataDrives: number;
  nicSpeedMbps: number;
  biosVersion: string;
  workloadProfile: string;
}

// Real drive models and their exact advertised capacities, so size arithmetic in roles meets real numbers.
const BOOT_SSD: DriveModel = {
  model: 'SAMSUNG MZ7L3480HCHQ-00A07',
  capacityBytes: 480_103_981_056,
  media: 'SSD',
};
const SSD_1T92: DriveModel = {
  model: 'SAMSUNG MZ7L31T9HBLT-00A07',
  capacityBytes: 1_920_383_410_176,
  media: 'SSD',
};
const SSD_3T84: DriveModel = {
  model: 'SAMSUNG MZ7L33T8HBLT-00A07',
  capacityBytes: 3_840_755_982_336,
  media: 'SSD',
};
const HDD_16T: DriveModel = { model: 'ST16000NM004J', capacityBytes: 16_000_900_661_248, media: 'HDD' };

const PROFILES: Record<HardwareProfile, ProfileSpec> = {
  'control-1u': {
    serialCode: 'LC',
    model: 'PL-1100C',
    bays: 10,
    cpu: {
      model: 'Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz',
      sockets: 1,
      coresPerSocket: 16,
      threadsPerCore: 2,
    },
    memory: { dimms: 8, dimmMiB: 16_384 },
    dataDrive: SSD_1T92,
    defaultDataDrives: 2,
    nicSpeedMbps: 10_000,
    biosVersion: '1.12.2',
    workloadProfile: 'LowLatency',
  },
  'compute-1u': {
    serialCode: 'LM',
    model: 'PL-1100M',
    bays: 10,
    cpu: {
      model: 'Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz',
      sockets: 2,
      coresPerSocket: 32,
      threadsPerCore: 2,
    },
    memory: { dimms: 16, dimmMiB: 32_768 },
    dataDrive: SSD_3T84,
    defaultDataDrives: 2,
    nicSpeedMbps: 25_000,
    biosVersion: '1.12.2',
    workloadProfile: 'VirtualizationOptimizedPerformance',
  },
  'storage-2u': {
    serialCode: 'LS',
    model: 'PL-2200S',
    bays: 26,
    cpu: { model: 'AMD EPYC 7313P 16-Core Processor', sockets: 1, coresPerSocket: 16, threadsPerCore: 2 },
    memory: { dimms: 8, dimmMiB: 32_768 },
    dataDrive: HDD_16T,
    defaultDataDrives: 8,
    nicSpeedMbps: 25_000,
    biosVersion: '2.8.4',
    workloadProfile: 'StorageIOPerformance',
  },
};

/** The vendor every profile reports; plainly a lab, so nobody mistakes it for a real inventory. */
export const LAB_MANUFACTURER = 'Plinth Lab';

/**
 * The hardware of machine `index` (its lab-wide index) built to `profile`; the same arguments always
 * give the same hardware. Serials and MACs are unique across a lab as long as indexes are.
 * Bays 0 and 1 hold SSD boot drives, data drives follow; `eno1` is the boot NIC.
 */
export function createHardware(
  profile: HardwareProfile,
  index: number,
  options: HardwareOptions = {},
): LabHardware {
  const spec = PROFILES[profile];
  const dataDrives = options.dataDrives ?? spec.defaultDataDrives;
  if (!Number.isInteger(dataDrives) || dataDrives < 0 || dataDrives > spec.bays - 2) {
    throw new RangeError(`${profile} has ${spec.bays - 2} data bays; ${dataDrives} data drives do not fit`);
  }
  const serial = labSerial(spec.serialCode, index);
  const drive = (bay: number, model: DriveModel): LabDrive => ({
    id: `Disk.Bay.${bay}`,
    model: model.model,
    serial: `${serial}D${bay.toString().padStart(2, '0')}`,
    capacityBytes: model.capacityBytes,
    media: model.media,
    failed: false,
  });
  const nics: LabNic[] = ['eno1', 'eno2'].map((id, nic) => ({
    id,
    mac: labMac(index, nic),
    speedMbps: spec.nicSpeedMbps,
  }));
  return {
    manufacturer: LAB_MANUFACTURER,
    model: spec.model,
    serial,
    cpu: { ...spec.cpu },
    memory: { ...spec.memory },
    drives: [
      drive(0, BOOT_SSD),
      drive(1, BOOT_SSD),
      ...Array.from({ length: dataDrives }, (_, n) => drive(n + 2, spec.dataDrive)),
    ],
    nics,
    biosVersion: spec.biosVersion,
    biosAttributes: {
      BootMode: 'Uefi',
      ProcVirtualization: 'Enabled',
      LogicalProc: 'Enabled',
      SriovGlobalEnable: 'Disabled',
      WorkloadProfile: spec.workloadProfile,
      PxeDev1EnDis: 'Enabled',
      SecureBoot: 'Disabled',
      NumaNodesPerSocket: 1,
    },
  };
}
