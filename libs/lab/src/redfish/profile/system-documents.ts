import { RESET_TYPES, type LabMachine } from '../../machine/lab-machine';
import type { JsonObject } from '../json';
import { collection, ref, status, stableUuid } from '../odata';
import { drivesHealth, LAB_BOOT_TARGETS, redfishMac, type BmcContext } from '../shape';
import {
  BIOS,
  BIOS_SETTINGS,
  CHASSIS,
  MANAGER,
  MEMORY,
  NICS,
  PROCESSORS,
  STORAGES,
  SYSTEM,
  SYSTEMS,
} from './profile-paths';

export function systemCollection(): JsonObject {
  return collection('ComputerSystemCollection', 'Computer System Collection', SYSTEMS, [SYSTEM]);
}

export function computerSystem(context: BmcContext): JsonObject {
  const { machine } = context;
  const { hardware } = machine;
  const { cpu, memory } = hardware;
  return {
    '@odata.type': '#ComputerSystem.v1_20_0.ComputerSystem',
    '@odata.id': SYSTEM,
    Id: '1',
    Name: 'System',
    SystemType: 'Physical',
    Manufacturer: hardware.manufacturer,
    Model: hardware.model,
    SerialNumber: hardware.serial,
    UUID: stableUuid(`system:${hardware.serial}`),
    HostName: machine.installedOs?.hostname ?? '',
    BiosVersion: hardware.biosVersion,
    PowerState: machine.power,
    Status: { State: 'Enabled', Health: 'OK', HealthRollup: drivesHealth(machine) },
    Boot: {
      BootSourceOverrideEnabled: machine.bootOverride.enabled,
      'BootSourceOverrideEnabled@Redfish.AllowableValues': ['Disabled', 'Once', 'Continuous'],
      BootSourceOverrideTarget: machine.bootOverride.target,
      'BootSourceOverrideTarget@Redfish.AllowableValues': [...LAB_BOOT_TARGETS],
      BootSourceOverrideMode: context.bootMode,
    },
    ProcessorSummary: {
      Count: cpu.sockets,
      CoreCount: cpu.sockets * cpu.coresPerSocket,
      LogicalProcessorCount: cpu.sockets * cpu.coresPerSocket * cpu.threadsPerCore,
      Model: cpu.model,
      Status: { State: 'Enabled', Health: 'OK', HealthRollup: 'OK' },
    },
    MemorySummary: {
      TotalSystemMemoryGiB: (memory.dimms * memory.dimmMiB) / 1024,
      Status: { State: 'Enabled', Health: 'OK', HealthRollup: 'OK' },
    },
    Bios: ref(BIOS),
    Processors: ref(PROCESSORS),
    Memory: ref(MEMORY),
    EthernetInterfaces: ref(NICS),
    Storage: ref(STORAGES),
    Links: { Chassis: [ref(CHASSIS)], ManagedBy: [ref(MANAGER)] },
    Actions: {
      '#ComputerSystem.Reset': {
        target: `${SYSTEM}/Actions/ComputerSystem.Reset`,
        'ResetType@Redfish.AllowableValues': [...RESET_TYPES],
      },
    },
  };
}

export function processorCollection(machine: LabMachine): JsonObject {
  const members = Array.from({ length: machine.hardware.cpu.sockets }, (_, n) => `${PROCESSORS}/CPU${n + 1}`);
  return collection('ProcessorCollection', 'Processors Collection', PROCESSORS, members);
}

/** Processor `CPU<n>` (1-based), or undefined when there is no such socket. */
export function processor(machine: LabMachine, id: string): JsonObject | undefined {
  const socket = socketNumber(id, 'CPU', machine.hardware.cpu.sockets);
  if (socket === undefined) return undefined;
  const { cpu } = machine.hardware;
  const intel = cpu.model.includes('Intel');
  return {
    '@odata.type': '#Processor.v1_11_0.Processor',
    '@odata.id': `${PROCESSORS}/${id}`,
    Id: id,
    Name: 'Processor',
    Socket: `CPU ${socket}`,
    ProcessorType: 'CPU',
    ProcessorArchitecture: 'x86',
    InstructionSet: 'x86-64',
    Manufacturer: intel ? 'Intel(R) Corporation' : 'Advanced Micro Devices, Inc.',
    Model: cpu.model,
    TotalCores: cpu.coresPerSocket,
    TotalEnabledCores: cpu.coresPerSocket,
    TotalThreads: cpu.coresPerSocket * cpu.threadsPerCore,
    Status: status(),
  };
}

