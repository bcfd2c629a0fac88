/**
 * A physical machine as the operator declares it (desired), and what discovery found on it
 * (observed). The two are different types on purpose: one is configuration, the other a fact.
 */

/** BMC driver families, chosen by the scheme of {@link BmcAccess.address}. */
export type BmcDriverKind = 'redfish' | 'ipmi';

/** The BMC address schemes Plinth understands, each naming a driver and a transport. */
export const BMC_SCHEMES = ['redfish', 'redfish+https', 'redfish+http', 'ipmi'] as const;

/** One of {@link BMC_SCHEMES}. */
export type BmcScheme = (typeof BMC_SCHEMES)[number];

/** How to reach a machine's baseboard management controller. */
export interface BmcAccess {
  /**
   * URL whose scheme picks the driver: `redfish://` and `redfish+https://` (Redfish over HTTPS),
   * `redfish+http://` (plain HTTP, labs only), `ipmi://` (IPMI v2 over LAN). Host, optional port,
   * optional path (Redfish system path), e.g. `redfish+https://10.10.0.11/redfish/v1/Systems/1`.
   */
  address: string;
  /** Reference to the stored secret holding username and password, e.g. `secret/bmc-rack1` — never the secret itself. */
  credentialsRef: string;
  /** Accept a self-signed TLS certificate (BMCs often ship one). Defaults to `false`. */
  insecureTls?: boolean;
  /** Reference to a stored CA bundle to verify the BMC certificate, e.g. `secret/bmc-ca`. */
  caBundleRef?: string;
}

/** Hardware the operator expects; discovery compares against it with {@link compareHardware}. */
export interface MachineExpectation {
  /** Total physical CPU cores across all sockets. */
  cpuCores?: number;
  /** Installed memory in MiB. */
  memoryMiB?: number;
  /** Number of drives. */
  disks?: number;
  /** Every drive must be at least this large, in bytes. */
  diskMinSizeBytes?: number;
}

/** A machine in the operator's inventory. */
export interface Machine {
  /** Unique name: a DNS label (`r1-cp-01`), also the hostname. */
  name: string;
  /** Chassis serial number; when given, discovery checks it. */
  serial?: string;
  /** BMC access. */
  bmc: BmcAccess;
  /** MAC address of the NIC the machine PXE-boots from, lowercase `aa:bb:cc:dd:ee:ff`. */
  bootMac: string;
  /** Rack name. */
  rack?: string;
  /** Position in the rack (rack unit, from 1). */
  position?: number;
  /** Free-form labels used by cluster selectors. Defaults to `{}`. */
  labels: Record<string, string>;
  /** Expected hardware, checked after discovery. */
  expect?: MachineExpectation;
  /** Machine-level params: the highest-precedence layer of `mergeParams`. */
  params?: Record<string, unknown>;
}

/** The inventory file: a list of machines. */
export interface InventoryDocument {
  /** The machines; names and boot MACs are unique. */
  machines: Machine[];
}

/** Drive media as reported by discovery. */
export type DriveMediaType = 'HDD' | 'SSD' | 'NVMe' | 'Unknown';

/** One physical drive found by discovery. */
export interface DiscoveredDrive {
  /** Driver-specific stable identifier (Redfish Drive Id, e.g. `Disk.Bay.0`). */
  id: string;
  /** Vendor model string. */
  model?: string;
  /** Capacity in bytes. */
  sizeBytes: number;
  /** Media type. */
  mediaType: DriveMediaType;
  /** Drive serial number. */
  serial?: string;
}

/** One network interface found by discovery. */
export interface DiscoveredNic {
  /** Driver-specific identifier (Redfish EthernetInterface Id, e.g. `NIC.Integrated.1-1`). */
  id: string;
  /** MAC address, lowercase `aa:bb:cc:dd:ee:ff`. */
  mac: string;
  /** Link speed in Mbit/s. */
  speedMbps?: number;
  /** Whether the link is up. */
  linkUp?: boolean;
}

/** Power state as reported by the BMC. */
export type PowerState = 'On' | 'Off' | 'PoweringOn' | 'PoweringOff' | 'Unknown';

/** What discovery found on a machine (observed, never edited by operators). */
export interface HardwareInventory {
  /** Processors. `cores` is the total of physical cores across all `sockets`. */
  cpu: { model: string; cores: number; sockets: number };
  /** Installed memory in MiB. */
  memoryMiB: number;
  /** Physical drives. */
  drives: DiscoveredDrive[];
  /** Network interfaces. */
  nics: DiscoveredNic[];
  /** BIOS / firmware version. */
  biosVersion?: string;
  /** Chassis serial number. */
  serial?: string;
  /** Manufacturer (e.g. `Dell Inc.`). */
  manufacturer?: string;
  /** Model (e.g. `PowerEdge R650`). */
  model?: string;
  /** Power state at discovery time. */
  powerState?: PowerState;
}

/** What {@link compareHardware} checks: the machine's expectation plus its identity facts. */
export interface ExpectedHardware extends MachineExpectation {
  /** Expected chassis serial. */
  serial?: string;
  /** The boot MAC, which must be one of the discovered NICs. */
  bootMac?: string;
}

/** The field a {@link HardwareDifference} is about. */
export type HardwareField = 'cpuCores' | 'memoryMiB' | 'disks' | 'diskMinSizeBytes' | 'serial' | 'bootMac';

/** One way the discovered hardware differs from what was expected. */
export interface HardwareDifference {
  /** What differs. For `diskMinSizeBytes` there is one difference per undersized drive. */
  field: HardwareField;
  /** The expected value. */
  expected: number | string;
  /** The value discovery found (for `bootMac`, the discovered MACs joined by `, `). */
  found: number | string;
  /** The drive concerned, for `diskMinSizeBytes`. */
  driveId?: string;
  /** An operator-readable sentence: what differs and by how much. */
  message: string;
}

