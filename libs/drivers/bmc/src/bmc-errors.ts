import { RoleError, type RoleErrorCode } from '@plinth/contracts';

/** Who an error is about: the machine and its BMC address (never credentials). */
export interface BmcSubject {
  machine: string;
  address: string;
}

/** `BMC of r1-cp-01 (redfish+https://10.10.0.11)`. */
export function describeBmc(subject: BmcSubject): string {
  return `BMC of ${subject.machine} (${subject.address})`;
}

/** A RoleError about a BMC; details always name the machine and address. */
export function bmcError(
  code: RoleErrorCode,
  subject: BmcSubject,
  message: string,
  details: Record<string, unknown> = {},
): RoleError {
  return new RoleError(code, message, { machine: subject.machine, bmcAddress: subject.address, ...details });
}

export function bmcUnreachable(
  subject: BmcSubject,
  what: string,
  details: Record<string, unknown> = {},
): RoleError {
  return bmcError(
    'BmcUnreachable',
    subject,
    `${describeBmc(subject)} is unreachable: ${what}. Check that the BMC is powered and on the management network; Plinth retries this step.`,
    details,
  );
}

export function bmcAuthFailed(subject: BmcSubject, credentialsRef: string, what: string): RoleError {
  return bmcError(
    'BmcAuthFailed',
    subject,
    `${describeBmc(subject)} refused the credentials of ${credentialsRef}: ${what}. Correct the secret ${credentialsRef} (format "username:password") and retry the machine.`,
    { credentialsRef },
  );
}

export function bmcUnsupported(
  subject: BmcSubject,
  what: string,
  details: Record<string, unknown> = {},
): RoleError {
  return bmcError('BmcUnsupported', subject, `${describeBmc(subject)} ${what}`, details);
}

/** True for a RoleError with one of `codes`. */
export function isRoleError(error: unknown, ...codes: RoleErrorCode[]): error is RoleError {
  return error instanceof RoleError && (codes.length === 0 || codes.includes(error.code));
}
