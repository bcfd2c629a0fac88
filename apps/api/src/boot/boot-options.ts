import type { SecretKey } from '@plinth/db';
import type { Params } from '@plinth/domain';
import type { InstallerCallbackHook } from '@plinth/templates';

/** What the boot provisioner needs besides the API's shared infrastructure. */
export interface BootModuleOptions {
  /** The key secrets are encrypted with: rendered install configs are stored encrypted with it too. */
  secretKey: SecretKey;
  /**
   * Base URL netbooting machines reach this API at (no trailing slash), e.g. `http://10.0.0.2:3000`.
   * It is written into boot scripts and install configs: it must be the same for the worker that
   * renders and the API that serves.
   */
  publicBaseUrl: string;
  /** Folder served at `/boot/media/` (installer kernels, initrds, ISOs); none served when absent. */
  mediaDir?: string;
  /** Lifetime of boot tokens, ms. Default 2 hours. */
  tokenTtlMs?: number;
  /** How long a served install config may be answered from memory, ms (0: never). Default 2000. */
  configCacheTtlMs?: number;
  /** The lowest params layer, under profile, cluster and machine params. */
  globalParams?: Params;
  /**
   * Answer `GET /boot/ipxe` and `GET /boot/configs/…` from Node's HTTP server ahead of Express
   * (same answers, a fraction of the CPU). Default true; false serves them through Nest.
   */
  fastLane?: boolean;
  /** Told (inside the token-spending transaction) when an installer called back; the default only records. */
  onInstallerCallback?: InstallerCallbackHook;
}

/** Injection tokens of the boot module (internal; the module exports the services). */
export const BOOT_OPTIONS = Symbol('BOOT_OPTIONS');
export const BOOT_CONFIGS = Symbol('BOOT_CONFIGS');
export const BOOT_SERVICE = Symbol('BOOT_SERVICE');
export const INSTALL_CONFIGS = Symbol('INSTALL_CONFIGS');
