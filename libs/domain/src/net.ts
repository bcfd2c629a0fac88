/**
 * IPv4, CIDR and MAC helpers. Pure string arithmetic: no Node `net` module, so workflow code may
 * import them.
 */

/** An IPv4 network: base address (host bits cleared) and prefix length. */
export interface Ipv4Network {
  /** The network address as an unsigned 32-bit integer. */
  readonly base: number;
  /** Prefix length, 0–32. */
  readonly prefix: number;
  /** The last address of the network (broadcast) as an unsigned 32-bit integer. */
  readonly last: number;
}

const ipv4Pattern = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const macPattern = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** Parses dotted-quad IPv4 (`10.0.0.1`) into an unsigned 32-bit integer; `undefined` when invalid. */
export function parseIpv4(text: string): number | undefined {
  if (!ipv4Pattern.test(text)) return undefined;
  return text.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** Formats an unsigned 32-bit integer as dotted-quad IPv4. */
export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * Parses `a.b.c.d/n`. Returns `undefined` when the text is not a CIDR or when host bits are set
 * (`10.0.0.1/24` is an address, not a network; operators mean `10.0.0.0/24`).
 */
export function parseCidr(text: string): Ipv4Network | undefined {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const address = parseIpv4(match[1] ?? '');
  const prefix = Number(match[2]);
  if (address === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) return undefined;
  return { base: address, prefix, last: address + size - 1 };
}

/** True when the IPv4 address (as an integer) lies inside the network. */
export function networkContains(network: Ipv4Network, address: number): boolean {
  return address >= network.base && address <= network.last;
}

/** True when two networks share at least one address. */
export function networksOverlap(a: Ipv4Network, b: Ipv4Network): boolean {
  return a.base <= b.last && b.base <= a.last;
}

/** An inclusive IPv4 address range written `first-last`. */
export interface Ipv4Range {
  /** First address, unsigned 32-bit integer. */
  readonly first: number;
  /** Last address, unsigned 32-bit integer, ≥ `first`. */
  readonly last: number;
}

/** Parses `10.0.0.50-10.0.0.200`; `undefined` when malformed or when first > last. */
export function parseIpv4Range(text: string): Ipv4Range | undefined {
  const parts = text.split('-');
  if (parts.length !== 2) return undefined;
  const first = parseIpv4((parts[0] ?? '').trim());
  const last = parseIpv4((parts[1] ?? '').trim());
  if (first === undefined || last === undefined || first > last) return undefined;
  return { first, last };
}

/** True for `aa:bb:cc:dd:ee:ff` in either case. */
export function isMac(text: string): boolean {
  return macPattern.test(text);
}

/** Lowercases a MAC address, the one spelling Plinth stores and compares. */
export function normalizeMac(text: string): string {
  return text.toLowerCase();
}
