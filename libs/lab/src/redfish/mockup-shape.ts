import { RESET_TYPES, type LabVolume } from '../machine/lab-machine';
import { isJsonObject, type JsonObject } from './json';
import { mockupLayout, type MockupLayout } from './mockup-layout';
import { loadMockupTree, type MockupName, type MockupTree } from './mockup-tree';
import { collection, ref, stableUuid } from './odata';
import {
  drivesHealth,
  LAB_BOOT_TARGETS,
  memberId,
  standardResetEffect,
  volumeHealth,
  volumeTypeOf,
  type BmcContext,
  type RedfishShape,
} from './shape';

/** Reset types the lab can carry out: its own plus the ones {@link standardResetEffect} maps. */
const IMPLEMENTED_RESET_TYPES: readonly string[] = [...RESET_TYPES, 'ForceOn', 'PushPowerButton', 'Nmi'];

const shapes = new Map<MockupName, RedfishShape>();

/**
 * A DMTF mockup served as a hardware shape: its documents as published, with the machine's state laid
 * over them (PowerState, Boot, Bios attributes, drive health, the Volumes collection), so writes behave
 * as on a profile-shaped BMC while clients meet third-party data. One instance per mockup per process.
 */
export function mockupShape(name: MockupName): RedfishShape {
  const cached = shapes.get(name);
  if (cached) return cached;
  const shape = buildMockupShape(loadMockupTree(name));
  shapes.set(name, shape);
  return shape;
}

function buildMockupShape(tree: MockupTree): RedfishShape {
  const layout = mockupLayout(tree);
  const system = tree.get(layout.systemPath) ?? {};
  const resetTypes = advertisedResetTypes(system).filter((type) => IMPLEMENTED_RESET_TYPES.includes(type));
  const volumesPath = layout.storage?.volumesPath;
  // Volumes link their drives the way the mockup's controller does (for these mockups, under Chassis).
  const driveLinkById = new Map<string, string>();
  for (const path of layout.storage?.driveLinks ?? []) {
    const id = layout.driveIdsByPath.get(path);
    if (id !== undefined) driveLinkById.set(id, path);
  }
  const volumePath = (volume: Pick<LabVolume, 'id'>): string => {
    if (!volumesPath) throw new Error(`Redfish mockup ${tree.name} has no Volumes collection`);
    return `${volumesPath}/${volume.id}`;
  };

  return {
    systemPath: layout.systemPath,
    chassisPath: layout.chassisPath,
    managerPath: layout.managerPath,
    bios: layout.bios,
    volumesPath,
    resetTypes,
    bootTargets: LAB_BOOT_TARGETS,
    resetEffect: standardResetEffect,
    volumePath,
    driveIdForLink(odataId, machine) {
      const id = layout.driveIdsByPath.get(odataId);
      return id !== undefined && machine.hardware.drives.some((drive) => drive.id === id) ? id : undefined;
    },
    checkMachine(machine) {
      const serial = system['SerialNumber'];
      const missing = [...driveLinkById.keys()].filter(
        (id) => !machine.hardware.drives.some((d) => d.id === id),
      );
      if (machine.hardware.serial !== serial || missing.length > 0) {
        throw new Error(
          `machine ${machine.name} does not have the hardware of Redfish mockup ${tree.name}` +
            `${missing.length > 0 ? ` (drives ${missing.join(', ')} missing)` : ''}: create it with hardwareFromMockup('${tree.name}')`,
        );
      }
    },
    render(path, context) {
      const overlay = overlays(tree, layout, context, { driveLinkById, resetTypes, volumePath });
      const volumeId = volumesPath ? memberId(path, volumesPath) : undefined;
      if (volumeId !== undefined) return overlay.volume(volumeId);
      const driveId = layout.driveIdsByPath.get(path);
      if (driveId !== undefined) return overlay.drive(path, driveId);
      switch (path) {
        case '/redfish/v1':
          return overlay.serviceRoot();
        case layout.systemPath:
          return overlay.system();
        case layout.chassisPath:
          return overlay.withProperties(path, { PowerState: context.machine.power });
        case layout.bios?.path:
          return overlay.withProperties(path, { Attributes: { ...context.machine.biosAttributes } });
        case layout.bios?.settingsPath:
          return overlay.withProperties(path, { Attributes: { ...context.machine.pendingBiosAttributes } });
        case layout.storage?.path:
          return overlay.storage();
        case volumesPath:
          return overlay.volumeCollection();
        default:
          return tree.get(path);
      }
    },
  };
}

interface ShapeFacts {
  driveLinkById: Map<string, string>;
  resetTypes: string[];
  volumePath: (volume: Pick<LabVolume, 'id'>) => string;
}

