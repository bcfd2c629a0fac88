import { createHash } from 'node:crypto';
import { RAID_TYPES, type LabDrive, type LabMachine, type LabVolume } from '../../machine/lab-machine';
import type { JsonObject } from '../json';
import { collection, ref, status, stableUuid } from '../odata';
import { drivesHealth, volumeHealth, volumeTypeOf } from '../shape';
import { CHASSIS, DRIVES, STORAGE, STORAGES, VOLUMES } from './profile-paths';

export function storageCollection(): JsonObject {
  return collection('StorageCollection', 'Storage Collection', STORAGES, [STORAGE]);
}

export function storageController(machine: LabMachine): JsonObject {
  const health = drivesHealth(machine);
  return {
    '@odata.type': '#Storage.v1_13_0.Storage',
    '@odata.id': STORAGE,
    Id: 'RAID.Integrated.1',
    Name: 'Integrated RAID Controller',
    Description: 'Integrated RAID Controller',
    Status: { State: 'Enabled', Health: 'OK', HealthRollup: health },
    StorageControllers: [
      {
        '@odata.id': `${STORAGE}#/StorageControllers/0`,
        MemberId: '0',
        Name: 'Integrated RAID Controller',
        Manufacturer: 'Broadcom',
        Model: 'MegaRAID 9560-8i',
        FirmwareVersion: '52.26.0-5179',
        SpeedGbps: 12,
        SupportedControllerProtocols: ['PCIe'],
        SupportedDeviceProtocols: ['SAS', 'SATA'],
        SupportedRAIDTypes: RAID_TYPES.filter((type) => type !== 'None'),
        Status: status(),
      },
    ],
    Drives: machine.hardware.drives.map((drive) => ref(drivePath(drive))),
    'Drives@odata.count': machine.hardware.drives.length,
    Volumes: ref(VOLUMES),
    Links: { Enclosures: [ref(CHASSIS)] },
  };
}

export function volumeCollection(machine: LabMachine): JsonObject {
  return {
    ...collection(
      'VolumeCollection',
      'Volume Collection',
      VOLUMES,
      machine.volumes.map((volume) => volumePath(volume)),
    ),
    Description: 'Volumes of the integrated RAID controller',
  };
}

export function volumeDocument(machine: LabMachine, volume: LabVolume): JsonObject {
  return {
    '@odata.type': '#Volume.v1_6_2.Volume',
    '@odata.id': volumePath(volume),
    Id: volume.id,
    Name: volume.name,
    RAIDType: volume.raidType,
    VolumeType: volumeTypeOf(volume.raidType),
    CapacityBytes: volume.capacityBytes,
    BlockSizeBytes: 512,
    Encrypted: false,
    Status: status(volumeHealth(volume, machine)),
    Identifiers: [
      {
        DurableNameFormat: 'UUID',
        DurableName: stableUuid(`volume:${machine.hardware.serial}:${volume.id}`),
      },
    ],
    Links: {
      Drives: volume.driveIds.map((id) => ref(`${DRIVES}/${id}`)),
      'Drives@odata.count': volume.driveIds.length,
    },
  };
}

export function driveCollection(machine: LabMachine): JsonObject {
  return collection(
    'DriveCollection',
    'Drive Collection',
    DRIVES,
    machine.hardware.drives.map((drive) => drivePath(drive)),
  );
}

export function driveDocument(machine: LabMachine, drive: LabDrive): JsonObject {
  const volumes = machine.volumes.filter((volume) => volume.driveIds.includes(drive.id));
  return {
    '@odata.type': '#Drive.v1_13_0.Drive',
    '@odata.id': drivePath(drive),
    Id: drive.id,
    Name: `Physical Disk ${drive.id.replace(/^Disk\.Bay\./, '')}`,
    Manufacturer: driveManufacturer(drive.model),
    Model: drive.model,
    SerialNumber: drive.serial,
    CapacityBytes: drive.capacityBytes,
    MediaType: drive.media,
    Revision: drive.media === 'HDD' ? 'E004' : 'JXTC604Q',
    Protocol: drive.media === 'HDD' ? 'SAS' : 'SATA',
    BlockSizeBytes: 512,
    ...(drive.media === 'HDD' ? { RotationSpeedRPM: 7200 } : {}),
    CapableSpeedGbs: drive.media === 'HDD' ? 12 : 6,
    NegotiatedSpeedGbs: drive.media === 'HDD' ? 12 : 6,
    Identifiers: [{ DurableNameFormat: 'NAA', DurableName: naaOf(drive.serial) }],
    HotspareType: 'None',
    EncryptionAbility: 'None',
    EncryptionStatus: 'Unencrypted',
    FailurePredicted: false,
    Status: status(drive.failed ? 'Critical' : 'OK'),
    Links: {
      Volumes: volumes.map((volume) => ref(volumePath(volume))),
      Chassis: ref(CHASSIS),
      Storage: [ref(STORAGE)],
    },
  };
}

export const drivePath = (drive: Pick<LabDrive, 'id'>): string => `${DRIVES}/${drive.id}`;
export const volumePath = (volume: Pick<LabVolume, 'id'>): string => `${VOLUMES}/${volume.id}`;

/** A stable NAA-format World Wide Name (16 hex digits, IEEE registered format 5) from the serial. */
function naaOf(serial: string): string {
  return `5${createHash('sha1').update(serial).digest('hex').slice(0, 15).toUpperCase()}`;
}

function driveManufacturer(model: string): string {
  if (model.startsWith('SAMSUNG')) return 'Samsung';
  if (model.startsWith('ST')) return 'Seagate';
  return 'Unknown';
}
