import { RAID_TYPES, type RaidType } from '../machine/lab-machine';
import { checkIfMatch, type BmcInternals } from './bmc-internals';
import type { BmcResponse } from './http-io';
import { isJsonObject, odataIdOf, type JsonObject } from './json';
import {
  propertyMissing,
  propertyUnknown,
  propertyValueNotInList,
  propertyValueTypeError,
  RedfishError,
  resourceMissing,
} from './redfish-error';
import type { RedfishTask } from './task-store';

/** Deprecated `VolumeType` values older clients send instead of `RAIDType`. */
const RAID_TYPE_BY_VOLUME_TYPE: Record<string, RaidType> = {
  RawDevice: 'None',
  NonRedundant: 'RAID0',
  Mirrored: 'RAID1',
  StripedWithParity: 'RAID5',
  SpannedMirrors: 'RAID10',
};

const CREATE_PROPERTIES = new Set([
  'RAIDType',
  'VolumeType',
  'Links',
  'Name',
  'DisplayName',
  'CapacityBytes',
  '@Redfish.OperationApplyTime',
]);

/**
 * `POST Volumes`: what can be known up front is checked now (400); the volume is created by the
 * machine when the task's time is up, and refusals then (failed or busy drives, drive counts) end
 * the task in `Exception`. CapacityBytes is accepted, but volumes always span their whole drives.
 */
export function createVolume(bmc: BmcInternals, body: JsonObject | undefined): BmcResponse {
  const volumesPath = bmc.shape.volumesPath;
  if (!volumesPath) throw resourceMissing('Volumes');
  const input = body ?? {};
  for (const key of Object.keys(input)) if (!CREATE_PROPERTIES.has(key)) throw propertyUnknown(key);
  const raidType = raidTypeOf(input);
  const driveIds = driveIdsOf(bmc, input['Links']);
  const name = input['Name'] ?? input['DisplayName'];
  if (name !== undefined && typeof name !== 'string') throw propertyValueTypeError(name, 'Name');
  const capacity = input['CapacityBytes'];
  if (capacity !== undefined && capacity !== null && (typeof capacity !== 'number' || capacity < 0)) {
    throw propertyValueTypeError(capacity, 'CapacityBytes');
  }
  const applyTime = input['@Redfish.OperationApplyTime'];
  if (applyTime !== undefined && applyTime !== 'Immediate') {
    throw propertyValueNotInList(applyTime, '@Redfish.OperationApplyTime', ['Immediate']);
  }
  const { machine, tasks } = bmc.context;
  const task = tasks.start(
    { name: 'Create volume', httpOperation: 'POST', targetUri: volumesPath, jsonBody: input },
    machine.timings.volumeTaskMs,
    () => {
      const volume = machine.createVolume({ raidType, driveIds, ...(name !== undefined ? { name } : {}) });
      return { kind: 'created', location: bmc.shape.volumePath(volume) };
    },
  );
  return accepted(bmc, task);
}

/** `DELETE Volumes/<id>`: 202 and a task; the volume goes when the task completes. */
export function deleteVolume(bmc: BmcInternals, volumeId: string, ifMatch: string | undefined): BmcResponse {
  const { machine, tasks } = bmc.context;
  const path = bmc.shape.volumePath({ id: volumeId });
  if (!machine.volumes.some((volume) => volume.id === volumeId)) throw resourceMissing(path);
  checkIfMatch(bmc, path, ifMatch);
  if (tasks.runningFor(path).length > 0) {
    throw new RedfishError(409, 'ResourceInUse', `Volume ${volumeId} is already being deleted.`, {
      resolution: 'Poll the task monitor of the running deletion.',
    });
  }
  const task = tasks.start(
    { name: `Delete volume ${volumeId}`, httpOperation: 'DELETE', targetUri: path },
    machine.timings.volumeTaskMs,
    () => {
      machine.deleteVolume(volumeId);
      return { kind: 'deleted' };
    },
  );
  return accepted(bmc, task);
}

/** 202 Accepted: `Location` is the task monitor, the body the Task (DSP0266 asynchronous operations). */
function accepted(bmc: BmcInternals, task: RedfishTask): BmcResponse {
  const { tasks } = bmc.context;
  return {
    status: 202,
    body: tasks.taskDocument(task),
    headers: {
      Location: tasks.monitorPath(task),
      'Retry-After': String(Math.max(1, Math.ceil(task.durationMs / 1000))),
    },
  };
}

function raidTypeOf(input: JsonObject): RaidType {
  const raidType = input['RAIDType'];
  if (raidType !== undefined) {
    if (typeof raidType !== 'string') throw propertyValueTypeError(raidType, 'RAIDType');
    if (!(RAID_TYPES as readonly string[]).includes(raidType))
      throw propertyValueNotInList(raidType, 'RAIDType', RAID_TYPES);
    return raidType as RaidType;
  }
  const volumeType = input['VolumeType'];
  if (volumeType === undefined) throw propertyMissing('RAIDType');
  const mapped = typeof volumeType === 'string' ? RAID_TYPE_BY_VOLUME_TYPE[volumeType] : undefined;
  if (!mapped) throw propertyValueNotInList(volumeType, 'VolumeType', Object.keys(RAID_TYPE_BY_VOLUME_TYPE));
  return mapped;
}

function driveIdsOf(bmc: BmcInternals, links: unknown): string[] {
  if (links === undefined) throw propertyMissing('Links/Drives');
  if (!isJsonObject(links)) throw propertyValueTypeError(links, 'Links');
  const drives = links['Drives'];
  if (drives === undefined) throw propertyMissing('Links/Drives');
  if (!Array.isArray(drives) || drives.length === 0) throw propertyValueTypeError(drives, 'Links/Drives');
  const ids = drives.map((entry, index) => {
    const odataId = odataIdOf(entry);
    const id = odataId === undefined ? undefined : bmc.shape.driveIdForLink(odataId, bmc.context.machine);
    if (id === undefined) {
      throw new RedfishError(
        400,
        'ResourceNotFound',
        `Links/Drives/${index} (${JSON.stringify(entry)}) is not a drive of this system.`,
        {
          relatedProperties: [`#/Links/Drives/${index}`],
          resolution: 'Link drives by the @odata.id the Storage resource lists.',
        },
      );
    }
    return id;
  });
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined) {
    throw new RedfishError(400, 'PropertyValueConflict', `Drive ${duplicate} is linked more than once.`, {
      relatedProperties: ['#/Links/Drives'],
    });
  }
  return ids;
}
