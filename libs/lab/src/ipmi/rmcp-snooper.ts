import { createDecipheriv, createHmac } from 'node:crypto';
import { CMD_CLOSE_SESSION, NETFN_APP, isRmcpIpmiPacket, parseIpmiLanMessage } from './ipmi-message';
import type { IpmiLanMessage } from './ipmi-message';

/**
 * Reads the IPMI requests and responses passing between ipmitool (or any IPMI client) and ipmi_sim.
 *
 * Why: ipmi_sim tells its chassis_control hook only part of what the client asked. A power cycle
 * reaches the hook as "power 0" (ipmi_sim turns the power back on a second later by itself), and a
 * boot device arrives without the "persistent" flag. The lab knows the BMC's credentials, so, like
 * a protocol analyser given the password, it derives each RMCP+ session's keys from the
 * handshake it sees (IPMI 2.0 section 13.31-13.32) and decrypts the requests. It never alters a byte.
 *
 * Readable: RMCP+ sessions without confidentiality (ipmitool `-C 0`, `-C 1`, `-C 2`, `-C 6`), with
 * RAKP-HMAC-SHA1 and AES-CBC-128 (`-C 3`, what drivers use), and IPMI 1.5 sessions (never
 * encrypted). Those are the suites Debian's ipmi_sim 2.0.33 serves with ipmitool; it has no SHA-256
 * suites, and its MD5 suites with integrity fail, so no other key derivation is implemented.
 */

/** A decoded message and the session it belongs to (the same key for both directions). */
export interface SnoopedMessage {
  sessionKey: string;
  message: IpmiLanMessage;
}

const AUTH_TYPE_RMCP_PLUS = 0x06;
const PAYLOAD_IPMI = 0x00;
const PAYLOAD_OEM = 0x02;
const PAYLOAD_OPEN_SESSION_RESPONSE = 0x11;
const PAYLOAD_RAKP1 = 0x12;
const PAYLOAD_RAKP2 = 0x13;
const CONFIDENTIALITY_NONE = 0x00;
const CONFIDENTIALITY_AES_CBC_128 = 0x01;

const AUTH_RAKP_HMAC_SHA1 = 0x01;

interface RmcpPlusSession {
  remoteConsoleId: number;
  managedSystemId: number;
  authAlgorithm: number;
  confidentialityAlgorithm: number;
  rakp1?: { rm: Buffer; role: number; username: Buffer };
  /** AES-128 key (first 16 bytes of K2); set once RAKP2 succeeded and the password is known. */
  aesKey?: Buffer;
}

interface SessionPacket {
  payloadType: number;
  encrypted: boolean;
  sessionId: number;
  payload: Buffer;
}

export class RmcpSnooper {
  private readonly byManagedId = new Map<number, RmcpPlusSession>();
  private readonly byRemoteId = new Map<number, RmcpPlusSession>();

  /**
   * @param passwordFor the password the BMC holds for a user name (undefined: unknown user, the
   *   session's messages stay opaque).
   * @param maxSessions sessions remembered at once; the oldest is forgotten first (bounded memory
   *   whatever clients do).
   */
  constructor(
    private readonly passwordFor: (username: string) => string | undefined,
    private readonly maxSessions = 64,
  ) {}

  /** Look at a packet from a client to the BMC; returns the IPMI request it carries, if readable. */
  request(packet: Buffer): SnoopedMessage | undefined {
    return this.safely(() => this.inspect(packet, 'request'));
  }

  /** Look at a packet from the BMC to a client; returns the IPMI response it carries, if readable. */
  response(packet: Buffer): SnoopedMessage | undefined {
    return this.safely(() => this.inspect(packet, 'response'));
  }

  /** Sessions currently tracked (for tests and diagnostics). */
  get sessionCount(): number {
    return this.byManagedId.size;
  }

  private safely(inspect: () => SnoopedMessage | undefined): SnoopedMessage | undefined {
    try {
      return inspect();
    } catch {
      // Whatever a client sends, the relay must keep relaying: an unreadable packet is simply not snooped.
      return undefined;
    }
  }

  private inspect(packet: Buffer, direction: 'request' | 'response'): SnoopedMessage | undefined {
    if (!isRmcpIpmiPacket(packet)) return undefined;
    if (packet[4] !== AUTH_TYPE_RMCP_PLUS) return this.inspectIpmi15(packet);
    const parsed = parseSessionPacket(packet);
    if (!parsed) return undefined;
    switch (parsed.payloadType) {
      case PAYLOAD_OPEN_SESSION_RESPONSE:
        if (direction === 'response') this.openSession(parsed.payload);
        return undefined;
      case PAYLOAD_RAKP1:
        if (direction === 'request') this.rakp1(parsed.payload);
        return undefined;
      case PAYLOAD_RAKP2:
        if (direction === 'response') this.rakp2(parsed.payload);
        return undefined;
      case PAYLOAD_IPMI:
        return this.ipmiPayload(parsed, direction);
      default:
        return undefined;
    }
  }

  /** IPMI 1.5: auth type, sequence, session id, 16-byte auth code unless type none, length, message. */
  private inspectIpmi15(packet: Buffer): SnoopedMessage | undefined {
    const authType = packet[4] ?? 0;
    const sessionId = packet.readUInt32LE(9);
    const lengthAt = authType === 0 ? 13 : 29;
    const length = packet[lengthAt];
    if (sessionId === 0 || length === undefined) return undefined;
    const message = parseIpmiLanMessage(packet.subarray(lengthAt + 1, lengthAt + 1 + length));
    return message ? { sessionKey: `v15:${sessionId}`, message } : undefined;
  }

