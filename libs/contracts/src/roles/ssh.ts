/**
 * How roles reach an installed machine over SSH, and the verify-os activity of provision-os.
 * Everything here crosses Temporal history: addresses and references only, never a key.
 */
import type { OsFamily } from '@plinth/domain';

/** Where and as whom to SSH into a machine. The private key is a reference, resolved by the driver at the moment of use. */
export interface SshAccess {
  /** Plinth machine id; the host key is pinned under it. */
  machineId: string;
  /** Address the installed OS answers SSH on. */
  host: string;
  port: number;
  /** Login user rendered into the install config (it has passwordless sudo). */
  username: string;
  /** Reference to the stored OpenSSH private key, `secret/<name>`. */
  privateKeyRef: string;
}

/** Input of {@link VerifyOsActivities.verifyInstalledOs}. */
export interface VerifyInstalledOsInput {
  ssh: SshAccess;
  /** What provision-os asked for. */
  expected: { family: OsFamily; version: string; hostname: string };
  /**
   * `SHA256:…` host-key fingerprint the installer reported in its callback. A reinstall makes a
   * new host key: given here, the driver re-pins to exactly this key (and only this key) before
   * connecting. Omitted: the pinned key (or trust on first use) applies.
   */
  hostKeySha256?: string;
}

/** What the installed OS reports about itself. */
export interface VerifiedOs {
  family: OsFamily;
  /** `VERSION_ID` from /etc/os-release. */
  version: string;
  prettyName: string;
  hostname: string;
  /** The host key now pinned for the machine. */
  hostKeySha256: string;
}

/**
 * The SSH half of provision-os.
 *
 * `verifyInstalledOs` reads `/etc/os-release` and `hostname` over SSH and compares them with what
 * was asked. Read-only and idempotent: safe to retry. Fails with `InstallVerificationFailed` (not
 * retryable) listing every difference, `SshUnreachable` (retryable), `SshAuthFailed` or
 * `SshHostKeyChanged` (not retryable).
 */
export interface VerifyOsActivities {
  verifyInstalledOs(input: VerifyInstalledOsInput): Promise<VerifiedOs>;
}
