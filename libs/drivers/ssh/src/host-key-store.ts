import { createHash } from 'node:crypto';

/** A machine's pinned SSH host key. */
export interface PinnedHostKey {
  /** `SHA256:<base64, no padding>` of the key blob, as `ssh-keygen -lf` prints it. */
  sha256: string;
  /**
   * A replacement announced by a trusted channel (the installer callback after a reinstall). The
   * next connection that presents exactly this key replaces the pin; any other key is still refused.
   */
  expectedSha256?: string;
}

/**
 * Where pinned host keys live (the database in production, memory in tests). Keys are pinned per
 * machine id. Implementations must make {@link SshHostKeyStore.pinFirst} atomic: two connections
 * racing to pin different keys must not both win.
 */
export interface SshHostKeyStore {
  /** The pin of a machine, if any. */
  get(machineId: string): Promise<PinnedHostKey | undefined>;
  /**
   * Pins `sha256` when the machine has no pin yet (trust on first use). Returns the pin now stored —
   * another caller's when it got there first, so the caller can compare. Idempotent.
   */
  pinFirst(machineId: string, sha256: string): Promise<PinnedHostKey>;
  /**
   * Announces the key the machine will present after a reinstall. No pin yet: pins it directly.
   * Same as the pin: nothing changes. Otherwise it is recorded as `expectedSha256`. Idempotent.
   */
  expect(machineId: string, sha256: string): Promise<void>;
  /**
   * Makes the expected key the pin and clears the expectation. Only succeeds when `sha256` equals
   * the recorded `expectedSha256`; returns whether it did.
   */
  replace(machineId: string, sha256: string): Promise<boolean>;
}

/** The OpenSSH `SHA256:` fingerprint of a raw public-key blob (what the server sends in the handshake). */
export function hostKeyFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** An in-memory {@link SshHostKeyStore}, for tests and tools; `pins` is exposed so tests can inspect it. */
export function createMemoryHostKeyStore(): SshHostKeyStore & { pins: Map<string, PinnedHostKey> } {
  const pins = new Map<string, PinnedHostKey>();
  return {
    pins,
    get(machineId) {
      const pin = pins.get(machineId);
      return Promise.resolve(pin ? { ...pin } : undefined);
    },
    pinFirst(machineId, sha256) {
      const existing = pins.get(machineId);
      if (existing) return Promise.resolve({ ...existing });
      const pin = { sha256 };
      pins.set(machineId, pin);
      return Promise.resolve({ ...pin });
    },
    expect(machineId, sha256) {
      const existing = pins.get(machineId);
      if (!existing) pins.set(machineId, { sha256 });
      else if (existing.sha256 === sha256) delete existing.expectedSha256;
      else existing.expectedSha256 = sha256;
      return Promise.resolve();
    },
    replace(machineId, sha256) {
      const existing = pins.get(machineId);
      if (!existing || existing.expectedSha256 !== sha256) return Promise.resolve(false);
      pins.set(machineId, { sha256 });
      return Promise.resolve(true);
    },
  };
}
