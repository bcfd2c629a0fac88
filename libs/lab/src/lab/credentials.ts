import { randomBytes } from 'node:crypto';

/** The secret reference every lab machine's inventory entry names for its BMC credentials. */
export const LAB_BMC_CREDENTIALS_REF = 'secret/lab-bmc';

/** The BMC account of every machine of one lab. */
export interface LabBmcCredentials {
  username: string;
  password: string;
}

/**
 * Fresh credentials for a lab: user `admin` and 16 random characters from `[A-Za-z0-9_-]` (96 bits),
 * nothing that needs quoting in a shell or lan.conf. 16, not IPMI 2.0's 20: with a 20-character
 * password Debian's ipmitool fails to open an RMCP+ session with ipmi_sim (19 works), and 16 also
 * fits IPMI 1.5 tools.
 */
export function generateLabCredentials(): LabBmcCredentials {
  return { username: 'admin', password: randomBytes(12).toString('base64url') };
}

/**
 * The secret value Plinth stores under {@link LAB_BMC_CREDENTIALS_REF}: `username:password`
 * (the user name cannot contain a colon; the password may).
 */
export function credentialsSecretValue(credentials: LabBmcCredentials): string {
  return `${credentials.username}:${credentials.password}`;
}