/** The expectation to check for a machine: its `expect` block plus serial and boot MAC. */
export function expectedHardwareOf(machine: Machine): ExpectedHardware {
  return {
    ...machine.expect,
    ...(machine.serial !== undefined ? { serial: machine.serial } : {}),
    bootMac: machine.bootMac,
  };
}

const mib = (value: number): string =>
  `${value} MiB (${(value / 1024).toFixed(value % 1024 === 0 ? 0 : 1)} GiB)`;
const bytes = (value: number): string => `${value} bytes (${(value / 1e9).toFixed(1)} GB)`;

/**
 * Lists EVERY difference between expected and discovered hardware (not just the first), in a
 * fixed order: serial, boot MAC, CPU cores, memory, drive count, then each undersized drive.
 * Checks only what is expected: an empty expectation yields no differences. Memory and cores
 * must match exactly (a missing DIMM or a disabled socket is exactly what this should catch).
 * MACs are compared case-insensitively.
 */
export function compareHardware(
  expected: ExpectedHardware,
  inventory: HardwareInventory,
): HardwareDifference[] {
  const differences: HardwareDifference[] = [];
  if (expected.serial !== undefined && expected.serial !== (inventory.serial ?? '')) {
    const found = inventory.serial ?? '';
    differences.push({
      field: 'serial',
      expected: expected.serial,
      found,
      message: `expected serial ${expected.serial}, found ${found === '' ? 'none' : found}: is the BMC address pointing at the right machine?`,
    });
  }
  if (expected.bootMac !== undefined) {
    const wanted = expected.bootMac.toLowerCase();
    const macs = inventory.nics.map((nic) => nic.mac.toLowerCase());
    if (!macs.includes(wanted)) {
      const found = macs.join(', ');
      differences.push({
        field: 'bootMac',
        expected: wanted,
        found,
        message: `boot MAC ${wanted} is not among the discovered NICs (${found === '' ? 'none found' : found}): correct bootMac in the inventory`,
      });
    }
  }
  if (expected.cpuCores !== undefined && expected.cpuCores !== inventory.cpu.cores) {
    differences.push({
      field: 'cpuCores',
      expected: expected.cpuCores,
      found: inventory.cpu.cores,
      message: `expected ${expected.cpuCores} CPU cores, found ${inventory.cpu.cores} (${inventory.cpu.sockets} socket(s) of ${inventory.cpu.model})`,
    });
  }
  if (expected.memoryMiB !== undefined && expected.memoryMiB !== inventory.memoryMiB) {
    differences.push({
      field: 'memoryMiB',
      expected: expected.memoryMiB,
      found: inventory.memoryMiB,
      message: `expected ${mib(expected.memoryMiB)} of memory, found ${mib(inventory.memoryMiB)}`,
    });
  }
  if (expected.disks !== undefined && expected.disks !== inventory.drives.length) {
    differences.push({
      field: 'disks',
      expected: expected.disks,
      found: inventory.drives.length,
      message: `expected ${expected.disks} drive(s), found ${inventory.drives.length}`,
    });
  }
  if (expected.diskMinSizeBytes !== undefined) {
    for (const drive of inventory.drives) {
      if (drive.sizeBytes < expected.diskMinSizeBytes) {
        differences.push({
          field: 'diskMinSizeBytes',
          expected: expected.diskMinSizeBytes,
          found: drive.sizeBytes,
          driveId: drive.id,
          message: `drive ${drive.id} has ${bytes(drive.sizeBytes)}, smaller than the expected minimum of ${bytes(expected.diskMinSizeBytes)}`,
        });
      }
    }
  }
  return differences;
}

/** The parts of a BMC address, as read by {@link parseBmcAddress}. */
export interface BmcEndpoint {
  /** The scheme as written. */
  scheme: BmcScheme;
  /** Which driver handles it. */
  driver: BmcDriverKind;
  /** Transport for Redfish (`https` unless `redfish+http`); `udp` for IPMI. */
  transport: 'https' | 'http' | 'udp';
  /** Host name or IPv4 address. */
  host: string;
  /** Port when given. */
  port?: number;
  /** Path when given (Redfish system path), starting with `/`. */
  path?: string;
}

const bmcAddressPattern = /^([a-z+]+):\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?(\/[^\s?#]*)?$/;

/**
 * Parses a BMC address without the WHATWG `URL` global (not guaranteed inside the workflow
 * sandbox). Returns a reason string when the address is not usable.
 */
export function parseBmcAddress(address: string): BmcEndpoint | string {
  const match = bmcAddressPattern.exec(address);
  if (!match) return 'must be a URL like redfish+https://10.10.0.11 or ipmi://10.10.0.21';
  const scheme = match[1] ?? '';
  if (!(BMC_SCHEMES as readonly string[]).includes(scheme)) {
    return `scheme "${scheme}" is not supported; use one of: ${BMC_SCHEMES.map((s) => `${s}://`).join(', ')}`;
  }
  const typed = scheme as BmcScheme;
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return 'port must be between 1 and 65535';
  return {
    scheme: typed,
    driver: typed === 'ipmi' ? 'ipmi' : 'redfish',
    transport: typed === 'ipmi' ? 'udp' : typed === 'redfish+http' ? 'http' : 'https',
    host: match[2] ?? '',
    ...(port !== undefined ? { port } : {}),
    ...(match[4] !== undefined && match[4] !== '' ? { path: match[4] } : {}),
  };
}