  /** Open Session Response: both session ids and the algorithms the BMC chose. */
  private openSession(payload: Buffer): void {
    if (payload.length < 36 || payload[1] !== 0) return;
    const session: RmcpPlusSession = {
      remoteConsoleId: payload.readUInt32LE(4),
      managedSystemId: payload.readUInt32LE(8),
      authAlgorithm: (payload[16] ?? 0) & 0x3f,
      confidentialityAlgorithm: (payload[32] ?? 0) & 0x3f,
    };
    this.forget(session.managedSystemId);
    while (this.byManagedId.size >= this.maxSessions) {
      const oldest = this.byManagedId.keys().next();
      if (oldest.done) break;
      this.forget(oldest.value);
    }
    this.byManagedId.set(session.managedSystemId, session);
    this.byRemoteId.set(session.remoteConsoleId, session);
  }

  /** RAKP Message 1: the console's random number, the role and user name that feed the session key. */
  private rakp1(payload: Buffer): void {
    if (payload.length < 28) return;
    const session = this.byManagedId.get(payload.readUInt32LE(4));
    const usernameLength = payload[27] ?? 0;
    if (!session || payload.length < 28 + usernameLength) return;
    session.rakp1 = {
      rm: Buffer.from(payload.subarray(8, 24)),
      role: payload[24] ?? 0,
      username: Buffer.from(payload.subarray(28, 28 + usernameLength)),
    };
    session.aesKey = undefined;
  }

  /** RAKP Message 2: the BMC's random number; with it SIK and K2 follow (IPMI 2.0 section 13.32). */
  private rakp2(payload: Buffer): void {
    if (payload.length < 24 || payload[1] !== 0) return;
    const session = this.byRemoteId.get(payload.readUInt32LE(4));
    if (!session?.rakp1 || session.authAlgorithm !== AUTH_RAKP_HMAC_SHA1) return;
    const password = this.passwordFor(session.rakp1.username.toString('latin1'));
    if (password === undefined) return;
    const rc = payload.subarray(8, 24);
    const { rm, role, username } = session.rakp1;
    // No BMC key (K_G) is configured, so the user's password keys the SIK. HMAC zero-pads keys,
    // which makes the password equal to its 20-byte zero-padded form.
    const sik = createHmac('sha1', Buffer.from(password, 'latin1'))
      .update(Buffer.concat([rm, rc, Buffer.from([role, username.length]), username]))
      .digest();
    const k2 = createHmac('sha1', sik).update(Buffer.alloc(20, 0x02)).digest();
    session.aesKey = k2.subarray(0, 16);
  }

  private ipmiPayload(parsed: SessionPacket, direction: 'request' | 'response'): SnoopedMessage | undefined {
    // Clients address the BMC by the managed system's session id, the BMC answers with the console's.
    const session =
      direction === 'request'
        ? this.byManagedId.get(parsed.sessionId)
        : this.byRemoteId.get(parsed.sessionId);
    if (!session) return undefined;
    const bytes = parsed.encrypted ? decrypt(session, parsed.payload) : parsed.payload;
    const message = bytes && parseIpmiLanMessage(bytes);
    if (!message) return undefined;
    if (direction === 'request' && message.netFn === NETFN_APP && message.cmd === CMD_CLOSE_SESSION) {
      this.forget(session.managedSystemId);
    }
    return { sessionKey: `v20:${session.managedSystemId}`, message };
  }

  private forget(managedSystemId: number): void {
    const session = this.byManagedId.get(managedSystemId);
    if (!session) return;
    this.byManagedId.delete(managedSystemId);
    this.byRemoteId.delete(session.remoteConsoleId);
  }
}

/** RMCP+ session header: auth type 6, payload type, [OEM IANA + id], session id, sequence, length. */
function parseSessionPacket(packet: Buffer): SessionPacket | undefined {
  const payloadTypeByte = packet[5];
  if (payloadTypeByte === undefined) return undefined;
  const payloadType = payloadTypeByte & 0x3f;
  const idAt = payloadType === PAYLOAD_OEM ? 12 : 6;
  if (packet.length < idAt + 10) return undefined;
  const length = packet.readUInt16LE(idAt + 8);
  const start = idAt + 10;
  if (packet.length < start + length) return undefined;
  return {
    payloadType,
    encrypted: (payloadTypeByte & 0x80) !== 0,
    sessionId: packet.readUInt32LE(idAt),
    payload: packet.subarray(start, start + length),
  };
}

/** AES-CBC-128 payload: 16-byte IV, then blocks whose plaintext ends with pad bytes and the pad length. */
function decrypt(session: RmcpPlusSession, payload: Buffer): Buffer | undefined {
  if (session.confidentialityAlgorithm === CONFIDENTIALITY_NONE) return payload;
  if (session.confidentialityAlgorithm !== CONFIDENTIALITY_AES_CBC_128 || !session.aesKey) return undefined;
  const ciphertext = payload.subarray(16);
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) return undefined;
  const decipher = createDecipheriv('aes-128-cbc', session.aesKey, payload.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const padLength = plain[plain.length - 1] ?? 0;
  if (padLength >= plain.length) return undefined;
  return plain.subarray(0, plain.length - 1 - padLength);
}
