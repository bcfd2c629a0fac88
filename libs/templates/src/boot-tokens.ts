import { createHash, randomBytes } from 'node:crypto';

/** A fresh one-time boot token: 256 random bits, base64url (URL- and shell-safe, 43 characters). */
export function mintBootToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored and looked up instead of a token: SHA-256, hex. Tokens are high-entropy, so no slow hash is needed. */
export function hashBootToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A string that could be a token from {@link mintBootToken}; anything else is rejected without a lookup. */
export function looksLikeBootToken(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}
