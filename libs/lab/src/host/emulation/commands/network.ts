import { isIP } from 'node:net';
import { stringify } from 'yaml';
import type { CommandContext, CommandDefinition } from '../command';
import { loadNetplan, netplanGet, type NetplanLoad } from '../netplan-config';
import { linksFromNetplan, type NetLink } from '../network-links';

/**
 * `ip` (addresses and links, JSON and text, as iproute2 prints them) and `netplan`
 * (`get`, `generate`, `apply`, `try`): netplan YAML written to /etc/netplan changes what `ip`
 * shows once applied.
 */
export const networkCommands: Record<string, CommandDefinition> = {
  ip: { run: ip },
  netplan: { run: netplan, available: (os) => os.netplanAvailable() },
};

const FOREVER = 4294967295;

function ip(context: CommandContext): number {
  const args = context.argv.slice(1);
  const options = new Set<string>();
  while (args[0]?.startsWith('-')) options.add((args.shift() ?? '').replace(/^--?/, ''));
  const json = options.has('j') || options.has('json');
  const pretty = options.has('p') || options.has('pretty');
  const brief = options.has('br') || options.has('brief');
  const family = options.has('4') ? 'inet' : options.has('6') ? 'inet6' : undefined;
  const [object = 'help', verb = 'show', ...rest] = args;
  const device =
    rest[0] === 'dev' ? rest[1] : verb !== 'show' && verb !== 'list' && verb !== 'ls' ? verb : rest[0];
  const isAddress = ['a', 'ad', 'addr', 'address'].includes(object);
  const isLink = ['l', 'li', 'link'].includes(object);
  if (!isAddress && !isLink) {
    if (['r', 'ro', 'route', 'n', 'neigh', 'rule', 'tunnel', 'maddr', 'netns', 'monitor'].includes(object)) {
      context.stderr(`ip: the lab does not emulate "ip ${object}"\n`);
      return 1;
    }
    context.stderr(`Object "${object}" is unknown, try "ip help".\n`);
    return 1;
  }
  const links = context.os.links.filter((link) => device === undefined || link.ifname === device);
  if (device !== undefined && links.length === 0) {
    context.stderr(`Device "${device}" does not exist.\n`);
    return 1;
  }
  const indexed = links.map((link) => ({ link, index: context.os.links.indexOf(link) + 1 }));
  if (json) {
    const out = indexed.map(({ link, index }) => linkJson(link, index, isAddress, family));
    context.stdout(`${pretty ? JSON.stringify(out, null, 4) : JSON.stringify(out)}\n`);
    return 0;
  }
  for (const { link, index } of indexed)
    context.stdout(brief ? linkBrief(link, isAddress, family) : linkText(link, index, isAddress, family));
  return 0;
}

function linkFlags(link: NetLink): string[] {
  if (link.kind === 'loopback') return ['LOOPBACK', 'UP', 'LOWER_UP'];
  if (link.master) return ['BROADCAST', 'MULTICAST', 'SLAVE', 'UP', 'LOWER_UP'];
  if (link.kind === 'bond') return ['BROADCAST', 'MULTICAST', 'MASTER', 'UP', 'LOWER_UP'];
  return ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'];
}

interface AddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  broadcast?: string;
  scope: 'host' | 'global' | 'link';
  label?: string;
  valid_life_time: number;
  preferred_life_time: number;
}

function addresses(link: NetLink, family: string | undefined): AddrInfo[] {
  const infos: AddrInfo[] = link.addresses.map((cidr) => {
    const [local = '', prefix = '0'] = cidr.split('/');
    const prefixlen = Number(prefix);
    const v4 = isIP(local) === 4;
    const scope = link.kind === 'loopback' ? 'host' : 'global';
    const info: AddrInfo = {
      family: v4 ? 'inet' : 'inet6',
      local,
      prefixlen,
      scope,
      valid_life_time: FOREVER,
      preferred_life_time: FOREVER,
    };
    if (v4 && link.kind !== 'loopback' && prefixlen < 31) info.broadcast = broadcastOf(local, prefixlen);
    if (v4) info.label = link.ifname;
    return info;
  });
  // Every up, non-enslaved interface gets an EUI-64 link-local address from its MAC.
  if (link.kind !== 'loopback' && !link.master) {
    infos.push({
      family: 'inet6',
      local: linkLocal(link.mac),
      prefixlen: 64,
      scope: 'link',
      valid_life_time: FOREVER,
      preferred_life_time: FOREVER,
    });
  }
  const ordered = [
    ...infos.filter((info) => info.family === 'inet'),
    ...infos.filter((info) => info.family === 'inet6'),
  ];
  return family ? ordered.filter((info) => info.family === family) : ordered;
}

function linkJson(
  link: NetLink,
  index: number,
  withAddresses: boolean,
  family: string | undefined,
): Record<string, unknown> {
  const loopback = link.kind === 'loopback';
  const out: Record<string, unknown> = { ifindex: index };
  if (link.link) out['link'] = link.link;
  Object.assign(out, {
    ifname: link.ifname,
    flags: linkFlags(link),
    mtu: link.mtu,
    qdisc: loopback || link.kind !== 'ether' ? 'noqueue' : 'mq',
  });
  if (link.master) out['master'] = link.master;
  Object.assign(out, {
    operstate: loopback ? 'UNKNOWN' : 'UP',
    group: 'default',
    txqlen: 1000,
    link_type: loopback ? 'loopback' : 'ether',
    address: link.mac,
    broadcast: loopback ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff',
  });
  if (withAddresses) out['addr_info'] = addresses(link, family);
  return out;
}

