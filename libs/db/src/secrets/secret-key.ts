import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The 256-bit key that encrypts secrets at rest, with a short fingerprint to recognise it. */
export interface SecretKey {
  readonly key: Buffer;
  /** First 16 hex digits of SHA-256(key): stored beside each secret, safe to log. */
  readonly keyId: string;
}

/** Parses a base64 (or base64url) 32-byte key; throws naming `source` when it is not one. */
export function parseSecretKey(encoded: string, source: string): SecretKey {
  const key = Buffer.from(encoded.trim(), 'base64');
  if (key.length !== 32) {
    throw new Error(
      `${source} must be 32 bytes encoded as base64 (got ${key.length} bytes); generate one with: openssl rand -base64 32`,
    );
  }
  return { key, keyId: createHash('sha256').update(key).digest('hex').slice(0, 16) };
}

/**
 * `PLINTH_SECRET_KEY` when given; otherwise the key in `<homeDir>/secret.key`, generated on first
 * use with mode 0600. A key file readable by others is refused rather than used.
 */
export function loadSecretKey(options: { secretKey?: string; homeDir: string }): SecretKey {
  if (options.secretKey) return parseSecretKey(options.secretKey, 'PLINTH_SECRET_KEY');
  const file = join(options.homeDir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(options.homeDir, { recursive: true });
    // The API and the worker may start at once: write a private file, then link it into place
    // atomically; whoever links first wins and the other reads that key (never a half-written one).
    const draft = `${file}.${process.pid}.tmp`;
    writeFileSync(draft, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    try {
      linkSync(draft, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    throw new Error(`${file} is readable by other users; run: chmod 600 ${file}`);
  }
  return parseSecretKey(readFileSync(file, 'utf8'), file);
}
