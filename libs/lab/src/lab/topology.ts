import { isHardwareProfile, type HardwareProfile } from '../hardware';
import { MOCKUP_NAMES, type MockupName } from '../redfish';
import { MAX_ADDRESSED_MACHINES } from './address-plan';

/** What a lab machine is built from: a hardware profile or a DMTF mockup served as-is. */
export type LabHardwareShape = HardwareProfile | MockupName;

/** One machine of a lab, before anything runs. */
export interface LabMachineSpec {
  /** Unique DNS label; also the inventory name. */
  name: string;
  hardware: LabHardwareShape;
  /** The protocol its BMC speaks. Mockup-shaped machines are Redfish only. */
  bmc: 'redfish' | 'ipmi';
  /** Inventory labels (`pool` is what cluster specs select on). */
  labels: Record<string, string>;
  /** Data drives for profile hardware (see `HardwareOptions.dataDrives`); the profile's default when absent. */
  dataDrives?: number;
}

/** Knobs of {@link defaultTopology}; `plinth lab up` exposes each as a flag. */
export interface DefaultTopologyOptions {
  /** Control planes and workers: the first min(3, N) are `control-1u` `lab-cp-<k>`, the rest `compute-1u` `lab-w-<k>`. */
  machines: number;
  /** Extra `storage-2u` machines `lab-st-<k>` (label `pool=storage`). Default 0. */
  storage?: number;
  /** Data drives of each storage machine (default: the profile's 8). */
  storageDataDrives?: number;
  /** How many of the control/worker machines, counted from the last, get an IPMI BMC instead of Redfish. Default 0. */
  ipmi?: number;
  /** Add one machine per DMTF mockup (`lab-dmtf-<mockup>`, label `pool=mockup`). Default false. */
  mockups?: boolean;
}

const CONTROL_PLANES = 3;

/**
 * The standard lab: control planes first, then workers, storage machines, mockup machines. IPMI
 * BMCs go to the last `ipmi` workers (then control planes), where a deployment meets them last.
 */
export function defaultTopology(options: DefaultTopologyOptions): LabMachineSpec[] {
  const machines = count('machines', options.machines);
  const storage = count('storage', options.storage ?? 0);
  const ipmi = count('ipmi', options.ipmi ?? 0);
  if (ipmi > machines) {
    throw new Error(
      `ipmi: ${ipmi} IPMI machines asked for, but there are only ${machines} control/worker machines`,
    );
  }
  const specs: LabMachineSpec[] = [];
  for (let k = 1; k <= machines; k++) {
    const control = k <= CONTROL_PLANES;
    specs.push({
      name: control ? `lab-cp-${k}` : `lab-w-${k - CONTROL_PLANES}`,
      hardware: control ? 'control-1u' : 'compute-1u',
      bmc: k > machines - ipmi ? 'ipmi' : 'redfish',
      labels: { pool: control ? 'control' : 'worker' },
    });
  }
  for (let k = 1; k <= storage; k++) {
    specs.push({
      name: `lab-st-${k}`,
      hardware: 'storage-2u',
      bmc: 'redfish',
      labels: { pool: 'storage' },
      ...(options.storageDataDrives !== undefined ? { dataDrives: options.storageDataDrives } : {}),
    });
  }
  if (options.mockups) {
    for (const mockup of MOCKUP_NAMES) {
      specs.push({
        name: `lab-${mockup.replace('-public-', '-')}`,
        hardware: mockup,
        bmc: 'redfish',
        labels: { pool: 'mockup' },
      });
    }
  }
  return specs;
}

/** Checks a topology before anything starts: unique DNS-label names, shapes that exist, IPMI only on profiles. */
export function checkTopology(specs: readonly LabMachineSpec[]): void {
  if (specs.length > MAX_ADDRESSED_MACHINES) {
    throw new Error(`a lab has at most ${MAX_ADDRESSED_MACHINES} machines; ${specs.length} were asked for`);
  }
  const names = new Set<string>();
  for (const spec of specs) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(spec.name)) {
      throw new Error(
        `lab machine name "${spec.name}" is not a DNS label (a-z, 0-9, "-", at most 63 characters)`,
      );
    }
    if (names.has(spec.name)) throw new Error(`lab machine name "${spec.name}" is used twice`);
    names.add(spec.name);
    const profile = isHardwareProfile(spec.hardware);
    if (!profile && !(MOCKUP_NAMES as readonly string[]).includes(spec.hardware)) {
      throw new Error(`${spec.name}: unknown hardware "${spec.hardware}"`);
    }
    if (!profile && spec.bmc === 'ipmi') {
      throw new Error(`${spec.name}: ${spec.hardware} is a Redfish mockup and cannot have an IPMI BMC`);
    }
  }
}

/** Rack units a machine takes: the profile's height (mockups are 1U rack servers). */
export function rackUnitsOf(hardware: LabHardwareShape): number {
  return hardware === 'storage-2u' ? 2 : 1;
}

/** Usable units of a lab rack. */
export const RACK_UNITS = 42;

/** Where each machine sits: racks `lab-r1`, `lab-r2`, … filled bottom-up, position = lowest unit (from 1). */
export function rackLayout(specs: readonly LabMachineSpec[]): Array<{ rack: string; position: number }> {
  let rack = 1;
  let nextUnit = 1;
  return specs.map((spec) => {
    const units = rackUnitsOf(spec.hardware);
    if (nextUnit + units - 1 > RACK_UNITS) {
      rack += 1;
      nextUnit = 1;
    }
    const place = { rack: `lab-r${rack}`, position: nextUnit };
    nextUnit += units;
    return place;
  });
}

function count(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${what}: expected a whole number ≥ 0, got ${value}`);
  return value;
}
