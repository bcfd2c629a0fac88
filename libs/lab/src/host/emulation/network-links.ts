import { isIP } from 'node:net';
import type { LabNic } from '../../machine/lab-machine';
import { isRecord, type NetplanTree } from './netplan-config';

/** One network interface of a running lab host, as `ip addr` shows it. */
export interface NetLink {
  ifname: string;
  kind: 'loopback' | 'ether' | 'bond' | 'bridge' | 'vlan';
  mac: string;
  mtu: number;
  /** The bond or bridge this interface is enslaved to. */
  master?: string;
  /** A VLAN's parent interface. */
  link?: string;
  /** CIDR addresses (`10.0.0.5/24`, `2001:db8::5/64`). */
  addresses: string[];
}

function baseLinks(nics: LabNic[]): NetLink[] {
  return [
    {
      ifname: 'lo',
      kind: 'loopback',
      mac: '00:00:00:00:00:00',
      mtu: 65536,
      addresses: ['127.0.0.1/8', '::1/128'],
    },
    ...nics.map((nic): NetLink => ({
      ifname: nic.id,
      kind: 'ether',
      mac: nic.mac,
      mtu: 1500,
      addresses: [],
    })),
  ];
}

/** Links from per-interface addresses (installers that do not write netplan: preseed, kickstart). */
export function linksFromAddresses(addresses: Record<string, string[]>, nics: LabNic[]): NetLink[] {
  const links = baseLinks(nics);
  for (const [ifname, cidrs] of Object.entries(addresses)) {
    let link = links.find((candidate) => candidate.ifname === ifname);
    if (!link) {
      const vlan = /^(.+)\.(\d+)$/.exec(ifname);
      const parent = vlan ? links.find((candidate) => candidate.ifname === vlan[1]) : undefined;
      const kind: NetLink['kind'] = vlan
        ? 'vlan'
        : ifname.startsWith('bond')
          ? 'bond'
          : ifname.startsWith('br')
            ? 'bridge'
            : 'ether';
      link = {
        ifname,
        kind,
        mac: parent?.mac ?? nics[0]?.mac ?? '00:00:00:00:00:00',
        mtu: 1500,
        addresses: [],
      };
      if (parent) link.link = parent.ifname;
      links.push(link);
    }
    link.addresses.push(...cidrs);
  }
  return links;
}

/** Links as systemd-networkd would set them up from a merged netplan tree. */
export function linksFromNetplan(tree: NetplanTree, nics: LabNic[]): NetLink[] {
  const links = baseLinks(nics);
  const network = isRecord(tree['network']) ? tree['network'] : {};
  // netplan ids (the keys under ethernets/bonds/…) map to kernel interface names.
  const nameOfId = new Map<string, string>();
  const ethernets = isRecord(network['ethernets']) ? network['ethernets'] : {};
  for (const [id, raw] of Object.entries(ethernets)) {
    const device = isRecord(raw) ? raw : {};
    const link = matchPhysical(id, device, links);
    if (!link) continue;
    const setName = device['set-name'];
    if (typeof setName === 'string') link.ifname = setName;
    nameOfId.set(id, link.ifname);
    configure(link, device);
  }
  for (const kind of ['bonds', 'bridges'] as const) {
    const section = isRecord(network[kind]) ? network[kind] : {};
    for (const [name, raw] of Object.entries(section)) {
      const device = isRecord(raw) ? raw : {};
      const members = (Array.isArray(device['interfaces']) ? device['interfaces'] : []).map(
        (id) => nameOfId.get(String(id)) ?? String(id),
      );
      const memberLinks = members
        .map((member) => links.find((link) => link.ifname === member))
        .filter((link) => link !== undefined);
      const link: NetLink = {
        ifname: name,
        kind: kind === 'bonds' ? 'bond' : 'bridge',
        mac:
          typeof device['macaddress'] === 'string'
            ? device['macaddress']
            : (memberLinks[0]?.mac ?? '00:00:00:00:00:00'),
        mtu: 1500,
        addresses: [],
      };
      for (const member of memberLinks) member.master = name;
      nameOfId.set(name, name);
      links.push(link);
      configure(link, device);
    }
  }
  const vlans = isRecord(network['vlans']) ? network['vlans'] : {};
  for (const [name, raw] of Object.entries(vlans)) {
    const device = isRecord(raw) ? raw : {};
    const parentName = nameOfId.get(String(device['link'])) ?? String(device['link']);
    const parent = links.find((link) => link.ifname === parentName);
    const link: NetLink = {
      ifname: name,
      kind: 'vlan',
      mac: parent?.mac ?? '00:00:00:00:00:00',
      mtu: 1500,
      addresses: [],
    };
    if (parent) link.link = parent.ifname;
    links.push(link);
    configure(link, device);
  }
  return links;
}

function matchPhysical(id: string, device: Record<string, unknown>, links: NetLink[]): NetLink | undefined {
  const match = isRecord(device['match']) ? device['match'] : undefined;
  const physical = links.filter((link) => link.kind === 'ether');
  if (!match) return physical.find((link) => link.ifname === id);
  const mac = typeof match['macaddress'] === 'string' ? match['macaddress'].toLowerCase() : undefined;
  const name = typeof match['name'] === 'string' ? globToRegExp(match['name']) : undefined;
  return physical.find((link) => (!mac || link.mac === mac) && (!name || name.test(link.ifname)));
}

function configure(link: NetLink, device: Record<string, unknown>): void {
  if (typeof device['mtu'] === 'number') link.mtu = device['mtu'];
  const addresses = Array.isArray(device['addresses']) ? device['addresses'] : [];
  for (const entry of addresses) {
    // `- 10.0.0.5/24: { lifetime: 0 }` is a one-key mapping.
    const address = isRecord(entry) ? Object.keys(entry)[0] : String(entry);
    if (address) link.addresses.push(address);
  }
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** First IPv4 address (without prefix) on a non-loopback link, the host's "primary" address. */
export function primaryIpv4(links: NetLink[]): string | undefined {
  for (const link of links) {
    if (link.kind === 'loopback') continue;
    for (const cidr of link.addresses) {
      const ip = cidr.split('/')[0] ?? '';
      if (isIP(ip) === 4) return ip;
    }
  }
  return undefined;
}
