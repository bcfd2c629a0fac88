/**
 * The few IPMI wire details the lab reads or writes itself (IPMI 2.0 spec, sections 13.6-13.8):
 * the LAN message inside a session payload, and an unauthenticated probe that any BMC answers.
 * Everything else is left to ipmi_sim, which is the real implementation.
 */

export const NETFN_CHASSIS = 0x00;
export const NETFN_APP = 0x06;

export const CMD_GET_CHASSIS_STATUS = 0x01;
export const CMD_CHASSIS_CONTROL = 0x02;
export const CMD_SET_SYSTEM_BOOT_OPTIONS = 0x08;
export const CMD_GET_CHANNEL_AUTH_CAPABILITIES = 0x38;
export const CMD_CLOSE_SESSION = 0x3c;

/** An IPMI request or response as carried over LAN, without its addressing bytes. */
export interface IpmiLanMessage {
  /** Network function; responses carry the request's netFn + 1. */
  netFn: number;
  /** Requester's sequence number, echoed by the response: it pairs the two. */
  seq: number;
  cmd: number;
  /** Request data, or for a response the completion code followed by the response data. */
  data: Buffer;
}

const RMCP_HEADER = [0x06, 0x00, 0xff, 0x07];

/** Two's-complement checksum: the byte that makes `bytes` sum to zero modulo 256. */
export function ipmiChecksum(bytes: Iterable<number>): number {
  let sum = 0;
  for (const byte of bytes) sum = (sum + byte) & 0xff;
  return (0x100 - sum) & 0xff;
}

/**
 * Parse a LAN-format IPMI message: rsSA, netFn/LUN, checksum, rqSA, seq/LUN, cmd, data, checksum.
 * Returns undefined when it is too short or a checksum is wrong (not a message we can trust).
 */
export function parseIpmiLanMessage(bytes: Buffer): IpmiLanMessage | undefined {
  if (bytes.length < 7) return undefined;
  if (ipmiChecksum(bytes.subarray(0, 2)) !== bytes[2]) return undefined;
  if (ipmiChecksum(bytes.subarray(3, bytes.length - 1)) !== bytes[bytes.length - 1]) return undefined;
  return {
    netFn: (bytes[1] ?? 0) >> 2,
    seq: (bytes[4] ?? 0) >> 2,
    cmd: bytes[5] ?? 0,
    data: bytes.subarray(6, bytes.length - 1),
  };
}

/** Encode a LAN-format IPMI request from the remote console (SWID 0x81) to the BMC (0x20), LUN 0. */
export function encodeIpmiLanRequest(message: IpmiLanMessage): Buffer {
  const head = [0x20, (message.netFn << 2) & 0xff];
  const body = [0x81, (message.seq << 2) & 0xff, message.cmd, ...message.data];
  return Buffer.from([...head, ipmiChecksum(head), ...body, ipmiChecksum(body)]);
}

/**
 * An RMCP/IPMI 1.5 packet outside any session asking for the channel's authentication capabilities:
 * what ipmitool sends first. Every BMC answers it without credentials, so it shows the BMC is up.
 */
export function channelAuthCapabilitiesProbe(): Buffer {
  // Channel 0x0e ("this channel") with bit 7 asking for IPMI 2.0 data; maximum privilege: administrator.
  const message = encodeIpmiLanRequest({
    netFn: NETFN_APP,
    seq: 1,
    cmd: CMD_GET_CHANNEL_AUTH_CAPABILITIES,
    data: Buffer.from([0x8e, 0x04]),
  });
  // IPMI 1.5 session header: auth type none, sequence 0, session 0, then the message length.
  const session = [0x00, 0, 0, 0, 0, 0, 0, 0, 0, message.length];
  return Buffer.concat([Buffer.from(RMCP_HEADER), Buffer.from(session), message]);
}

/** True when `packet` is an RMCP packet of class IPMI (not an RMCP ACK or ASF ping). */
export function isRmcpIpmiPacket(packet: Buffer): boolean {
  return packet.length >= 5 && packet[0] === 0x06 && packet[3] === 0x07;
}
