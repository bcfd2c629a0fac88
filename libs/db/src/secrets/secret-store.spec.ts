import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { loadSecretKey, parseSecretKey } from './secret-key';
import { createSecretStore, SecretNotFoundError, SecretUnreadableError } from './secret-store';

describe('secrets at rest', () => {
  let db: TestDatabase;
  const home = mkdtempSync(join(tmpdir(), 'plinth-secrets-'));
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  });

  it('generates a key file with mode 0600 once and reuses it', () => {
    const first = loadSecretKey({ homeDir: home });
    expect(statSync(join(home, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(loadSecretKey({ homeDir: home }).keyId).toBe(first.keyId);
    chmodSync(join(home, 'secret.key'), 0o644);
    expect(() => loadSecretKey({ homeDir: home })).toThrow(/readable by other users/);
    chmodSync(join(home, 'secret.key'), 0o600);
  });

  it('refuses a PLINTH_SECRET_KEY that is not 32 bytes, naming the variable', () => {
    expect(() => loadSecretKey({ homeDir: home, secretKey: 'c2hvcnQ=' })).toThrow(
      /PLINTH_SECRET_KEY must be 32 bytes/,
    );
  });

  it('stores only ciphertext and reveals the value by reference', async () => {
    const store = createSecretStore(
      db.dataSource,
      parseSecretKey(randomBytes(32).toString('base64'), 'test'),
    );
    const password = 'hunter2-very-secret';
    expect(await store.put('bmc-rack1', password)).toBe('secret/bmc-rack1');
    const raw = (await db.dataSource.query(`SELECT * FROM secrets WHERE name = 'bmc-rack1'`)) as Record<
      string,
      unknown
    >[];
    expect(JSON.stringify(raw)).not.toContain(password);
    expect(Buffer.concat(raw.map((r) => r.ciphertext as Buffer)).includes(Buffer.from(password))).toBe(false);
    expect(await store.reveal('secret/bmc-rack1')).toBe(password);
    await store.put('bmc-rack1', 'rotated');
    expect(await store.reveal('bmc-rack1')).toBe('rotated');
    expect(await store.list()).toEqual([
      expect.objectContaining({ name: 'bmc-rack1', ref: 'secret/bmc-rack1' }),
    ]);
    expect(JSON.stringify(await store.list())).not.toContain('rotated');
  });

  it('reports a missing secret, a wrong key and tampering in operator words', async () => {
    const key = parseSecretKey(randomBytes(32).toString('base64'), 'test');
    const store = createSecretStore(db.dataSource, key);
    await expect(store.reveal('secret/nope')).rejects.toBeInstanceOf(SecretNotFoundError);
    await store.put('ssh-key', 'PRIVATE');
    const otherKey = createSecretStore(
      db.dataSource,
      parseSecretKey(randomBytes(32).toString('base64'), 'test'),
    );
    await expect(otherKey.reveal('secret/ssh-key')).rejects.toThrow(/encrypted with key [0-9a-f]{16}/);
    await db.dataSource.query(
      `UPDATE secrets SET ciphertext = decode('00', 'hex') || ciphertext WHERE name = 'ssh-key'`,
    );
    await expect(store.reveal('secret/ssh-key')).rejects.toBeInstanceOf(SecretUnreadableError);
    expect(await store.delete('secret/ssh-key')).toBe(true);
    expect(await store.exists('secret/ssh-key')).toBe(false);
  });

  it('rejects names that could not be written as a reference', async () => {
    const store = createSecretStore(
      db.dataSource,
      parseSecretKey(randomBytes(32).toString('base64'), 'test'),
    );
    await expect(store.put('Bad Name', 'x')).rejects.toThrow(/secret name/);
  });

  it('never keeps the key in the database', async () => {
    const file = readFileSync(join(home, 'secret.key'), 'utf8').trim();
    const dump = JSON.stringify(await db.dataSource.query(`SELECT * FROM secrets`));
    expect(dump).not.toContain(file);
  });
});
