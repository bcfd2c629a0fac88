import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { SecretEntity } from '../entities/secret.entity';
import type { SecretKey } from './secret-key';

/** Reference syntax operators write in inventories and specs: `secret/<name>`. */
export const SECRET_REF_PREFIX = 'secret/';

/** Thrown when a referenced secret does not exist; the message names the reference only. */
export class SecretNotFoundError extends Error {
  override readonly name = 'SecretNotFoundError';
  constructor(readonly ref: string) {
    super(`Secret ${ref} does not exist. Create it with the secrets API before referencing it.`);
  }
}

/** Thrown when a secret was encrypted with another key, or its stored bytes were altered. */
export class SecretUnreadableError extends Error {
  override readonly name = 'SecretUnreadableError';
}

/**
 * Secrets encrypted at rest (AES-256-GCM, a fresh 96-bit nonce per write, the name bound as
 * additional authenticated data so rows cannot be swapped). Values leave this store only through
 * {@link SecretStore.reveal}, which drivers call at the moment of use; everything else passes refs.
 */
export interface SecretStore {
  /** Creates or replaces the secret; returns its reference (`secret/<name>`). */
  put(name: string, value: string): Promise<string>;
  /** Decrypts a secret by reference or name. @throws SecretNotFoundError, SecretUnreadableError */
  reveal(ref: string): Promise<string>;
  /** True when the reference resolves to a stored secret. */
  exists(ref: string): Promise<boolean>;
  /** Names only, never values. */
  list(): Promise<{ name: string; ref: string; updatedAt: Date }[]>;
  /** Returns whether something was deleted. */
  delete(ref: string): Promise<boolean>;
}

export function createSecretStore(dataSource: DataSource, secretKey: SecretKey): SecretStore {
  const repo = dataSource.getRepository(SecretEntity);
  const nameOf = (ref: string): string =>
    ref.startsWith(SECRET_REF_PREFIX) ? ref.slice(SECRET_REF_PREFIX.length) : ref;
  return {
    async put(name, value) {
      if (!/^[a-z0-9][a-z0-9._-]{0,127}$/.test(name)) {
        throw new Error(
          'A secret name is 1-128 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit.',
        );
      }
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', secretKey.key, nonce);
      cipher.setAAD(Buffer.from(name));
      const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
      await repo.upsert(
        { name, ciphertext, nonce, authTag: cipher.getAuthTag(), keyId: secretKey.keyId },
        { conflictPaths: ['name'] },
      );
      return `${SECRET_REF_PREFIX}${name}`;
    },
    async reveal(ref) {
      const row = await repo.findOneBy({ name: nameOf(ref) });
      if (!row) throw new SecretNotFoundError(ref);
      if (row.keyId !== secretKey.keyId) {
        throw new SecretUnreadableError(
          `Secret ${ref} was encrypted with key ${row.keyId}, but this process has key ${secretKey.keyId}: set PLINTH_SECRET_KEY to the key it was written with.`,
        );
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', secretKey.key, row.nonce);
        decipher.setAAD(Buffer.from(row.name));
        decipher.setAuthTag(row.authTag);
        return Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretUnreadableError(
          `Secret ${ref} failed its integrity check: the stored value was altered.`,
        );
      }
    },
    async exists(ref) {
      return repo.existsBy({ name: nameOf(ref) });
    },
    async list() {
      const rows = await repo.find({ select: { name: true, updatedAt: true }, order: { name: 'ASC' } });
      return rows.map((r) => ({
        name: r.name,
        ref: `${SECRET_REF_PREFIX}${r.name}`,
        updatedAt: r.updatedAt,
      }));
    },
    async delete(ref) {
      const result = await repo.delete({ name: nameOf(ref) });
      return (result.affected ?? 0) > 0;
    },
  };
}
