import { RESET_TYPES, type LabMachine } from '../../machine/lab-machine';
import type { JsonObject } from '../json';
import {
  LAB_BOOT_TARGETS,
  memberId,
  standardResetEffect,
  type BmcContext,
  type RedfishShape,
} from '../shape';
import {
  BIOS,
  BIOS_SETTINGS,
  CHASSIS,
  CHASSIS_COLLECTION,
  DRIVES,
  MANAGER,
  MANAGERS,
  MEMORY,
  NICS,
  PROCESSORS,
  ROOT,
  SESSION_SERVICE,
  STORAGE,
  STORAGES,
  SYSTEM,
  SYSTEMS,
  TASK_SERVICE,
  VOLUMES,
} from './profile-paths';
import {
  chassis,
  chassisCollection,
  manager,
  managerCollection,
  odataServiceDocument,
  serviceRoot,
  sessionService,
  taskService,
} from './service-documents';
import {
  driveCollection,
  driveDocument,
  storageCollection,
  storageController,
  volumeCollection,
  volumeDocument,
  volumePath,
} from './storage-documents';
import {
  biosDocument,
  biosSettingsDocument,
  computerSystem,
  ethernetInterface,
  memoryCollection,
  memoryModule,
  nicCollection,
  processor,
  processorCollection,
  systemCollection,
} from './system-documents';

type Render = (context: BmcContext) => JsonObject;

const SINGLE_RESOURCES = new Map<string, Render>([
  [ROOT, ({ machine }) => serviceRoot(machine)],
  [`${ROOT}/odata`, () => odataServiceDocument()],
  [SYSTEMS, () => systemCollection()],
  [SYSTEM, (context) => computerSystem(context)],
  [PROCESSORS, ({ machine }) => processorCollection(machine)],
  [MEMORY, ({ machine }) => memoryCollection(machine)],
  [NICS, ({ machine }) => nicCollection(machine)],
  [BIOS, ({ machine }) => biosDocument(machine)],
  [BIOS_SETTINGS, ({ machine }) => biosSettingsDocument(machine)],
  [STORAGES, () => storageCollection()],
  [STORAGE, ({ machine }) => storageController(machine)],
  [VOLUMES, ({ machine }) => volumeCollection(machine)],
  [CHASSIS_COLLECTION, () => chassisCollection()],
  [CHASSIS, ({ machine }) => chassis(machine)],
  [DRIVES, ({ machine }) => driveCollection(machine)],
  [MANAGERS, () => managerCollection()],
  [MANAGER, ({ machine }) => manager(machine)],
  [SESSION_SERVICE, (context) => sessionService(context)],
  [TASK_SERVICE, () => taskService()],
]);

type RenderMember = (machine: LabMachine, id: string) => JsonObject | undefined;

const MEMBERS: [string, RenderMember][] = [
  [PROCESSORS, processor],
  [MEMORY, memoryModule],
  [NICS, ethernetInterface],
  [
    VOLUMES,
    (machine, id) => {
      const volume = machine.volumes.find((candidate) => candidate.id === id);
      return volume ? volumeDocument(machine, volume) : undefined;
    },
  ],
  [
    DRIVES,
    (machine, id) => {
      const drive = machine.hardware.drives.find((candidate) => candidate.id === id);
      return drive ? driveDocument(machine, drive) : undefined;
    },
  ],
];

/**
 * The shape generated from a hardware profile: every document is built on request from the
 * machine's state, so an idle BMC holds no documents at all.
 */
export const profileShape: RedfishShape = {
  systemPath: SYSTEM,
  chassisPath: CHASSIS,
  managerPath: MANAGER,
  bios: { path: BIOS, settingsPath: BIOS_SETTINGS },
  volumesPath: VOLUMES,
  resetTypes: RESET_TYPES,
  bootTargets: LAB_BOOT_TARGETS,
  resetEffect: standardResetEffect,
  volumePath,
  driveIdForLink(odataId, machine) {
    const id = memberId(odataId, DRIVES);
    return id !== undefined && machine.hardware.drives.some((drive) => drive.id === id) ? id : undefined;
  },
  checkMachine() {
    // Every LabHardware can be presented: the documents are generated from it.
  },
  render(path, context) {
    const single = SINGLE_RESOURCES.get(path);
    if (single) return single(context);
    for (const [collectionPath, renderMember] of MEMBERS) {
      const id = memberId(path, collectionPath);
      if (id !== undefined) return renderMember(context.machine, id);
    }
    return undefined;
  },
};
