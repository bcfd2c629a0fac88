import type { LabNic } from '../../machine/lab-machine';
import { NetbootError } from './http-get';
import { interfaceName, prefixFromNetmask, type ParsedInstallConfig } from './install-config';
import { findInstallerCallback, simpleCommands } from './installer-callback';

/**
 * Anaconda kickstart: commands outside `%section … %end` blocks plus the `%post` bodies. Read:
 * `network` (`--device`, `--ip`, `--netmask`, `--hostname`, `--vlanid`, `--interfacename`),
 * `user --name`, `sshkey --username "<key>"`, `url --url`/`repo --baseurl` (the release), and the
 * callback in `%post`.
 */
export function parseKickstart(text: string, nics: LabNic[], source: string): ParsedInstallConfig {
  const commands: string[][] = [];
  const postBodies: string[] = [];
  let section: { name: string; lines: string[] } | undefined;
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const trimmed = line.trim();
    if (section) {
      if (trimmed === '%end') {
        if (section.name === '%post') postBodies.push(section.lines.join('\n'));
        section = undefined;
      } else section.lines.push(line);
      continue;
    }
    if (!trimmed || trimmed.startsWith('#')) continue;
    if (trimmed.startsWith('%')) {
      section = { name: trimmed.split(/\s+/)[0] ?? '', lines: [] };
      continue;
    }
    const words = simpleCommands(trimmed)[0];
    if (words) commands.push(words);
  }
  if (section) throw new NetbootError(`${source}: section ${section.name} has no %end`);

  const options = (words: string[]): Map<string, string> => {
    const map = new Map<string, string>();
    for (let index = 1; index < words.length; index++) {
      const word = words[index] ?? '';
      if (!word.startsWith('--')) continue;
      const equals = word.indexOf('=');
      if (equals >= 0) map.set(word.slice(2, equals), word.slice(equals + 1));
      else if (words[index + 1] !== undefined && !(words[index + 1] ?? '').startsWith('--'))
        map.set(word.slice(2), words[++index] ?? '');
      else map.set(word.slice(2), 'true');
    }
    return map;
  };

  let hostname: string | undefined;
  const addresses: Record<string, string[]> = {};
  const networkLines: string[] = [];
  const hints: string[] = [];
  let userName: string | undefined;
  const sshKeys: Array<{ user: string; key: string }> = [];
  for (const words of commands) {
    const [command] = words;
    const opts = options(words);
    if (command === 'network') {
      networkLines.push(words.join(' '));
      hostname = opts.get('hostname') ?? hostname;
      const ip = opts.get('ip');
      const netmask = opts.get('netmask');
      if (ip && netmask) {
        const prefix = prefixFromNetmask(netmask);
        if (prefix === undefined)
          throw new NetbootError(`${source}: network --netmask=${netmask} is not a netmask`);
        const device = interfaceName(opts.get('device') ?? nics[0]?.id ?? 'eth0', nics);
        const vlan = opts.get('vlanid');
        const ifname = opts.get('interfacename') ?? (vlan ? `${device}.${vlan}` : device);
        (addresses[ifname] ??= []).push(`${ip}/${prefix}`);
      }
    } else if (command === 'user') {
      userName ??= opts.get('name');
    } else if (command === 'sshkey') {
      const key = words
        .slice(1)
        .filter((word) => !word.startsWith('--'))
        .pop();
      const user = opts.get('username');
      if (key && user) sshKeys.push({ user, key });
    } else if (command === 'url') {
      const url = opts.get('url') ?? opts.get('mirrorlist');
      if (url) hints.push(url);
    } else if (command === 'repo') {
      const url = opts.get('baseurl') ?? opts.get('mirrorlist');
      if (url) hints.push(url);
    }
  }
  if (!hostname) throw new NetbootError(`${source}: no host name (network --hostname=…)`);
  const user = sshKeys[0]?.user ?? userName;
  if (!user) throw new NetbootError(`${source}: no user (user --name=… or sshkey --username=…)`);
  return {
    format: 'kickstart',
    hostname,
    user,
    authorizedKeys: [...new Set(sshKeys.filter((entry) => entry.user === user).map((entry) => entry.key))],
    addresses,
    callback: findInstallerCallback(postBodies),
    networkText: networkLines.join('\n'),
    versionHints: hints,
  };
}