/** Renders the overlaid documents of one request. Each clones the mockup document it changes. */
function overlays(tree: MockupTree, layout: MockupLayout, context: BmcContext, facts: ShapeFacts) {
  const { machine } = context;
  const copy = (path: string): JsonObject => structuredClone(tree.get(path) ?? {}) as JsonObject;
  const withProperties = (path: string, properties: JsonObject): JsonObject => ({
    ...copy(path),
    ...properties,
  });
  return {
    withProperties,
    serviceRoot(): JsonObject {
      // The published mockup claims $expand and other queries; the lab answers none of them, and says so.
      return withProperties('/redfish/v1', {
        ProtocolFeaturesSupported: {
          ExpandQuery: { ExpandAll: false, Levels: false, Links: false, NoLinks: false },
          SelectQuery: false,
          FilterQuery: false,
          OnlyMemberQuery: false,
          ExcerptQuery: false,
        },
      });
    },
    system(): JsonObject {
      const doc = copy(layout.systemPath);
      const boot = isJsonObject(doc['Boot']) ? doc['Boot'] : {};
      doc['PowerState'] = machine.power;
      doc['Boot'] = {
        ...boot,
        BootSourceOverrideEnabled: machine.bootOverride.enabled,
        BootSourceOverrideTarget: machine.bootOverride.target,
        // Narrowed to what the lab's firmware can boot, so the allowable values stay truthful.
        'BootSourceOverrideTarget@Redfish.AllowableValues': [...LAB_BOOT_TARGETS],
        BootSourceOverrideMode: context.bootMode,
      };
      const actions = isJsonObject(doc['Actions']) ? doc['Actions'] : {};
      const reset = actions['#ComputerSystem.Reset'];
      if (isJsonObject(reset)) reset['ResetType@Redfish.AllowableValues'] = [...facts.resetTypes];
      return doc;
    },
    storage(): JsonObject {
      const doc = copy(layout.storage?.path ?? '');
      const status = isJsonObject(doc['Status']) ? doc['Status'] : {};
      doc['Status'] = { ...status, HealthRollup: drivesHealth(machine) };
      return doc;
    },
    drive(path: string, driveId: string): JsonObject {
      const doc = copy(path);
      const failed = machine.hardware.drives.find((drive) => drive.id === driveId)?.failed ?? false;
      const status = isJsonObject(doc['Status']) ? doc['Status'] : {};
      if (failed) doc['Status'] = { ...status, Health: 'Critical' };
      if (facts.driveLinkById.has(driveId)) {
        // The published links point at the mockup's own volumes; the lab's volumes replace them.
        const links = isJsonObject(doc['Links']) ? doc['Links'] : {};
        const volumes = machine.volumes.filter((volume) => volume.driveIds.includes(driveId));
        doc['Links'] = { ...links, Volumes: volumes.map((volume) => ref(facts.volumePath(volume))) };
      }
      return doc;
    },
    volumeCollection(): JsonObject {
      const path = layout.storage?.volumesPath ?? '';
      const doc = copy(path);
      const generated = collection('VolumeCollection', '', path, machine.volumes.map(facts.volumePath));
      doc['Members@odata.count'] = generated['Members@odata.count'];
      doc['Members'] = generated['Members'];
      return doc;
    },
    volume(id: string): JsonObject | undefined {
      const volume = machine.volumes.find((candidate) => candidate.id === id);
      if (!volume) return undefined;
      const template = layout.volumeTemplatePath ? copy(layout.volumeTemplatePath) : {};
      // The template's Initialize action points at another system in the published mockup: not carried over.
      delete template['Actions'];
      return {
        ...template,
        '@odata.type': template['@odata.type'] ?? '#Volume.v1_6_2.Volume',
        '@odata.id': facts.volumePath(volume),
        Id: volume.id,
        Name: volume.name,
        RAIDType: volume.raidType,
        VolumeType: volumeTypeOf(volume.raidType),
        CapacityBytes: volume.capacityBytes,
        Status: { State: 'Enabled', Health: volumeHealth(volume, machine) },
        Identifiers: [
          {
            DurableNameFormat: 'UUID',
            DurableName: stableUuid(`volume:${machine.hardware.serial}:${volume.id}`),
          },
        ],
        Links: { Drives: volume.driveIds.map((driveId) => ref(facts.driveLinkById.get(driveId) ?? driveId)) },
      };
    },
  };
}

function advertisedResetTypes(system: Readonly<JsonObject>): string[] {
  const actions = system['Actions'];
  const reset = isJsonObject(actions) ? actions['#ComputerSystem.Reset'] : undefined;
  const values = isJsonObject(reset) ? reset['ResetType@Redfish.AllowableValues'] : undefined;
  return Array.isArray(values)
    ? values.filter((value): value is string => typeof value === 'string')
    : [...RESET_TYPES];
}