export function memoryCollection(machine: LabMachine): JsonObject {
  const members = Array.from({ length: machine.hardware.memory.dimms }, (_, n) => `${MEMORY}/DIMM${n + 1}`);
  return collection('MemoryCollection', 'Memory Module Collection', MEMORY, members);
}

export function memoryModule(machine: LabMachine, id: string): JsonObject | undefined {
  const slot = socketNumber(id, 'DIMM', machine.hardware.memory.dimms);
  if (slot === undefined) return undefined;
  return {
    '@odata.type': '#Memory.v1_14_0.Memory',
    '@odata.id': `${MEMORY}/${id}`,
    Id: id,
    Name: `DIMM Slot ${slot}`,
    CapacityMiB: machine.hardware.memory.dimmMiB,
    MemoryType: 'DRAM',
    MemoryDeviceType: 'DDR4',
    BaseModuleType: 'RDIMM',
    OperatingSpeedMhz: 3200,
    ErrorCorrection: 'MultiBitECC',
    MemoryLocation: { Socket: 1 + ((slot - 1) % machine.hardware.cpu.sockets), Slot: slot },
    Status: status(),
  };
}

export function nicCollection(machine: LabMachine): JsonObject {
  const members = machine.hardware.nics.map((nic) => `${NICS}/${nic.id}`);
  return collection('EthernetInterfaceCollection', 'Ethernet Interface Collection', NICS, members);
}

export function ethernetInterface(machine: LabMachine, id: string): JsonObject | undefined {
  const nic = machine.hardware.nics.find((candidate) => candidate.id === id);
  if (!nic) return undefined;
  const os = machine.installedOs;
  return {
    '@odata.type': '#EthernetInterface.v1_6_0.EthernetInterface',
    '@odata.id': `${NICS}/${nic.id}`,
    Id: nic.id,
    Name: 'Ethernet Interface',
    Description: `System NIC ${nic.id}`,
    Status: status(),
    InterfaceEnabled: true,
    LinkStatus: 'LinkUp',
    MACAddress: redfishMac(nic.mac),
    PermanentMACAddress: redfishMac(nic.mac),
    SpeedMbps: nic.speedMbps,
    FullDuplex: true,
    HostName: os?.hostname ?? '',
    FQDN: os?.hostname ?? '',
    NameServers: [],
    IPv6Addresses: [],
    // What the host OS configured, as a BMC learns it from the host agent; empty before install.
    IPv4Addresses: ipv4Addresses(os?.addresses[nic.id] ?? []),
  };
}

export function biosDocument(machine: LabMachine): JsonObject {
  return {
    '@odata.type': '#Bios.v1_1_0.Bios',
    '@odata.id': BIOS,
    Id: 'Bios',
    Name: 'BIOS Configuration Current Settings',
    AttributeRegistry: 'PlinthLabBiosAttributeRegistry.v1_0_0',
    Attributes: { ...machine.biosAttributes },
    '@Redfish.Settings': {
      '@odata.type': '#Settings.v1_3_5.Settings',
      SettingsObject: ref(BIOS_SETTINGS),
      SupportedApplyTimes: ['OnReset'],
    },
    Actions: { '#Bios.ResetBios': { target: `${BIOS}/Actions/Bios.ResetBios` } },
  };
}

/** The settings object: only the attributes staged for the next boot (empty once applied). */
export function biosSettingsDocument(machine: LabMachine): JsonObject {
  return {
    '@odata.type': '#Bios.v1_1_0.Bios',
    '@odata.id': BIOS_SETTINGS,
    Id: 'Settings',
    Name: 'BIOS Configuration Pending Settings',
    AttributeRegistry: 'PlinthLabBiosAttributeRegistry.v1_0_0',
    Attributes: { ...machine.pendingBiosAttributes },
  };
}

function socketNumber(id: string, prefix: string, count: number): number | undefined {
  const match = new RegExp(`^${prefix}([1-9][0-9]*)$`).exec(id);
  const n = match?.[1] !== undefined ? Number(match[1]) : NaN;
  return n >= 1 && n <= count ? n : undefined;
}

function ipv4Addresses(cidrs: string[]): JsonObject[] {
  return cidrs
    .filter((cidr) => /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr))
    .map((cidr) => {
      const [address = '', prefix = '32'] = cidr.split('/');
      return { Address: address, SubnetMask: subnetMask(Number(prefix)), AddressOrigin: 'Static' };
    });
}

function subnetMask(prefix: number): string {
  const bits = prefix <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefix, 32))) >>> 0;
  return [24, 16, 8, 0].map((shift) => (bits >>> shift) & 0xff).join('.');
}
