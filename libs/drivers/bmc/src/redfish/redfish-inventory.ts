import type {
  DiscoveredDrive,
  DiscoveredNic,
  DriveMediaType,
  HardwareInventory,
  PowerState,
} from '@plinth/domain';
import type { InventoryFact } from '../bmc-driver';
import {
  isObject,
  isPresent,
  mapLimit,
  numberOf,
  objectOf,
  odataIdOf,
  odataIdsOf,
  textOf,
  type RedfishDocument,
} from './redfish-json';

/** Reads a document (authenticated GET, 200 expected). */
export type RedfishReader = (path: string) => Promise<RedfishDocument>;
/** Reads the member paths of a collection, following `Members@odata.nextLink`. */
export type RedfishCollectionReader = (path: string) => Promise<string[]>;

/** Documents fetched at once from one BMC: BMCs serve few requests in parallel. */
export const BMC_READ_CONCURRENCY = 4;

/**
 * The hardware inventory of a ComputerSystem, read the way the DMTF schemas define it: present CPUs
 * (ProcessorType CPU) and DIMMs, drives of every Storage controller (SimpleStorage devices when the
 * system has no Storage), physical host NICs (VLANs and the BMC host interface left out), BIOS version,
 * serial, manufacturer, model and power state. Facts the system does not link at all are reported
 * as unavailable rather than as zero.
 */
export async function readRedfishInventory(
  system: RedfishDocument,
  get: RedfishReader,
  members: RedfishCollectionReader,
): Promise<{ inventory: HardwareInventory; unavailable: InventoryFact[] }> {
  const unavailable: InventoryFact[] = [];
  const [cpu, memoryMiB, drives, nics] = await Promise.all([
    readCpu(system, get, members),
    readMemory(system, get, members),
    readDrives(system, get, members),
    readNics(system, get, members),
  ]);
  if (!cpu) unavailable.push('cpu');
  if (memoryMiB === undefined) unavailable.push('memory');
  if (!drives) unavailable.push('drives');
  if (!nics) unavailable.push('nics');
  const biosVersion = textOf(system['BiosVersion']);
  const serial = textOf(system['SerialNumber']);
  if (biosVersion === undefined) unavailable.push('biosVersion');
  if (serial === undefined) unavailable.push('serial');
  const manufacturer = textOf(system['Manufacturer']);
  const model = textOf(system['Model']);
  const inventory: HardwareInventory = {
    cpu: cpu ?? { model: '', cores: 0, sockets: 0 },
    memoryMiB: memoryMiB ?? 0,
    drives: drives ?? [],
    nics: nics ?? [],
    ...(biosVersion !== undefined ? { biosVersion } : {}),
    ...(serial !== undefined ? { serial } : {}),
    ...(manufacturer !== undefined ? { manufacturer } : {}),
    ...(model !== undefined ? { model } : {}),
    powerState: powerStateOf(system['PowerState']),
  };
  return { inventory, unavailable };
}

/** Redfish `PowerState` as the domain's {@link PowerState}. */
export function powerStateOf(value: unknown): PowerState {
  switch (value) {
    case 'On':
    case 'Off':
    case 'PoweringOn':
    case 'PoweringOff':
      return value;
    default:
      return 'Unknown';
  }
}

async function readCpu(
  system: RedfishDocument,
  get: RedfishReader,
  members: RedfishCollectionReader,
): Promise<HardwareInventory['cpu'] | undefined> {
  const summary = objectOf(system['ProcessorSummary']);
  const collection = odataIdOf(system['Processors']);
  if (collection) {
    const processors = (await mapLimit(await members(collection), BMC_READ_CONCURRENCY, get)).filter(
      (cpu) => isPresent(cpu) && (cpu['ProcessorType'] === undefined || cpu['ProcessorType'] === 'CPU'),
    );
    return {
      model: textOf(processors[0]?.['Model']) ?? textOf(summary['Model']) ?? '',
      cores: processors.reduce((total, cpu) => total + (numberOf(cpu['TotalCores']) ?? 0), 0),
      sockets: processors.length,
    };
  }
  const sockets = numberOf(summary['Count']);
  const cores = numberOf(summary['CoreCount']);
  if (sockets === undefined || cores === undefined) return undefined;
  return { model: textOf(summary['Model']) ?? '', cores, sockets };
}