function linkText(link: NetLink, index: number, withAddresses: boolean, family: string | undefined): string {
  const loopback = link.kind === 'loopback';
  const name = link.link ? `${link.ifname}@${link.link}` : link.ifname;
  const qdisc = loopback || link.kind !== 'ether' ? 'noqueue' : 'mq';
  const master = link.master ? ` master ${link.master}` : '';
  const lines = [
    `${index}: ${name}: <${linkFlags(link).join(',')}> mtu ${link.mtu} qdisc ${qdisc}${master} state ${loopback ? 'UNKNOWN' : 'UP'} group default qlen 1000`,
    `    link/${loopback ? 'loopback' : 'ether'} ${link.mac} brd ${loopback ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff'}`,
  ];
  if (withAddresses) {
    for (const info of addresses(link, family)) {
      const brd = info.broadcast ? ` brd ${info.broadcast}` : '';
      const label = info.family === 'inet' ? ` ${link.ifname}` : '';
      lines.push(`    ${info.family} ${info.local}/${info.prefixlen}${brd} scope ${info.scope}${label}`);
      lines.push('       valid_lft forever preferred_lft forever');
    }
  }
  return `${lines.join('\n')}\n`;
}

function linkBrief(link: NetLink, withAddresses: boolean, family: string | undefined): string {
  const name = (link.link ? `${link.ifname}@${link.link}` : link.ifname).padEnd(16);
  const state = (link.kind === 'loopback' ? 'UNKNOWN' : 'UP').padEnd(14);
  if (!withAddresses) return `${name} ${state} ${link.mac} <${linkFlags(link).join(',')}> \n`;
  return `${name} ${state} ${addresses(link, family)
    .map((info) => `${info.local}/${info.prefixlen}`)
    .join(' ')} \n`;
}

function broadcastOf(address: string, prefix: number): string {
  const value = address.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const hostBits = 32 - prefix;
  const broadcast = (Math.floor(value / 2 ** hostBits) + 1) * 2 ** hostBits - 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(broadcast / 2 ** shift) % 256).join('.');
}

function linkLocal(mac: string): string {
  const bytes = mac.split(':').map((part) => parseInt(part, 16));
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = bytes;
  const hex = (high: number, low: number): string => ((high << 8) | low).toString(16);
  return `fe80::${hex(a ^ 0x02, b)}:${hex(c, 0xff)}:${hex(0xfe, d)}:${hex(e, f)}`;
}

async function netplan(context: CommandContext): Promise<number> {
  const args = context.argv.slice(1).filter((arg) => arg !== '--debug');
  const [verb = 'help', ...rest] = args;
  const { os } = context;
  const load = (): NetplanLoad | undefined => {
    const files = os.netplanFiles();
    const unreadable = files.find((file) => !os.readFile(context, file.path).ok);
    if (unreadable) {
      context.stderr(`PermissionError: [Errno 13] Permission denied: '${unreadable.path}'\n`);
      return undefined;
    }
    const loaded = loadNetplan(files);
    for (const warning of loaded.warnings) context.stderr(`\n${warning}\n`);
    if (!loaded.ok) context.stderr(`${loaded.error}\n`);
    return loaded;
  };
  switch (verb) {
    case 'get': {
      const loaded = load();
      if (!loaded?.ok) return 1;
      const value = netplanGet(
        loaded.tree,
        rest.find((arg) => !arg.startsWith('-')),
      );
      context.stdout(value === null ? 'null\n' : stringify(value, { indentSeq: false }));
      return 0;
    }
    case 'generate': {
      if (!context.root) return denied(context);
      const loaded = load();
      return loaded?.ok ? 0 : 1;
    }
    case 'apply': {
      if (!context.root) return denied(context);
      const loaded = load();
      if (!loaded?.ok) return 1;
      os.links = linksFromNetplan(loaded.tree, os.machine.hardware.nics);
      os.machine.count('netplanApplies');
      return 0;
    }
    case 'try':
      return netplanTry(context, rest, load);
    default:
      context.stderr(`netplan: the lab does not emulate "netplan ${verb}"\n`);
      return 2;
  }
}

function denied(context: CommandContext): number {
  context.stderr("PermissionError: [Errno 13] Permission denied: '/run/netplan'\n");
  return 1;
}

/**
 * `netplan try`: apply, then keep the configuration only if ENTER arrives before the timeout;
 * otherwise revert. End of input is not an answer (netplan keeps waiting), as in the real tool.
 */
async function netplanTry(
  context: CommandContext,
  args: string[],
  load: () => NetplanLoad | undefined,
): Promise<number> {
  if (!context.root) return denied(context);
  const timeoutIndex = args.indexOf('--timeout');
  const inline = args.find((arg) => arg.startsWith('--timeout='));
  const timeoutSeconds = Number(
    inline ? inline.split('=')[1] : timeoutIndex >= 0 ? args[timeoutIndex + 1] : 120,
  );
  const loaded = load();
  if (!loaded?.ok) return 1;
  const { os } = context;
  const previous = os.links;
  os.links = linksFromNetplan(loaded.tree, os.machine.hardware.nics);
  os.machine.count('netplanApplies');
  context.stdout(
    `Do you want to keep these settings?\n\n\nPress ENTER before the timeout to accept the new configuration\n\n\nChanges will revert in ${timeoutSeconds} seconds\n`,
  );
  const accepted = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutSeconds * 1000);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    context.signal.addEventListener('abort', onAbort, { once: true });
    const waitForEnter = async (): Promise<void> => {
      const line = await context.stdin.readLine();
      if (line === undefined) return;
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onAbort);
      resolve(true);
    };
    void waitForEnter();
  });
  if (accepted) {
    context.stdout('Configuration accepted.\n');
    return 0;
  }
  os.links = previous;
  context.stdout('\nReverting.\n');
  return 78;
}
