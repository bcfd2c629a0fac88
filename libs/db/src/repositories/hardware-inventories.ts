import type { DataSource } from 'typeorm';
import type { HardwareInventory } from '@plinth/domain';
import { HardwareInventoryEntity } from '../entities/hardware-inventory.entity';
import { contentHash } from './canonical-json';

/** One discovery of one machine, as stored. */
export interface StoredHardwareInventory {
  id: string;
  machineId: string;
  inventory: HardwareInventory;
  /**
   * Facts the BMC could not report (IPMI sees no CPUs or drives): their fields in `inventory` are
   * empty placeholders, not findings. Empty for a complete inventory.
   */
  unavailable: string[];
  /** sha256 of the canonical stored document: equal hashes mean equal findings. */
  contentHash: string;
  discoveredAt: Date;
}

/** What workflows carry instead of the inventory itself. */
export interface InventoryReference {
  id: string;
  contentHash: string;
  discoveredAt: Date;
}

/**
 * Discovered hardware, one row per discovery: history is kept, the newest row per machine is the
 * machine's current inventory.
 */
export interface HardwareInventoryRepository {
  /**
   * Stores a discovery. Not idempotent by design: every call records a new fact in time (a rerun of
   * discovery adds a row with the same hash when nothing changed). The machine must exist.
   */
  record(
    machineId: string,
    inventory: HardwareInventory,
    unavailable?: readonly string[],
  ): Promise<InventoryReference>;
  /** The newest inventory of a machine, if it was ever discovered. */
  latest(machineId: string): Promise<StoredHardwareInventory | undefined>;
  /** One stored inventory by id. */
  get(id: string): Promise<StoredHardwareInventory | undefined>;
  /** A machine's inventories, newest first, at most `limit` (default 20). */
  history(machineId: string, limit?: number): Promise<StoredHardwareInventory[]>;
}

/** Stored beside the inventory's own fields in the jsonb document, when some facts were unavailable. */
const UNAVAILABLE_KEY = 'unavailable';

export function createHardwareInventoryRepository(dataSource: DataSource): HardwareInventoryRepository {
  const repo = dataSource.getRepository(HardwareInventoryEntity);
  return {
    async record(machineId, inventory, unavailable = []) {
      const document: Record<string, unknown> = {
        ...inventory,
        ...(unavailable.length > 0 ? { [UNAVAILABLE_KEY]: [...unavailable] } : {}),
      };
      const hash = contentHash(document);
      // jsonb columns: TypeORM's deep-partial type does not model free-form objects.
      const saved = await repo.save(
        repo.create({ machineId, inventory: document as never, contentHash: hash }),
      );
      return { id: saved.id, contentHash: saved.contentHash, discoveredAt: saved.discoveredAt };
    },
    async latest(machineId) {
      const row = await repo.findOne({ where: { machineId }, order: { discoveredAt: 'DESC' } });
      return row ? fromRow(row) : undefined;
    },
    async get(id) {
      const row = await repo.findOneBy({ id });
      return row ? fromRow(row) : undefined;
    },
    async history(machineId, limit = 20) {
      const rows = await repo.find({ where: { machineId }, order: { discoveredAt: 'DESC' }, take: limit });
      return rows.map(fromRow);
    },
  };
}

function fromRow(row: HardwareInventoryEntity): StoredHardwareInventory {
  const { [UNAVAILABLE_KEY]: unavailable, ...inventory } = row.inventory;
  return {
    id: row.id,
    machineId: row.machineId,
    inventory: inventory as unknown as HardwareInventory,
    unavailable: Array.isArray(unavailable)
      ? unavailable.filter((f): f is string => typeof f === 'string')
      : [],
    contentHash: row.contentHash,
    discoveredAt: row.discoveredAt,
  };
}
