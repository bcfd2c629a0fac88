import { RoleError, type VerifiedOs, type VerifyOsActivities } from '@plinth/contracts';
import { OS_FAMILIES, type OsFamily } from '@plinth/domain';
import type { SshDriver } from '@plinth/driver-ssh';
import { cancellationSignal, roleActivity } from './ssh-activity-support';

export interface VerifyOsDeps {
  ssh: SshDriver;
}

const SEPARATOR = '---plinth-hostname---';

/** `/etc/os-release` as key → unquoted value. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match?.[1]) continue;
    const raw = match[2] ?? '';
    fields[match[1]] =
      raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2
        ? raw.slice(1, -1).replace(/\\(.)/g, '$1')
        : raw;
  }
  return fields;
}

/**
 * Whether an installed release satisfies the asked one: `24.04` is `VERSION_ID=24.04`; `9` accepts
 * `9.4`; `24.04.1` needs `VERSION_ID=24.04` and `24.04.1` in `VERSION`.
 */
export function versionMatches(expected: string, versionId: string, versionText: string): boolean {
  if (versionId === expected || versionId.startsWith(`${expected}.`)) return true;
  return expected.startsWith(`${versionId}.`) && versionText.includes(expected);
}

function sameHostname(expected: string, actual: string): boolean {
  if (expected === actual) return true;
  // A short name asked for is satisfied by the same host with a domain.
  return !expected.includes('.') && actual.split('.')[0] === expected;
}

/** Builds the {@link VerifyOsActivities} (the SSH half of provision-os). */
export const createVerifyOsActivities = (deps: VerifyOsDeps): VerifyOsActivities => ({
  verifyInstalledOs: (input) =>
    roleActivity(async (): Promise<VerifiedOs> => {
      const { ssh, expected } = input;
      if (input.hostKeySha256 !== undefined)
        await deps.ssh.expectNewHostKey(ssh.machineId, input.hostKeySha256);
      const output = await deps.ssh.run(ssh, `cat /etc/os-release && echo ${SEPARATOR} && hostname`, {
        signal: cancellationSignal(),
        timeoutMs: 30_000,
      });
      const [releaseText = '', hostnameText = ''] = output.stdout.split(`${SEPARATOR}\n`);
      const release = parseOsRelease(releaseText);
      const id = release['ID'] ?? '';
      const family = (OS_FAMILIES as readonly string[]).includes(id) ? (id as OsFamily) : undefined;
      const version = release['VERSION_ID'] ?? '';
      const hostname = hostnameText.trim();
      const problems: string[] = [];
      if (family !== expected.family) problems.push(`OS is ${id || 'unknown'}, asked for ${expected.family}`);
      if (!versionMatches(expected.version, version, release['VERSION'] ?? '')) {
        problems.push(
          `release is ${version || 'unknown'} (${release['PRETTY_NAME'] ?? 'no PRETTY_NAME'}), asked for ${expected.version}`,
        );
      }
      if (!sameHostname(expected.hostname, hostname))
        problems.push(`hostname is ${hostname || '(empty)'}, asked for ${expected.hostname}`);
      if (problems.length > 0) {
        throw new RoleError(
          'InstallVerificationFailed',
          `Machine ${ssh.machineId} is not running what provision-os installed: ${problems.join('; ')}. Check the install template and the boot order, then provision it again.`,
          { machineId: ssh.machineId, problems },
        );
      }
      const hostKeySha256 = (await deps.ssh.pinnedHostKey(ssh.machineId)) ?? '';
      return {
        family: expected.family,
        version,
        prettyName: release['PRETTY_NAME'] ?? '',
        hostname,
        hostKeySha256,
      };
    }),
});
