/**
 * The provision-OS role's render-and-store half, and the installer callback it leads to.
 *
 * Rendered install configs hold resolved secrets (password hashes, keys) and one-time boot tokens,
 * so they never cross Temporal history: the activity stores them and returns an id and a hash.
 * Setting the one-time PXE boot and power-cycling are BMC activities; verifying the installed OS
 * is an SSH activity.
 */

/** What an installer reports when it calls back: where the installed OS answers SSH, and its new host key. */
export interface InstallerReport {
  /** Boot MAC, lowercase `aa:bb:cc:dd:ee:ff`. */
  mac: string;
  hostname: string;
  /** Address the installed OS answers SSH on. */
  sshHost: string;
  sshPort: number;
  /** `SHA256:…` of the new host key, as `ssh-keygen -lf` prints it: the key to pin on first SSH use. */
  hostKeySha256: string;
}

/** Signals of the provisioning workflow. */
export const PROVISION_SIGNALS = {
  /** Sent when a machine's installer called back ({@link InstallerCallbackSignal}). */
  installerCallback: 'installerCallback',
} as const;

/** Payload of {@link PROVISION_SIGNALS.installerCallback}; holds no secret. */
export interface InstallerCallbackSignal {
  runId: string;
  machineId: string;
  /** The rendering whose callback token was spent. */
  configId: string;
  report: InstallerReport;
}

/** Input of {@link ProvisionActivities.renderInstallConfig}: references only. */
export interface RenderInstallConfigInput {
  /** Plinth run id (`runs.id`): the run's cluster revision is what gets rendered. */
  runId: string;
  /** Machine id (`machines.id`). */
  machineId: string;
  /**
   * Static address of the boot NIC for the install (e.g. allocated from a pool), as
   * `10.20.0.51/24` with an optional gateway; otherwise `params.installAddress`, else DHCP.
   */
  bootAddress?: { cidr: string; gateway?: string };
}

/** Result of {@link ProvisionActivities.renderInstallConfig}: never the content. */
export interface RenderedInstallConfig {
  /** Id of the stored rendering (`boot_configs.id`). */
  configId: string;
  /** sha256 (hex) of the stored files, as served. */
  sha256: string;
  installer: 'autoinstall' | 'preseed' | 'kickstart';
  /** True when an identical, still valid rendering was already stored (nothing changed, no new tokens). */
  reused: boolean;
  /** When the boot tokens stop working (ISO 8601). */
  expiresAt: string;
  /** Where the machine boots from; tokens appear masked (`********`). */
  urls: {
    /** The iPXE entry point DHCP hands out, with this machine's MAC. */
    ipxe: string;
    /** The install config (NoCloud seed prefix, preseed or kickstart file). */
    installConfig: string;
    /** Where the installer calls back (with its token in an Authorization header). */
    callback: string;
  };
}

/** Result of {@link ProvisionActivities.installerReport}. */
export interface InstallerReportResult {
  /** False while the installer has not called back (or the rendering was replaced). */
  reported: boolean;
  report?: InstallerReport;
  /** When it called back (ISO 8601). */
  reportedAt?: string;
}

/**
 * Provisioning activities.
 *
 * - `renderInstallConfig` renders the machine's install files (iPXE script and the autoinstall,
 *   preseed or kickstart config of the spec's OS family) from the snippet library with the merged
 *   params (global → profile → cluster → machine), resolving secret references, and stores them
 *   encrypted with fresh one-time tokens. Idempotent: called again with the same inputs while the
 *   stored rendering is valid (unexpired, no callback yet) it returns that rendering
 *   (`reused: true`) and mints nothing; changed inputs (a rotated secret, an edited spec) replace
 *   it, and the old tokens stop working. Errors: `TemplateError` (bad or missing params, listing
 *   every problem; not retryable), `SecretMissing` (not retryable).
 * - `installerReport` reads what the installer reported for a rendering (for a workflow that lost
 *   the signal, e.g. after a timeout). Read-only.
 */
export interface ProvisionActivities {
  renderInstallConfig(input: RenderInstallConfigInput): Promise<RenderedInstallConfig>;
  installerReport(input: { configId: string }): Promise<InstallerReportResult>;
}
