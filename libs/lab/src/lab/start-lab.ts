import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlApi, type ControlApi } from '../control/control-api';
import { createHardware, hardwareFromMockup, isHardwareProfile } from '../hardware';
import { HostSimulator, LabWorld } from '../host';
import { LabMachine, type LabHardware } from '../machine/lab-machine';
import { machineAddress, parseLoopbackNetwork } from './address-plan';
import { startIpmiEndpoint, startRedfishEndpoint, type RunningBmc } from './bmc-endpoints';
import { forEachBounded } from './bounded';
import { generateLabCredentials, LAB_BMC_CREDENTIALS_REF } from './credentials';
import { inventoryDocument, inventoryYaml, type InventorySource } from './inventory';
import type { Lab, LabMachineEntry, LabOptions } from './lab-types';
import { checkTopology, defaultTopology, rackLayout, type LabMachineSpec } from './topology';

export const DEFAULT_NETBOOT_URL = 'http://127.0.0.1:3000/boot/ipxe';
const DEFAULT_MACHINES = 6;
/** ipmi_sim processes started at once: each forks and reads its config, which is CPU work on 2 cores. */
const IPMI_START_CONCURRENCY = 4;

/** A machine whose BMC has not started yet. */
interface PendingMachine {
  number: number;
  spec: LabMachineSpec;
  machine: LabMachine;
  host: HostSimulator;
  place: { rack: string; position: number };
  bmcHost: string;
}

