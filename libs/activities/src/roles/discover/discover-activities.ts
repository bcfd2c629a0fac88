import { RoleError, type DiscoverActivities, type HardwareMismatchDetails } from '@plinth/contracts';
import type { HardwareInventoryRepository } from '@plinth/db';
import {
  compareHardware,
  expectedHardwareOf,
  type ExpectedHardware,
  type HardwareField,
} from '@plinth/domain';
import type { InventoryFact } from '@plinth/driver-bmc';
import {
  activityCallOptions,
  asRoleActivity,
  heartbeat,
  machineDriver,
  type BmcRoleDeps,
} from '../power/bmc-activity-support';

/** Dependencies of {@link createDiscoverActivities}. */
export interface DiscoverDeps extends BmcRoleDeps {
  inventories: HardwareInventoryRepository;
}

/** Expected fields that need each fact. */
const FIELDS_OF_FACT: Record<InventoryFact, HardwareField[]> = {
  cpu: ['cpuCores'],
  memory: ['memoryMiB'],
  drives: ['disks', 'diskMinSizeBytes'],
  nics: ['bootMac'],
  biosVersion: [],
  serial: ['serial'],
};

/**
 * The expectation restricted to what can be checked: fields whose facts the BMC cannot report are
 * set aside as unverified instead of being compared with empty placeholders.
 */
export function checkableExpectation(
  expected: ExpectedHardware,
  unavailable: readonly InventoryFact[],
): { checkable: ExpectedHardware; unverified: HardwareField[] } {
  const checkable: ExpectedHardware = { ...expected };
  const unverified: HardwareField[] = [];
  for (const fact of unavailable) {
    for (const field of FIELDS_OF_FACT[fact]) {
      if (checkable[field] === undefined) continue;
      delete checkable[field];
      unverified.push(field);
    }
  }
  return { checkable, unverified };
}

/** Builds the {@link DiscoverActivities} over BMC drivers and the inventory store. */
export const createDiscoverActivities = (deps: DiscoverDeps): DiscoverActivities => ({
  async discoverHardware(input) {
    return asRoleActivity(deps, 'discover', input, async (log) => {
      const { machine, driver } = await machineDriver(deps, input);
      heartbeat({ stage: 'reading inventory' });
      const { inventory, unavailable } = await driver.readInventory(
        activityCallOptions(deps, 'reading inventory'),
      );
      // Stored before the comparison: on a mismatch, operators can see what was found.
      const stored = await deps.inventories.record(machine.id, inventory, unavailable);
      const { checkable, unverified } = checkableExpectation(expectedHardwareOf(machine), unavailable);
      const differences = compareHardware(checkable, inventory);
      log?.info(
        {
          inventoryId: stored.id,
          contentHash: stored.contentHash,
          differences: differences.length,
          unverified,
        },
        'hardware discovered',
      );
      if (differences.length > 0) {
        const details: HardwareMismatchDetails = {
          machine: machine.name,
          inventoryId: stored.id,
          contentHash: stored.contentHash,
          differences,
        };
        throw new RoleError(
          'HardwareMismatch',
          `${machine.name}: the hardware differs from the inventory in ${differences.length} way(s): ${differences.map((d) => d.message).join('; ')}. Fix the machine or its inventory entry (expect, serial, bootMac), then retry the machine.`,
          { ...details },
        );
      }
      return {
        inventoryId: stored.id,
        contentHash: stored.contentHash,
        protocol: driver.protocol,
        unavailable: [...unavailable],
        unverified,
      };
    });
  },
});
