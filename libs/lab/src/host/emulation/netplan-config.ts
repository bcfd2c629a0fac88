import { isIP } from 'node:net';
import { basename } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

/**
 * Netplan as `netplan generate` sees it: every `/etc/netplan/*.yaml` in file-name order, merged
 * the way libnetplan merges them (mappings merged, later scalars win, sequences such as
 * `addresses` appended), validated with the same messages and `path:line:col` positions the real
 * tool prints (checked against netplan.io 0.106).
 */

export interface NetplanFile {
  path: string;
  content: string;
  mode: number;
}

export type NetplanTree = Record<string, unknown>;

export type NetplanLoad =
  { ok: true; tree: NetplanTree; warnings: string[] } | { ok: false; error: string; warnings: string[] };

/** Device sections the lab understands; other known netplan sections are accepted and ignored. */
const DEVICE_SECTIONS = ['ethernets', 'bonds', 'bridges', 'vlans'] as const;
const OTHER_SECTIONS = [
  'wifis',
  'tunnels',
  'vrfs',
  'dummy-devices',
  'virtual-ethernets',
  'modems',
  'nm-devices',
];
const NETWORK_KEYS = new Set(['version', 'renderer', ...DEVICE_SECTIONS, ...OTHER_SECTIONS]);
const DEVICE_KEYS = new Set([
  'accept-ra',
  'activation-mode',
  'addresses',
  'critical',
  'dhcp-identifier',
  'dhcp4',
  'dhcp4-overrides',
  'dhcp6',
  'dhcp6-overrides',
  'emit-lldp',
  'gateway4',
  'gateway6',
  'id',
  'ignore-carrier',
  'infiniband-mode',
  'interfaces',
  'ipv6-address-generation',
  'ipv6-address-token',
  'ipv6-mtu',
  'ipv6-privacy',
  'link',
  'link-local',
  'macaddress',
  'match',
  'mtu',
  'nameservers',
  'neigh-suppress',
  'optional',
  'optional-addresses',
  'parameters',
  'receive-checksum-offload',
  'renderer',
  'routes',
  'routing-policy',
  'set-name',
  'transmit-checksum-offload',
  'virtual-function-count',
  'wakeonlan',
  'embedded-switch-mode',
  'delay-virtual-functions-rebind',
  'link-local',
  'generic-receive-offload',
  'generic-segmentation-offload',
  'large-receive-offload',
  'tcp-segmentation-offload',
  'tcp6-segmentation-offload',
  'openvswitch',
  'auth',
  'networkmanager',
  'wakeonwlan',
]);
const BOOLEAN_KEYS = new Set([
  'dhcp4',
  'dhcp6',
  'optional',
  'critical',
  'accept-ra',
  'wakeonlan',
  'ignore-carrier',
]);
const TRUE_WORDS = new Set(['true', 'yes', 'on', 'y']);
const FALSE_WORDS = new Set(['false', 'no', 'off', 'n']);

class NetplanError extends Error {}

interface Position {
  path: string;
  offset: number;
  lines: LineCounter;
  source: string;
}

/** Parse, validate and merge netplan files. The first error wins, as in netplan. */
export function loadNetplan(files: NetplanFile[]): NetplanLoad {
  const warnings: string[] = [];
  const ordered = [...files].sort((a, b) => basename(a.path).localeCompare(basename(b.path)));
  const tree: NetplanTree = {};
  const references: Array<{ at: Position; owner: string; id: string }> = [];
  try {
    for (const file of ordered) {
      if ((file.mode & 0o077) !== 0) {
        warnings.push(
          `** (generate): WARNING **: Permissions for ${file.path} are too open. Netplan configuration should NOT be accessible by others.`,
        );
      }
      const network = parseFile(file, references);
      if (network) mergeInto(tree, network);
    }
    const defined = new Set<string>();
    for (const section of DEVICE_SECTIONS) {
      const devices = tree[section];
      if (isRecord(devices)) for (const id of Object.keys(devices)) defined.add(id);
    }
    for (const reference of references) {
      if (!defined.has(reference.id)) {
        fail(reference.at, `${reference.owner}: interface '${reference.id}' is not defined`);
      }
    }
  } catch (error) {
    if (error instanceof NetplanError) return { ok: false, error: error.message, warnings };
    throw error;
  }
  if (tree['version'] === undefined && Object.keys(tree).length > 0) tree['version'] = 2;
  return { ok: true, tree: { network: tree }, warnings };
}

