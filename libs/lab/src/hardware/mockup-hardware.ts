import type { LabDrive, LabHardware, LabNic } from '../machine/lab-machine';
import { isJsonObject, odataIdOf, odataIdsOf, type JsonObject } from '../redfish/json';
import { mockupLayout } from '../redfish/mockup-layout';
import { loadMockupTree, type MockupName, type MockupTree } from '../redfish/mockup-tree';

/**
 * The hardware a DMTF mockup describes, so that discovery of a mockup-shaped machine finds what the
 * mockup says: present processors and DIMMs, the storage controller's drives (or, for a mockup with
 * only SimpleStorage, its present devices), physical NICs, BIOS version and attributes.
 * Every call returns a fresh object (drive failures are per machine).
 */
export function hardwareFromMockup(name: MockupName): LabHardware {
  const tree = loadMockupTree(name);
  const layout = mockupLayout(tree);
  const system = doc(tree, layout.systemPath);
  const processors = presentMembers(tree, odataIdOf(system['Processors'])).filter(
    (cpu) => cpu['ProcessorType'] === undefined || cpu['ProcessorType'] === 'CPU',
  );
  const firstCpu = processors[0];
  const dimms = presentMembers(tree, odataIdOf(system['Memory']));
  const biosDoc = layout.bios ? doc(tree, layout.bios.path) : undefined;
  return {
    manufacturer: text(system['Manufacturer']),
    model: text(system['Model']),
    serial: text(system['SerialNumber']),
    cpu: {
      model: text(firstCpu?.['Model']),
      sockets: processors.length,
      coresPerSocket: number(firstCpu?.['TotalCores']),
      threadsPerCore: threadsPerCore(firstCpu),
    },
    memory: { dimms: dimms.length, dimmMiB: number(dimms[0]?.['CapacityMiB']) },
    drives: layout.storage
      ? storageDrives(tree, layout.storage.driveLinks)
      : simpleStorageDrives(tree, system),
    nics: layout.nicPaths.map((path): LabNic => {
      const nic = doc(tree, path);
      return {
        id: text(nic['Id']),
        mac: text(nic['MACAddress']).toLowerCase(),
        speedMbps: number(nic['SpeedMbps']),
      };
    }),
    biosVersion: text(system['BiosVersion']),
    biosAttributes: biosAttributesOf(biosDoc),
  };
}

function storageDrives(tree: MockupTree, links: string[]): LabDrive[] {
  return links.map((path) => {
    const drive = doc(tree, path);
    return {
      id: text(drive['Id']),
      model: text(drive['Model']),
      serial: text(drive['SerialNumber']),
      capacityBytes: number(drive['CapacityBytes']),
      media: drive['MediaType'] === 'SSD' ? 'SSD' : 'HDD',
      failed: false,
    };
  });
}

/** SimpleStorage devices have no Id or serial: the device name (`SATA Bay 1`) stands in for the Id. */
function simpleStorageDrives(tree: MockupTree, system: Readonly<JsonObject>): LabDrive[] {
  const drives: LabDrive[] = [];
  for (const controller of presentMembers(tree, odataIdOf(system['SimpleStorage']))) {
    const devices = Array.isArray(controller['Devices']) ? controller['Devices'] : [];
    for (const device of devices) {
      if (!isJsonObject(device) || !isPresent(device)) continue;
      drives.push({
        id: text(device['Name']),
        model: text(device['Model']),
        serial: '',
        capacityBytes: number(device['CapacityBytes']),
        media: 'HDD',
        failed: false,
      });
    }
  }
  return drives;
}

function biosAttributesOf(bios: Readonly<JsonObject> | undefined): LabHardware['biosAttributes'] {
  const attributes: LabHardware['biosAttributes'] = {};
  const source = bios?.['Attributes'];
  if (!isJsonObject(source)) return attributes;
  for (const [key, value] of Object.entries(source)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      attributes[key] = value;
  }
  return attributes;
}

function threadsPerCore(cpu: Readonly<JsonObject> | undefined): number {
  const cores = number(cpu?.['TotalCores']);
  const threads = number(cpu?.['TotalThreads']);
  return cores > 0 && threads > 0 ? Math.max(1, Math.round(threads / cores)) : 1;
}

/** Members of a collection whose `Status.State` is not `Absent` (empty sockets and slots are listed too). */
function presentMembers(tree: MockupTree, collection: string | undefined): Readonly<JsonObject>[] {
  if (!collection) return [];
  return odataIdsOf(tree.get(collection)?.['Members'])
    .map((path) => doc(tree, path))
    .filter(isPresent);
}

function isPresent(resource: Readonly<JsonObject>): boolean {
  const status = resource['Status'];
  return !(isJsonObject(status) && status['State'] === 'Absent');
}

function doc(tree: MockupTree, path: string): Readonly<JsonObject> {
  const found = tree.get(path);
  if (!found) throw new Error(`Redfish mockup ${tree.name}: ${path} is linked but missing`);
  return found;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const number = (value: unknown): number => (typeof value === 'number' ? value : 0);
