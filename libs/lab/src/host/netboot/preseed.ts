import type { LabNic } from '../../machine/lab-machine';
import { NetbootError } from './http-get';
import { interfaceName, openSshKeysIn, prefixFromNetmask, type ParsedInstallConfig } from './install-config';
import { findInstallerCallback } from './installer-callback';

/**
 * debian-installer preseed: `owner question type value` lines (`\` continues a line). Read:
 * `netcfg/get_hostname` (or `netcfg/hostname`), `passwd/username` (root when
 * `passwd/make-user` is false), `netcfg/choose_interface` with `netcfg/get_ipaddress` and
 * `get_netmask`, the mirror suite, and `preseed/late_command` — whose OpenSSH keys are the
 * authorised keys (preseed has no key question; late commands write authorized_keys).
 */
export function parsePreseed(text: string, nics: LabNic[], source: string): ParsedInstallConfig {
  const answers = new Map<string, string>();
  const networkLines: string[] = [];
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const match = /^(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(trimmed);
    if (!match) continue;
    const question = match[2] ?? '';
    answers.set(question, (match[4] ?? '').trim());
    if (question.startsWith('netcfg/')) networkLines.push(trimmed);
  }
  const hostname = answers.get('netcfg/hostname') || answers.get('netcfg/get_hostname');
  if (!hostname) throw new NetbootError(`${source}: no host name (d-i netcfg/get_hostname string …)`);
  const makeUser = answers.get('passwd/make-user');
  const user = makeUser === 'false' ? 'root' : answers.get('passwd/username');
  if (!user) throw new NetbootError(`${source}: no user (d-i passwd/username string …)`);

  const addresses: Record<string, string[]> = {};
  const ip = answers.get('netcfg/get_ipaddress');
  if (ip) {
    const netmask = answers.get('netcfg/get_netmask') ?? '255.255.255.0';
    const prefix = prefixFromNetmask(netmask);
    if (prefix === undefined)
      throw new NetbootError(`${source}: netcfg/get_netmask "${netmask}" is not a netmask`);
    const chosen = answers.get('netcfg/choose_interface') ?? 'auto';
    const ifname = chosen === 'auto' ? (nics[0]?.id ?? 'eth0') : interfaceName(chosen, nics);
    addresses[ifname] = [`${ip}/${prefix}`];
  }
  const lateCommand = answers.get('preseed/late_command') ?? '';
  const mirror = [
    answers.get('mirror/suite'),
    answers.get('mirror/codename'),
    answers.get('mirror/http/directory'),
  ].filter((hint): hint is string => Boolean(hint));
  return {
    format: 'preseed',
    hostname,
    user,
    authorizedKeys: openSshKeysIn(lateCommand),
    addresses,
    callback: findInstallerCallback([lateCommand]),
    networkText: networkLines.join('\n'),
    versionHints: mirror.map((hint) => `debian ${hint}`),
  };
}
