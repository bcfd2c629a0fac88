import { isJsonObject, odataIdOf, odataIdsOf, type JsonObject } from './json';
import type { MockupTree } from './mockup-tree';

/** Where a mockup keeps the resources the lab overlays with state, found by following its links. */
export interface MockupLayout {
  systemPath: string;
  chassisPath: string;
  managerPath: string;
  /** `Bios` and its settings object, when the mockup has them. */
  bios: { path: string; settingsPath: string } | undefined;
  /** The first Storage resource with a Volumes collection (the only place volumes can be created). */
  storage: { path: string; volumesPath: string; driveLinks: string[] } | undefined;
  /** Every Drive document in the mockup by path → its Id (the same drive can live under Chassis and Storage). */
  driveIdsByPath: Map<string, string>;
  /** Physical host NICs: virtual (VLAN) interfaces and the host interface to the BMC are left out. */
  nicPaths: string[];
  /** The static Volume documents, used as the template for volumes the lab creates. */
  volumeTemplatePath: string | undefined;
}

const layouts = new WeakMap<MockupTree, MockupLayout>();

/** Reads the layout of a mockup once; throws when the mockup lacks a system, chassis or manager. */
export function mockupLayout(tree: MockupTree): MockupLayout {
  const cached = layouts.get(tree);
  if (cached) return cached;
  const system = firstMember(tree, '/redfish/v1/Systems');
  const systemDoc = required(tree, system);
  const links = isJsonObject(systemDoc['Links']) ? systemDoc['Links'] : {};
  const chassisPath = odataIdsOf(links['Chassis'])[0] ?? firstMember(tree, '/redfish/v1/Chassis');
  const managerPath = odataIdsOf(links['ManagedBy'])[0] ?? firstMember(tree, '/redfish/v1/Managers');
  const biosPath = odataIdOf(systemDoc['Bios']);
  const biosDoc = biosPath ? tree.get(biosPath) : undefined;
  const settings =
    biosDoc && isJsonObject(biosDoc['@Redfish.Settings']) ? biosDoc['@Redfish.Settings'] : undefined;
  const settingsPath = settings ? odataIdOf(settings['SettingsObject']) : undefined;

  const layout: MockupLayout = {
    systemPath: system,
    chassisPath,
    managerPath,
    bios: biosPath && settingsPath ? { path: biosPath, settingsPath } : undefined,
    storage: findStorage(tree, systemDoc),
    driveIdsByPath: new Map(),
    nicPaths: physicalNics(tree, systemDoc),
    volumeTemplatePath: undefined,
  };
  for (const path of tree.paths()) {
    const doc = required(tree, path);
    const type = typeof doc['@odata.type'] === 'string' ? doc['@odata.type'] : '';
    if (type.startsWith('#Drive.') && typeof doc['Id'] === 'string')
      layout.driveIdsByPath.set(path, doc['Id']);
    if (type.startsWith('#Volume.') && layout.storage && path.startsWith(`${layout.storage.volumesPath}/`)) {
      layout.volumeTemplatePath ??= path;
    }
  }
  layouts.set(tree, layout);
  return layout;
}

function findStorage(tree: MockupTree, systemDoc: Readonly<JsonObject>): MockupLayout['storage'] {
  const collection = odataIdOf(systemDoc['Storage']);
  if (!collection) return undefined;
  for (const path of odataIdsOf(tree.get(collection)?.['Members'])) {
    const storage = tree.get(path);
    const volumesPath = storage ? odataIdOf(storage['Volumes']) : undefined;
    if (storage && volumesPath) return { path, volumesPath, driveLinks: odataIdsOf(storage['Drives']) };
  }
  return undefined;
}

function physicalNics(tree: MockupTree, systemDoc: Readonly<JsonObject>): string[] {
  const collection = odataIdOf(systemDoc['EthernetInterfaces']);
  if (!collection) return [];
  return odataIdsOf(tree.get(collection)?.['Members']).filter((path) => {
    const nic = tree.get(path);
    if (!nic || nic['EthernetInterfaceType'] === 'Virtual') return false;
    const nicLinks = nic['Links'];
    return !(isJsonObject(nicLinks) && nicLinks['HostInterface'] !== undefined);
  });
}

function firstMember(tree: MockupTree, collection: string): string {
  const member = odataIdsOf(tree.get(collection)?.['Members'])[0];
  if (!member) throw new Error(`Redfish mockup ${tree.name}: ${collection} has no members`);
  return member;
}

function required(tree: MockupTree, path: string): Readonly<JsonObject> {
  const doc = tree.get(path);
  if (!doc) throw new Error(`Redfish mockup ${tree.name}: ${path} is linked but missing`);
  return doc;
}
