import type { DataSource } from 'typeorm';
import { AuditEntryEntity } from '../entities/audit-entry.entity';

/** One mutating call to record. `details` must not carry secret values. */
export interface AuditRecord {
  actor: string;
  action: string;
  targetType: string;
  targetId?: string;
  details?: Record<string, unknown>;
  requestId?: string;
}

/** Append-only record of mutating API calls. */
export interface AuditLog {
  record(entry: AuditRecord): Promise<void>;
  /** Newest first. */
  recent(limit: number): Promise<AuditEntryEntity[]>;
}

export function createAuditLog(dataSource: DataSource): AuditLog {
  const repo = dataSource.getRepository(AuditEntryEntity);
  return {
    async record(entry) {
      await repo.insert({
        // jsonb column: TypeORM's deep-partial type does not model free-form objects.
        details: (entry.details ?? {}) as never,
        actor: entry.actor,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId ?? null,
        requestId: entry.requestId ?? null,
      });
    },
    recent: (limit) => repo.find({ order: { id: 'DESC' }, take: limit }),
  };
}
