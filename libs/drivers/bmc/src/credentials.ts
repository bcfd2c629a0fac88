import { RoleError } from '@plinth/contracts';

/** A BMC account. Lives only inside a driver, for the moment of a login or a request. */
export interface BmcCredentials {
  username: string;
  password: string;
}

/**
 * Resolves a credentials reference (`secret/bmc-rack1`) to the account, at the moment of use.
 * Drivers call it on every login, so a rotated secret takes effect at the next re-login.
 * Rejects with RoleError `SecretMissing` when the reference does not resolve.
 */
export type BmcCredentialResolver = (ref: string) => Promise<BmcCredentials>;

/** Resolves a reference to a PEM CA bundle (`secret/bmc-ca`). */
export type BmcCaBundleResolver = (ref: string) => Promise<string>;

/**
 * Reads the stored secret format `username:password` (split at the first colon: the user name
 * cannot contain one, the password may). The message names the reference, never the value.
 */
export function parseCredentialsSecret(ref: string, value: string): BmcCredentials {
  const colon = value.indexOf(':');
  if (colon <= 0) {
    throw new RoleError(
      'SecretMissing',
      `Secret ${ref} is not in the BMC credentials format "username:password"; store it again in that format.`,
      { ref },
    );
  }
  return { username: value.slice(0, colon), password: value.slice(colon + 1) };
}

/**
 * A {@link BmcCredentialResolver} over a secret store's `reveal` (e.g. `@plinth/db`'s SecretStore):
 * failures of the store become RoleError `SecretMissing` naming the reference.
 */
export function credentialsFromSecrets(reveal: (ref: string) => Promise<string>): BmcCredentialResolver {
  return async (ref) => parseCredentialsSecret(ref, await revealOrMissing(reveal, ref));
}

/** A {@link BmcCaBundleResolver} over a secret store's `reveal`. */
export function caBundlesFromSecrets(reveal: (ref: string) => Promise<string>): BmcCaBundleResolver {
  return (ref) => revealOrMissing(reveal, ref);
}

async function revealOrMissing(reveal: (ref: string) => Promise<string>, ref: string): Promise<string> {
  try {
    return await reveal(ref);
  } catch (error) {
    if (error instanceof RoleError) throw error;
    // The store's own messages name the reference only (SecretNotFoundError, SecretUnreadableError).
    const reason = error instanceof Error ? error.message : String(error);
    throw new RoleError('SecretMissing', `BMC secret ${ref} could not be read: ${reason}`, { ref });
  }
}