async function readMemory(
  system: RedfishDocument,
  get: RedfishReader,
  members: RedfishCollectionReader,
): Promise<number | undefined> {
  const collection = odataIdOf(system['Memory']);
  if (collection) {
    const dimms = (await mapLimit(await members(collection), BMC_READ_CONCURRENCY, get)).filter(isPresent);
    const sized = dimms.map((dimm) => numberOf(dimm['CapacityMiB'])).filter((mib) => mib !== undefined);
    if (sized.length > 0) return sized.reduce((total, mib) => total + mib, 0);
  }
  const gib = numberOf(objectOf(system['MemorySummary'])['TotalSystemMemoryGiB']);
  return gib === undefined ? undefined : Math.round(gib * 1024);
}

async function readDrives(
  system: RedfishDocument,
  get: RedfishReader,
  members: RedfishCollectionReader,
): Promise<DiscoveredDrive[] | undefined> {
  const storage = odataIdOf(system['Storage']);
  if (storage) {
    const controllers = await mapLimit(await members(storage), BMC_READ_CONCURRENCY, get);
    const paths = [...new Set(controllers.flatMap((controller) => odataIdsOf(controller['Drives'])))];
    const drives = (await mapLimit(paths, BMC_READ_CONCURRENCY, get)).filter(isPresent);
    return drives.map(discoveredDrive).filter((drive): drive is DiscoveredDrive => drive !== undefined);
  }
  const simple = odataIdOf(system['SimpleStorage']);
  if (!simple) return undefined;
  const controllers = (await mapLimit(await members(simple), BMC_READ_CONCURRENCY, get)).filter(isPresent);
  // SimpleStorage devices have no Id: the device name (`SATA Bay 1`) is their stable identifier.
  return controllers.flatMap((controller) =>
    (Array.isArray(controller['Devices']) ? controller['Devices'] : [])
      .filter((device): device is RedfishDocument => isObject(device) && isPresent(device))
      .flatMap((device): DiscoveredDrive[] => {
        const id = textOf(device['Name']);
        if (!id) return [];
        const model = textOf(device['Model']);
        return [
          {
            id,
            ...(model ? { model } : {}),
            sizeBytes: numberOf(device['CapacityBytes']) ?? 0,
            mediaType: 'Unknown',
          },
        ];
      }),
  );
}

/** A Drive document as a {@link DiscoveredDrive}; undefined without an Id. */
export function discoveredDrive(drive: RedfishDocument): DiscoveredDrive | undefined {
  const id = textOf(drive['Id']);
  if (!id) return undefined;
  const model = textOf(drive['Model']);
  const serial = textOf(drive['SerialNumber']);
  return {
    id,
    ...(model ? { model } : {}),
    sizeBytes: numberOf(drive['CapacityBytes']) ?? 0,
    mediaType: mediaTypeOf(drive),
    ...(serial ? { serial } : {}),
  };
}

function mediaTypeOf(drive: RedfishDocument): DriveMediaType {
  if (drive['Protocol'] === 'NVMe') return 'NVMe';
  if (drive['MediaType'] === 'HDD') return 'HDD';
  if (drive['MediaType'] === 'SSD') return 'SSD';
  return 'Unknown';
}

async function readNics(
  system: RedfishDocument,
  get: RedfishReader,
  members: RedfishCollectionReader,
): Promise<DiscoveredNic[] | undefined> {
  const collection = odataIdOf(system['EthernetInterfaces']);
  if (!collection) return undefined;
  const interfaces = await mapLimit(await members(collection), BMC_READ_CONCURRENCY, get);
  const nics: DiscoveredNic[] = [];
  for (const nic of interfaces) {
    // VLAN sub-interfaces repeat their parent's MAC; the host interface to the BMC is not a host NIC.
    if (nic['EthernetInterfaceType'] === 'Virtual') continue;
    if (objectOf(nic['Links'])['HostInterface'] !== undefined) continue;
    const id = textOf(nic['Id']);
    const mac = textOf(nic['MACAddress']) ?? textOf(nic['PermanentMACAddress']);
    if (!id || !mac || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) continue;
    const speed = numberOf(nic['SpeedMbps']);
    const link = textOf(nic['LinkStatus']);
    nics.push({
      id,
      mac: mac.toLowerCase(),
      ...(speed !== undefined ? { speedMbps: speed } : {}),
      ...(link !== undefined ? { linkUp: link === 'LinkUp' } : {}),
    });
  }
  return nics;
}
