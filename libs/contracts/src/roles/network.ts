/**
 * The network role: static addresses from the cluster's pools, switch ports, and host networking
 * (netplan) applied over SSH with `netplan try` semantics. Inputs carry ids and references; the
 * network plan itself is read from the stored cluster revision by the activities.
 */
import type { OsFamily } from '@plinth/domain';
import type { SshAccess } from './ssh';

/** Which spec revision a role works from (its plan is loaded from the database, not carried in history). */
export interface ClusterRevisionRef {
  clusterId: string;
  revision: number;
}

/** A NIC of the machine as discovery found it: OS interface name and lowercase MAC. */
export interface MachineNic {
  name: string;
  mac: string;
}

/** A static address given to one of the machine's interfaces. */
export interface AllocatedAddress {
  /** Interface (bond or VLAN name from the plan). */
  interfaceName: string;
  pool: string;
  /** Dotted-quad IPv4. */
  address: string;
  prefix: number;
}

/** Where one of the machine's NICs is cabled. */
export interface SwitchPortLink {
  nic: string;
  switchId: string;
  portId: string;
}

export interface AllocateAddressesInput extends ClusterRevisionRef {
  machineId: string;
}

export interface ConfigureSwitchPortsInput extends ClusterRevisionRef {
  machineId: string;
  /** Machine name, written into port descriptions. */
  machineName: string;
  links: SwitchPortLink[];
  /** VLAN for untagged traffic (access ports, trunks' native VLAN). Default 1. */
  untaggedVlan?: number;
}

export interface ApplyNetworkInput extends ClusterRevisionRef {
  machineId: string;
  ssh: SshAccess;
  osFamily: OsFamily;
  nics: MachineNic[];
  /** The NIC the machine netboots from; when the plan does not use it, it keeps DHCP. */
  bootNic?: string;
  /** From {@link NetworkActivities.allocateAddresses}. */
  addresses: AllocatedAddress[];
  /** Seconds `netplan try` waits for confirmation before reverting. Default 60. */
  tryTimeoutSeconds?: number;
}

export interface ApplyNetworkResult {
  /** False when the host already ran exactly this configuration (nothing was applied). */
  changed: boolean;
  /** sha256 of the rendered netplan YAML (the YAML itself stays out of history). */
  netplanSha256: string;
  /** The default gateway, verified to be on a configured network; absent with DHCP only. */
  gateway?: string;
}

/**
 * Network role activities. Every one is idempotent (safe to run again after a crash at any point).
 *
 * - `allocateAddresses`: one address per interface that asks for `pool/<name>`, recorded in the
 *   database; the same machine always gets the same addresses. `AddressPoolExhausted` (not retryable).
 * - `configureSwitchPorts`: access/trunk VLANs and LAGs on the machine's switch ports, changing only
 *   ports that differ. `CommandFailed` (switch unreachable, retryable), `NetworkApplyFailed` (refused, not retryable).
 * - `applyNetwork`: renders netplan, and when the host does not already run it, writes it and applies
 *   it with `netplan try`: the change is confirmed only after a fresh SSH connection succeeds and the
 *   addresses are in place, otherwise it is reverted (files included) and the activity fails with
 *   `NetworkApplyFailed` (not retryable). Then verifies addresses, bonds, VLANs and the gateway.
 *   `SshUnreachable` (retryable), `CommandFailed` (retryable), `TemplateError` (not retryable).
 */
export interface NetworkActivities {
  allocateAddresses(input: AllocateAddressesInput): Promise<{ addresses: AllocatedAddress[] }>;
  configureSwitchPorts(input: ConfigureSwitchPortsInput): Promise<{ changed: number; unchanged: number }>;
  applyNetwork(input: ApplyNetworkInput): Promise<ApplyNetworkResult>;
}
