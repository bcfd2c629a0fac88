import type { LabNic } from '../../machine/lab-machine';
import type { InstallerCallback } from './installer-callback';
import { NetbootError } from './http-get';

/** What the lab needs from a rendered install config, whatever its format. */
export interface ParsedInstallConfig {
  format: 'autoinstall' | 'preseed' | 'kickstart';
  hostname: string;
  /** The login user the authorised keys belong to. */
  user: string;
  authorizedKeys: string[];
  /** Static CIDR addresses per interface name. */
  addresses: Record<string, string[]>;
  callback: InstallerCallback | undefined;
  /** The config's network stanza as text; it must name the host's boot MAC. */
  networkText: string;
  /** Installation-media references in the config (mirror suite, repo URLs) that reveal the release. */
  versionHints: string[];
  /** Netplan the installer writes to /etc/netplan (autoinstall only). */
  netplanYaml?: string;
}

/** The config is for this machine only if its network stanza names the boot MAC (case-insensitive). */
export function assertConfigIsForMachine(config: ParsedInstallConfig, bootMac: string, source: string): void {
  if (!config.networkText.toLowerCase().includes(bootMac.toLowerCase())) {
    throw new NetbootError(
      `install config is not for this machine (boot MAC ${bootMac} is not named in the network configuration of ${source})`,
    );
  }
}

/** OpenSSH public keys anywhere in a text (used for preseed late commands that write authorized_keys). */
export function openSshKeysIn(text: string): string[] {
  const pattern =
    /(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\s+(AAAA[A-Za-z0-9+/]+={0,3})(?:[ \t]+([\w.@+-]+))?/g;
  const keys: string[] = [];
  for (const match of text.matchAll(pattern)) {
    keys.push([match[1], match[2], match[3]].filter(Boolean).join(' '));
  }
  return [...new Set(keys)];
}

/** `255.255.255.0` → 24; undefined when not a contiguous mask. */
export function prefixFromNetmask(netmask: string): number | undefined {
  if (/^\d+$/.test(netmask)) return Number(netmask);
  const octets = netmask.split('.').map(Number);
  if (octets.length !== 4 || octets.some((octet) => !Number.isInteger(octet) || octet < 0 || octet > 255))
    return undefined;
  const bits = octets.map((octet) => octet.toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') < 0 ? 32 : bits.indexOf('0')) : undefined;
}

/** An interface named by MAC becomes the NIC's OS name. */
export function interfaceName(device: string, nics: LabNic[]): string {
  const byMac = nics.find((nic) => nic.mac === device.toLowerCase());
  return byMac ? byMac.id : device;
}
