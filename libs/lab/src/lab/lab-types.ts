import type { InventoryDocument } from '@plinth/domain';
import type { Logger } from '@plinth/logger';
import type { HostSimulator, LabWorld } from '../host';
import type { LabMachine, LabTimings } from '../machine/lab-machine';
import type { LabBmcCredentials } from './credentials';
import type { DefaultTopologyOptions, LabHardwareShape, LabMachineSpec } from './topology';

/** How to reach one lab BMC, whichever protocol it speaks. */
export interface LabBmcEndpoint {
  readonly protocol: 'redfish' | 'ipmi';
  readonly host: string;
  /** TCP port (Redfish) or UDP port (IPMI). */
  readonly port: number;
  /** As an inventory names it: `redfish+http://host:port` or `ipmi://host:port`. */
  readonly address: string;
  /** `http://host:port` for Redfish (the service root is `<url>/redfish/v1`); undefined for IPMI. */
  readonly url: string | undefined;
  /**
   * Reboot the BMC, as a firmware update or `Manager.Reset` does: every session is dropped and it
   * does not answer for a moment. Resolves when it answers again. The host's power is untouched.
   */
  reboot(): Promise<void>;
}

/** One running lab machine: its state, its BMC and its host. */
export interface LabMachineEntry {
  readonly name: string;
  /** 1-based position in the lab; decides the machine's addresses. */
  readonly number: number;
  readonly spec: LabMachineSpec;
  readonly hardwareShape: LabHardwareShape;
  readonly machine: LabMachine;
  readonly host: HostSimulator;
  readonly bmc: LabBmcEndpoint;
  readonly rack: string;
  readonly position: number;
  /** Where the installed OS answers SSH; the port is undefined until the first install when the lab's SSH port is 0. */
  sshAddress(): { host: string; port: number | undefined };
}

/** Options of `startLab`. Everything has a default; `startLab({})` is a six-machine Redfish lab. */
export interface LabOptions extends Partial<DefaultTopologyOptions> {
  /** The machines, when the default topology (from `machines`, `storage`, `ipmi`, `mockups`) does not fit. */
  topology?: LabMachineSpec[];
  /** The boot file URL DHCP would hand out; hosts GET `<url>?mac=<bootMac>`. Default `http://127.0.0.1:3000/boot/ipxe`. */
  netbootUrl?: string;
  /** How long simulated operations take, for every machine. */
  timings?: Partial<LabTimings>;
  /** The BMC account of every machine; generated (user `admin`, a random password) when absent. */
  credentials?: LabBmcCredentials;
  /** First two octets of the BMC addresses. Default `127.1` (machine 1 at 127.1.0.1). */
  bmcNetwork?: string;
  /** First two octets of the host (SSH) addresses. Default `127.2`. */
  sshNetwork?: string;
  /** Port of every BMC: TCP for Redfish, UDP for IPMI. Default 8000; 0 lets each BMC pick a free one. */
  bmcPort?: number;
  /** Port every host's sshd listens on. Default 2222; 0 picks a free one per host at its first install. */
  sshPort?: number;
  /** Loopback address of the control API. Default 127.0.0.1. */
  controlHost?: string;
  /** Port of the control API. Default 0 (a free one). */
  controlPort?: number;
  /** Folder for ipmi_sim configuration and state (one subfolder per IPMI machine). A temporary folder, removed at close, when absent. */
  workDir?: string;
  /** BMCs started at once (IPMI BMCs, which are processes, at most 4 at once). Default 64. */
  startConcurrency?: number;
  /** How long a Redfish BMC reboot refuses connections. Default 500 ms. */
  bmcRebootDowntimeMs?: number;
  logger?: Logger;
}

/** A running lab. */
export interface Lab {
  readonly machines: readonly LabMachineEntry[];
  /** The machine called `name`, if any. */
  machine(name: string): LabMachineEntry | undefined;
  /** Lab-wide Kubernetes and Helm state the hosts share. */
  readonly world: LabWorld;
  readonly credentials: LabBmcCredentials;
  /** The reference inventories use for {@link credentials}: `secret/lab-bmc`. */
  readonly credentialsRef: string;
  /** Base URL of the control API, e.g. `http://127.0.0.1:40123`. */
  readonly controlUrl: string;
  /** The machine list in the inventory format of the API; passes `validateInventory`. */
  inventory(): InventoryDocument;
  /** {@link inventory} as YAML. */
  inventoryYaml(): string;
  /** Stops everything: control API, BMCs (and their ipmi_sim processes), hosts' SSH servers. Safe to call again. */
  close(): Promise<void>;
}
