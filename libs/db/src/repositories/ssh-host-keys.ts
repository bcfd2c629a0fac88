import type { DataSource } from 'typeorm';
import { SshHostKeyEntity } from '../entities/network.entity';

/** A machine's pinned SSH host key (`SHA256:…` fingerprints). */
export interface StoredHostKey {
  sha256: string;
  /** Announced by an installer callback; replaces the pin at the next connection presenting it. */
  expectedSha256?: string;
}

/**
 * Pinned SSH host keys per machine; the SSH driver's host-key store in production. Every method is
 * a single atomic statement, so concurrent connections cannot pin two different keys.
 */
export interface SshHostKeyRepository {
  get(machineId: string): Promise<StoredHostKey | undefined>;
  /** Pins the key unless the machine has one; returns the pin now stored (possibly another caller's). */
  pinFirst(machineId: string, sha256: string): Promise<StoredHostKey>;
  /** No pin: pins `sha256`. Same as the pin: clears any expectation. Otherwise records it as expected. */
  expect(machineId: string, sha256: string): Promise<void>;
  /** Makes the expected key the pin, only when `sha256` is the expected one; returns whether it did. */
  replace(machineId: string, sha256: string): Promise<boolean>;
  /** Forgets a machine's pin (the machine was decommissioned); returns whether there was one. */
  forget(machineId: string): Promise<boolean>;
}

export function createSshHostKeyRepository(dataSource: DataSource): SshHostKeyRepository {
  const repo = dataSource.getRepository(SshHostKeyEntity);
  const toStored = (row: SshHostKeyEntity): StoredHostKey =>
    row.expectedSha256 ? { sha256: row.sha256, expectedSha256: row.expectedSha256 } : { sha256: row.sha256 };
  return {
    async get(machineId) {
      const row = await repo.findOneBy({ machineId });
      return row ? toStored(row) : undefined;
    },
    async pinFirst(machineId, sha256) {
      await dataSource.query(
        `INSERT INTO ssh_host_keys (machine_id, sha256) VALUES ($1, $2) ON CONFLICT (machine_id) DO NOTHING`,
        [machineId, sha256],
      );
      return toStored(await repo.findOneByOrFail({ machineId }));
    },
    async expect(machineId, sha256) {
      await dataSource.query(
        `INSERT INTO ssh_host_keys (machine_id, sha256) VALUES ($1, $2)
         ON CONFLICT (machine_id) DO UPDATE SET
           expected_sha256 = CASE WHEN ssh_host_keys.sha256 = EXCLUDED.sha256 THEN NULL ELSE EXCLUDED.sha256 END,
           updated_at = now()`,
        [machineId, sha256],
      );
    },
    async replace(machineId, sha256) {
      const result = await repo
        .createQueryBuilder()
        .update()
        .set({ sha256, expectedSha256: null })
        .where('machine_id = :machineId AND expected_sha256 = :sha256', { machineId, sha256 })
        .execute();
      return (result.affected ?? 0) > 0;
    },
    async forget(machineId) {
      const result = await repo.delete({ machineId });
      return (result.affected ?? 0) > 0;
    },
  };
}