/**
 * Starts a lab: builds every machine of the topology (state, hardware, host simulator — nothing
 * heavy: documents are rendered on request and a host holds nothing until it boots), starts all
 * BMCs on their own loopback addresses with bounded concurrency, then the control API.
 * If anything fails to start, everything started so far is stopped before the error is thrown.
 */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const specs =
    options.topology ??
    defaultTopology({
      machines: options.machines ?? DEFAULT_MACHINES,
      ...(options.storage !== undefined ? { storage: options.storage } : {}),
      ...(options.storageDataDrives !== undefined ? { storageDataDrives: options.storageDataDrives } : {}),
      ...(options.ipmi !== undefined ? { ipmi: options.ipmi } : {}),
      ...(options.mockups !== undefined ? { mockups: options.mockups } : {}),
    });
  checkTopology(specs);
  const bmcNetwork = parseLoopbackNetwork(options.bmcNetwork ?? '127.1');
  const sshNetwork = parseLoopbackNetwork(options.sshNetwork ?? '127.2');
  if (bmcNetwork === sshNetwork)
    throw new Error(`BMCs and hosts need different networks; both are ${bmcNetwork}`);
  const bmcPort = port('bmcPort', options.bmcPort ?? 8000);
  const sshPort = port('sshPort', options.sshPort ?? 2222);
  const credentials = options.credentials ?? generateLabCredentials();
  if (credentials.password.length >= 20 && specs.some((spec) => spec.bmc === 'ipmi')) {
    // ipmi_sim takes it, but ipmitool then cannot open an RMCP+ session: fail here, not at the first client.
    throw new Error('IPMI machines need a BMC password of at most 19 characters (ipmitool fails with 20)');
  }
  const netbootUrl = options.netbootUrl ?? DEFAULT_NETBOOT_URL;
  new URL(netbootUrl); // fail now, not at the first netboot, on a malformed URL
  const world = new LabWorld();
  const places = rackLayout(specs);

  const pending: PendingMachine[] = specs.map((spec, offset) => {
    const number = offset + 1;
    const machine = new LabMachine({
      name: spec.name,
      hardware: hardwareOf(spec, number),
      ...(options.timings ? { timings: options.timings } : {}),
    });
    const host = new HostSimulator({
      netbootUrl,
      sshHost: machineAddress(sshNetwork, number),
      sshPort,
      world,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    machine.bootHandler = host;
    return {
      number,
      spec,
      machine,
      host,
      place: places[offset] ?? { rack: 'lab-r1', position: 1 },
      bmcHost: machineAddress(bmcNetwork, number),
    };
  });

  const ipmiMachines = pending.filter((entry) => entry.spec.bmc === 'ipmi');
  const ownsWorkDir = ipmiMachines.length > 0 && options.workDir === undefined;
  const workDir = ownsWorkDir ? await mkdtemp(join(tmpdir(), 'plinth-lab-')) : options.workDir;
  const bmcs = new Map<number, RunningBmc>();
  let control: ControlApi | undefined;

  const stopAll = async (): Promise<void> => {
    await control?.close();
    // BMCs first, so nothing powers a machine on again while the hosts stop.
    await Promise.all([...bmcs.values()].map((bmc) => bmc.close()));
    // Power loss aborts whatever a host is doing (netboot, install, OS boot) and stops its sshd. Every
    // machine, not only those on: a ForceOff queues behind a power-on still in flight (and is a no-op when off).
    await Promise.all(pending.map((entry) => entry.machine.reset('ForceOff')));
    await Promise.all(pending.map((entry) => entry.host.close()));
    if (ownsWorkDir && workDir) await rm(workDir, { recursive: true, force: true });
  };

  const startBmc = async (entry: PendingMachine): Promise<void> => {
    const { machine, spec } = entry;
    try {
      const bmc =
        spec.bmc === 'ipmi'
          ? await startIpmiEndpoint({
              machine,
              host: entry.bmcHost,
              port: bmcPort,
              credentials,
              workDir: join(workDir ?? tmpdir(), spec.name),
              onError: (error) => reportError(options, machine.name, error),
            })
          : await startRedfishEndpoint({
              machine,
              host: entry.bmcHost,
              port: bmcPort,
              credentials,
              shape: isHardwareProfile(spec.hardware)
                ? { kind: 'profile' }
                : { kind: 'mockup', name: spec.hardware },
              ...(options.bmcRebootDowntimeMs !== undefined
                ? { rebootDowntimeMs: options.bmcRebootDowntimeMs }
                : {}),
            });
      bmcs.set(entry.number, bmc);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `lab machine ${machine.name}: its ${spec.bmc} BMC did not start on ${entry.bmcHost}:${bmcPort}: ${reason}`,
        {
          cause: error,
        },
      );
    }
  };

  const concurrency = Math.max(1, options.startConcurrency ?? 64);
  try {
    await Promise.all([
      forEachBounded(
        pending.filter((entry) => entry.spec.bmc === 'redfish'),
        concurrency,
        startBmc,
      ),
      forEachBounded(ipmiMachines, Math.min(concurrency, IPMI_START_CONCURRENCY), startBmc),
    ]);
  } catch (error) {
    await stopAll();
    throw error;
  }

  const entries: LabMachineEntry[] = pending.map((entry) => {
    const bmc = bmcs.get(entry.number);
    if (!bmc) throw new Error(`lab machine ${entry.spec.name}: BMC missing after start`);
    return {
      name: entry.spec.name,
      number: entry.number,
      spec: entry.spec,
      hardwareShape: entry.spec.hardware,
      machine: entry.machine,
      host: entry.host,
      bmc: bmc.endpoint,
      rack: entry.place.rack,
      position: entry.place.position,
      sshAddress: () => entry.host.sshAddress,
    };
  });
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const inventorySources = (): InventorySource[] =>
    entries.map((entry) => ({
      name: entry.name,
      bmcAddress: entry.bmc.address,
      bootMac: entry.machine.bootMac,
      rack: entry.rack,
      position: entry.position,
      labels: entry.spec.labels,
      hardware: entry.machine.hardware,
    }));

  let closing: Promise<void> | undefined;
  const lab: Lab = {
    machines: entries,
    machine: (name) => byName.get(name),
    world,
    credentials: { ...credentials },
    credentialsRef: LAB_BMC_CREDENTIALS_REF,
    get controlUrl(): string {
      if (!control) throw new Error('the lab control API is not running');
      return control.url;
    },
    inventory: () => inventoryDocument(inventorySources()),
    inventoryYaml: () => inventoryYaml(inventoryDocument(inventorySources())),
    close: () => (closing ??= stopAll()),
  };
  try {
    control = await startControlApi({
      lab,
      host: options.controlHost ?? '127.0.0.1',
      port: port('controlPort', options.controlPort ?? 0),
    });
  } catch (error) {
    await stopAll();
    throw error;
  }
  return lab;
}

function hardwareOf(spec: LabMachineSpec, number: number): LabHardware {
  if (!isHardwareProfile(spec.hardware)) return hardwareFromMockup(spec.hardware);
  return createHardware(
    spec.hardware,
    number,
    spec.dataDrives !== undefined ? { dataDrives: spec.dataDrives } : {},
  );
}

function port(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error(`${what}: ${value} is not a port number (0 to 65535; 0 picks a free one)`);
  }
  return value;
}

function reportError(options: LabOptions, machineName: string, error: Error): void {
  if (options.logger) options.logger.warn({ machineId: machineName, err: error }, 'lab BMC action failed');
  else process.emitWarning(error.message);
}
