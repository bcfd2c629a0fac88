/**
 * The coded errors roles fail with. Every error has a stable `code` (what dashboards, the API and
 * retry decisions key on), an operator-readable message, and a classification: retryable errors
 * are worth trying again (Temporal's retry policy does), the others need a person.
 *
 * Activities throw {@link RoleError}; {@link toApplicationFailure} turns it into the Temporal
 * failure the workflow sees (type = code, nonRetryable from the table), so the classification is
 * decided once, here.
 */
import { ApplicationFailure } from '@temporalio/common';

export const ROLE_ERROR_CODES = {
  /** The BMC did not answer (connection refused, timeout, 5xx after retries). */
  BmcUnreachable: { retryable: true },
  /** The BMC refused the credentials. */
  BmcAuthFailed: { retryable: false },
  /** The BMC answered but cannot do what was asked (missing capability, unexpected document). */
  BmcUnsupported: { retryable: false },
  /** A BMC task (e.g. a volume create) ended in an exception. */
  BmcTaskFailed: { retryable: true },
  /** Discovery found hardware that differs from the machine's expectation. */
  HardwareMismatch: { retryable: false },
  /** The spec asks for a RAID level the controller or drive count cannot provide. */
  UnsupportedRaidLevel: { retryable: false },
  /** Existing volumes differ from the spec and `wipe: true` was not given. */
  ForeignVolumes: { retryable: false },
  /** A drive the layout needs has failed. */
  DriveFailed: { retryable: false },
  /** A template could not be rendered (a missing parameter, a bad value). */
  TemplateError: { retryable: false },
  /** The installer did not call back in time. */
  InstallTimeout: { retryable: false },
  /** The installed OS is not what was asked for (hostname, OS release). */
  InstallVerificationFailed: { retryable: false },
  /** SSH could not connect (refused, timeout). */
  SshUnreachable: { retryable: true },
  /** SSH refused the key. */
  SshAuthFailed: { retryable: false },
  /** The host presented a different host key than the one pinned at first use. */
  SshHostKeyChanged: { retryable: false },
  /** A command run over SSH failed. */
  CommandFailed: { retryable: true },
  /** The address pool has no free address left. */
  AddressPoolExhausted: { retryable: false },
  /** The host became unreachable after applying network settings (they were rolled back). */
  NetworkApplyFailed: { retryable: false },
  /** kubeadm failed. */
  KubeadmFailed: { retryable: true },
  /** Nodes did not become Ready in time. */
  NodesNotReady: { retryable: true },
  /** A Helm release failed to install or become ready. */
  HelmReleaseFailed: { retryable: true },
  /** A referenced secret does not exist. */
  SecretMissing: { retryable: false },
  /** The BMC's TLS certificate could not be verified (give the machine a CA bundle, or allow insecure TLS). */
  BmcCertificateUntrusted: { retryable: false },
  /** The machine a role was asked to work on is not (or no longer) in the inventory. */
  MachineNotFound: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type RoleErrorCode = keyof typeof ROLE_ERROR_CODES;

/** A role failure with its code; `details` must never hold a secret. */
export class RoleError extends Error {
  override readonly name = 'RoleError';
  constructor(
    readonly code: RoleErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return ROLE_ERROR_CODES[this.code].retryable;
  }
}

/** The Temporal failure for a role error: `type` is the code, retryability from the table. */
export function toApplicationFailure(error: RoleError): ApplicationFailure {
  return ApplicationFailure.create({
    type: error.code,
    message: error.message,
    nonRetryable: !error.retryable,
    details: error.details ? [error.details] : undefined,
  });
}

/** Non-retryable error types, for activity retry policies (`retry.nonRetryableErrorTypes`). */
export const NON_RETRYABLE_ROLE_ERRORS: RoleErrorCode[] = (
  Object.keys(ROLE_ERROR_CODES) as RoleErrorCode[]
).filter((code) => !ROLE_ERROR_CODES[code].retryable);
