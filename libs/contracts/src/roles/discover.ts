/** The discover role as an activity: read the hardware out of band, store it, check it. */
import type { HardwareDifference, HardwareField } from '@plinth/domain';
import type { MachineRef } from './bmc';

/** What discovery stored (the inventory stays in the database; history carries its id and hash). */
export interface DiscoverResult {
  /** `hardware_inventories.id` of the stored inventory. */
  inventoryId: string;
  /** sha256 of the stored inventory: equal hashes, equal findings. */
  contentHash: string;
  /** The protocol the BMC spoke. */
  protocol: 'redfish' | 'ipmi';
  /** Facts the BMC could not report (IPMI: cpu, memory, drives, nics, biosVersion). */
  unavailable: string[];
  /** Expected fields that could not be checked because their facts are unavailable. */
  unverified: HardwareField[];
}

/** `details` of a `HardwareMismatch` failure: every difference, and where the findings are stored. */
export interface HardwareMismatchDetails {
  machine: string;
  inventoryId: string;
  contentHash: string;
  differences: HardwareDifference[];
}

/**
 * Failures: `HardwareMismatch` (details: {@link HardwareMismatchDetails}; the inventory is stored
 * first, so operators can see what was found), the BMC codes of `PowerActivities`.
 */
export interface DiscoverActivities {
  /**
   * Reads CPU, memory, drives, NICs and MACs, BIOS version and serial through the machine's BMC,
   * stores them as a new `hardware_inventories` row and compares them with the machine's expected
   * hardware (its `expect` block, serial and boot MAC), listing every difference.
   * Idempotent: a rerun has no BMC side effects; it stores one more row (a new fact in time).
   */
  discoverHardware(input: MachineRef): Promise<DiscoverResult>;
}
