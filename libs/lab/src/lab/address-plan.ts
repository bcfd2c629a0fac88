import { isIPv4 } from 'node:net';

/**
 * The lab's address plan: every machine gets its own loopback addresses, so a BMC and a host look
 * like separate devices on a network (and an inventory can list them without port juggling).
 * Machine `i` (1-based) has its BMC at `<bmcNetwork>.<hi>.<lo>` and its SSH at `<sshNetwork>.<hi>.<lo>`,
 * where `hi.lo` counts from `0.1` skipping `.0` and `.255` (network and broadcast addresses on a
 * real /24, which some tools refuse), i.e. 254 machines per /24.
 */

/** Host octets per third octet: 1..254. */
const HOSTS_PER_BLOCK = 254;
/** The third octet runs 0..254 too, so `hi` never reads as a broadcast either. */
const BLOCKS = 255;

/** The most machines the plan can address in one lab. */
export const MAX_ADDRESSED_MACHINES = HOSTS_PER_BLOCK * BLOCKS;

/** A loopback /16 given by its first two octets, e.g. `127.1`. */
export type LoopbackNetwork = `127.${number}`;

/** `[hi, lo]`: the last two octets of machine `index` (1-based). */
export function machineOctets(index: number): [number, number] {
  if (!Number.isInteger(index) || index < 1 || index > MAX_ADDRESSED_MACHINES) {
    throw new RangeError(`machine number ${index} is outside 1..${MAX_ADDRESSED_MACHINES}`);
  }
  const offset = index - 1;
  return [Math.floor(offset / HOSTS_PER_BLOCK), (offset % HOSTS_PER_BLOCK) + 1];
}

/** The address of machine `index` (1-based) in `network`, e.g. `machineAddress('127.1', 255)` is `127.1.1.2`. */
export function machineAddress(network: LoopbackNetwork, index: number): string {
  const [hi, lo] = machineOctets(index);
  return `${network}.${hi}.${lo}`;
}

/** Checks that `text` is a loopback /16 (`127.N`, N in 0..255) and returns it typed. */
export function parseLoopbackNetwork(text: string): LoopbackNetwork {
  const candidate = `${text}.0.1`;
  const second = Number(text.split('.')[1]);
  if (!/^127\.\d{1,3}$/.test(text) || !isIPv4(candidate) || second > 255) {
    throw new Error(`"${text}" is not a loopback network: give the first two octets, 127.0 to 127.255`);
  }
  return text as LoopbackNetwork;
}
