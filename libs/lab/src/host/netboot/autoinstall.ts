import { parse, stringify } from 'yaml';
import type { LabNic } from '../../machine/lab-machine';
import { isRecord } from '../emulation/netplan-config';
import { linksFromNetplan } from '../emulation/network-links';
import { NetbootError } from './http-get';
import type { ParsedInstallConfig } from './install-config';
import { findInstallerCallback } from './installer-callback';

/**
 * Ubuntu autoinstall delivered by cloud-init NoCloud: `user-data` is `#cloud-config` with an
 * `autoinstall:` section (version 1). Read: `identity` (or the `user-data` section's
 * hostname/users), `ssh.authorized-keys`, `network` (netplan v2, bare or under a nested
 * `network:`), and `late-commands`.
 */
export function parseAutoinstall(
  userData: string,
  metaData: string,
  nics: LabNic[],
  source: string,
): ParsedInstallConfig {
  if (!userData.startsWith('#cloud-config')) {
    throw new NetbootError(
      `${source}user-data does not start with "#cloud-config": cloud-init would not read it as cloud-config`,
    );
  }
  let document: unknown;
  let meta: unknown;
  try {
    document = parse(userData);
    meta = metaData.trim() ? parse(metaData) : {};
  } catch (error) {
    throw new NetbootError(
      `${source}: invalid YAML: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const autoinstall = isRecord(document) ? document['autoinstall'] : undefined;
  if (!isRecord(autoinstall)) throw new NetbootError(`${source}user-data has no "autoinstall:" section`);
  if (autoinstall['version'] !== 1)
    throw new NetbootError(`${source}user-data: autoinstall.version must be 1`);
  const identity = isRecord(autoinstall['identity']) ? autoinstall['identity'] : undefined;
  const cloudConfig = isRecord(autoinstall['user-data']) ? autoinstall['user-data'] : undefined;
  if (!identity && !cloudConfig) {
    throw new NetbootError(
      `${source}user-data: autoinstall has neither "identity" nor "user-data": subiquity would stop at the identity screen`,
    );
  }
  const users = Array.isArray(cloudConfig?.['users'])
    ? (cloudConfig['users'] as unknown[]).filter(isRecord)
    : [];
  const hostname =
    stringOf(identity?.['hostname']) ??
    stringOf(cloudConfig?.['hostname']) ??
    (isRecord(meta) ? stringOf(meta['local-hostname']) : undefined);
  if (!hostname) throw new NetbootError(`${source}user-data: no host name (autoinstall.identity.hostname)`);
  const user = stringOf(identity?.['username']) ?? stringOf(users[0]?.['name']);
  if (!user) throw new NetbootError(`${source}user-data: no user (autoinstall.identity.username)`);

  const ssh = isRecord(autoinstall['ssh']) ? autoinstall['ssh'] : {};
  const keys = [
    ...stringsOf(ssh['authorized-keys']),
    ...users
      .filter((entry) => entry['name'] === user)
      .flatMap((entry) => stringsOf(entry['ssh_authorized_keys'])),
    ...stringsOf(cloudConfig?.['ssh_authorized_keys']),
  ];

  const rawNetwork = autoinstall['network'];
  // Older configs nest the netplan under a second `network:` key; subiquity accepts both.
  const network =
    isRecord(rawNetwork) && isRecord(rawNetwork['network'])
      ? rawNetwork['network']
      : isRecord(rawNetwork)
        ? rawNetwork
        : undefined;
  const addresses: Record<string, string[]> = {};
  if (network) {
    for (const link of linksFromNetplan({ network }, nics)) {
      if (link.kind !== 'loopback' && link.addresses.length > 0) addresses[link.ifname] = link.addresses;
    }
  }
  const lateCommands = Array.isArray(autoinstall['late-commands'])
    ? (autoinstall['late-commands'] as unknown[]).map((entry) =>
        Array.isArray(entry) ? entry.map(String).join(' ') : String(entry),
      )
    : [];
  const parsed: ParsedInstallConfig = {
    format: 'autoinstall',
    hostname,
    user,
    authorizedKeys: [...new Set(keys)],
    addresses,
    callback: findInstallerCallback(lateCommands),
    networkText: network ? JSON.stringify(network) : '',
    versionHints: [],
  };
  if (network) parsed.netplanYaml = stringify({ network });
  return parsed;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}