function parseFile(
  file: NetplanFile,
  references: Array<{ at: Position; owner: string; id: string }>,
): NetplanTree | undefined {
  const lines = new LineCounter();
  const document = parseDocument(file.content, { lineCounter: lines, uniqueKeys: false });
  const at = (node: YamlNode | null | undefined, fallback = 0): Position => ({
    path: file.path,
    offset: node?.range?.[0] ?? fallback,
    lines,
    source: file.content,
  });
  const syntax = document.errors[0];
  if (syntax) {
    const position = at(undefined, syntax.pos[0]);
    throw new NetplanError(render(position, `Invalid YAML: ${syntax.message.split('\n')[0] ?? ''}`));
  }
  const root = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) return undefined;
  if (!isMap(root)) fail(at(root), 'expected mapping (check indentation)');
  const networkPair = root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'network');
  for (const pair of root.items) {
    if (pair !== networkPair) fail(at(pair.key as YamlNode), `unknown key '${scalarText(pair.key)}'`);
  }
  if (!networkPair) return undefined;
  const network = networkPair.value as YamlNode | null;
  if (!isMap(network)) fail(at(network), 'expected mapping (check indentation)');
  for (const pair of network.items) {
    const key = scalarText(pair.key);
    const value = pair.value as YamlNode | null;
    if (!NETWORK_KEYS.has(key)) fail(at(pair.key as YamlNode), `unknown key '${key}'`);
    if (key === 'version' && !(isScalar(value) && Number(value.value) === 2))
      fail(at(value), 'Only version 2 is supported');
    if ((DEVICE_SECTIONS as readonly string[]).includes(key)) {
      if (!isMap(value)) fail(at(value), 'expected mapping (check indentation)');
      for (const device of value.items)
        validateDevice(key, scalarText(device.key), device.value as YamlNode | null, at, references);
    }
  }
  return network.toJSON() as NetplanTree;
}

function validateDevice(
  section: string,
  id: string,
  node: YamlNode | null,
  at: (node: YamlNode | null | undefined) => Position,
  references: Array<{ at: Position; owner: string; id: string }>,
): void {
  if (node === null || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) fail(at(node), 'expected mapping (check indentation)');
  for (const pair of node.items) {
    const key = scalarText(pair.key);
    const value = pair.value as YamlNode | null;
    if (!DEVICE_KEYS.has(key)) fail(at(pair.key as YamlNode), `unknown key '${key}'`);
    if (BOOLEAN_KEYS.has(key)) {
      const text = isScalar(value) ? String(value.value).toLowerCase() : '';
      if (!TRUE_WORDS.has(text) && !FALSE_WORDS.has(text))
        fail(at(value), `invalid boolean value '${scalarText(value)}'`);
    }
    if (key === 'addresses') {
      if (!isSeq(value)) fail(at(value), 'expected sequence');
      for (const item of value.items as Array<YamlNode | null>) {
        // An address may carry options: `- 10.0.0.5/24: { lifetime: 0 }`.
        const addressNode = isMap(item) ? (item.items[0]?.key as YamlNode | null) : item;
        const problem = addressProblem(scalarText(addressNode));
        if (problem) fail(at(addressNode), problem);
      }
    }
    if (key === 'interfaces' && (section === 'bonds' || section === 'bridges')) {
      if (!isSeq(value)) fail(at(value), 'expected sequence');
      for (const item of value.items as Array<YamlNode | null>)
        references.push({ at: at(item), owner: id, id: scalarText(item) });
    }
    if (key === 'link' && section === 'vlans')
      references.push({ at: at(value), owner: id, id: scalarText(value) });
    if (key === 'id' && section === 'vlans') {
      const vlanId = isScalar(value) ? Number(value.value) : NaN;
      if (!Number.isInteger(vlanId) || vlanId < 0 || vlanId > 4094)
        fail(at(value), `invalid id '${scalarText(value)}' (allowed values are 0 to 4094)`);
    }
  }
}

/** netplan's messages for a malformed `addresses` entry, or undefined when it is valid. */
export function addressProblem(address: string): string | undefined {
  const slash = address.indexOf('/');
  const ip = slash < 0 ? address : address.slice(0, slash);
  const version = isIP(ip);
  if (version === 0) return `malformed address '${address}', must be X.X.X.X/NN or X:X:X:X:X:X:X:X/NN`;
  if (slash < 0) return `address '${address}' is missing /prefixlength`;
  const prefixText = address.slice(slash + 1);
  const prefix = Number(prefixText);
  const max = version === 4 ? 32 : 128;
  if (!/^\d+$/.test(prefixText) || prefix < 0 || prefix > max)
    return `invalid prefix length in address '${address}'`;
  return undefined;
}

function fail(position: Position, message: string): never {
  throw new NetplanError(render(position, `Error in network definition: ${message}`));
}

function render(position: Position, message: string): string {
  const { line, col } = position.lines.linePos(position.offset);
  const sourceLine = position.source.split('\n')[line - 1] ?? '';
  return `${position.path}:${line}:${col}: ${message}\n${sourceLine}\n${' '.repeat(Math.max(0, col - 1))}^`;
}

function scalarText(node: unknown): string {
  return isScalar(node) ? String(node.value) : '';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** libnetplan's merge: mappings merged, sequences appended, scalars replaced by the later file. */
function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (isRecord(existing) && isRecord(value)) mergeInto(existing, value);
    else if (Array.isArray(existing) && Array.isArray(value))
      target[key] = [...(existing as unknown[]), ...(value as unknown[])];
    else target[key] = structuredClone(value);
  }
}

/** `netplan get <key>`: walk a dotted path below `network`. */
export function netplanGet(tree: NetplanTree, key: string | undefined): unknown {
  const network = tree['network'];
  if (!key || key === 'all') return tree;
  let current: unknown = network;
  for (const segment of key.split('.')) {
    if (!isRecord(current)) return null;
    current = current[segment];
  }
  return current ?? null;
}
