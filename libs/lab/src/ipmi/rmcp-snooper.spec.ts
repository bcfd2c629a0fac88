import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeIpmiLanRequest } from './ipmi-message';
import { RmcpSnooper } from './rmcp-snooper';

/**
 * Builds RMCP+ packets as IPMI 2.0 section 13 lays them out, playing both ends of a `-C 3` session
 * (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128). The slow spec checks the same code against ipmitool
 * and ipmi_sim; this one pins the byte layout and the failure cases.
 */
const REMOTE_ID = 0xa0a1a2a3;
const MANAGED_ID = 0x0b0c0d0e;

function rmcpPlus(payloadType: number, sessionId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  Buffer.from([0x06, 0x00, 0xff, 0x07, 0x06, payloadType]).copy(header);
  header.writeUInt32LE(sessionId, 6);
  header.writeUInt32LE(sessionId === 0 ? 0 : 1, 10);
  header.writeUInt16LE(payload.length, 14);
  // Integrity trailer bytes are not read by the snooper; a few stand-ins keep the packet realistic.
  return Buffer.concat([header, payload, Buffer.from([0xff, 0xff, 0x02, 0x07]), randomBytes(12)]);
}

function openSessionResponse(): Buffer {
  const payload = Buffer.alloc(36);
  payload[0] = 1; // tag
  payload[1] = 0; // status: no errors
  payload[2] = 4; // administrator
  payload.writeUInt32LE(REMOTE_ID, 4);
  payload.writeUInt32LE(MANAGED_ID, 8);
  Buffer.from([0x00, 0, 0, 8, 0x01, 0, 0, 0]).copy(payload, 12); // RAKP-HMAC-SHA1
  Buffer.from([0x01, 0, 0, 8, 0x01, 0, 0, 0]).copy(payload, 20); // HMAC-SHA1-96
  Buffer.from([0x02, 0, 0, 8, 0x01, 0, 0, 0]).copy(payload, 28); // AES-CBC-128
  return rmcpPlus(0x11, 0, payload);
}

function rakp1(rm: Buffer, username: string): Buffer {
  const payload = Buffer.alloc(28 + username.length);
  payload.writeUInt32LE(MANAGED_ID, 4);
  rm.copy(payload, 8);
  payload[24] = 0x14; // administrator, name-only lookup
  payload[27] = username.length;
  payload.write(username, 28, 'latin1');
  return rmcpPlus(0x12, 0, payload);
}

function rakp2(rc: Buffer): Buffer {
  const payload = Buffer.alloc(60);
  payload.writeUInt32LE(REMOTE_ID, 4);
  rc.copy(payload, 8);
  return rmcpPlus(0x13, 0, payload);
}

function aesKey(password: string, rm: Buffer, rc: Buffer, username: string): Buffer {
  const sik = createHmac('sha1', password)
    .update(Buffer.concat([rm, rc, Buffer.from([0x14, username.length]), Buffer.from(username, 'latin1')]))
    .digest();
  return createHmac('sha1', sik).update(Buffer.alloc(20, 2)).digest().subarray(0, 16);
}

function encrypted(key: Buffer, message: Buffer, sessionId: number): Buffer {
  const padLength = (16 - ((message.length + 1) % 16)) % 16;
  const pad = Buffer.from(Array.from({ length: padLength }, (_, index) => index + 1));
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-128-cbc', key, iv);
  cipher.setAutoPadding(false);
  const body = Buffer.concat([message, pad, Buffer.from([padLength])]);
  return rmcpPlus(0xc0, sessionId, Buffer.concat([iv, cipher.update(body), cipher.final()]));
}

function handshake(snooper: RmcpSnooper, username = 'admin'): { rm: Buffer; rc: Buffer } {
  const rm = randomBytes(16);
  const rc = randomBytes(16);
  expect(snooper.response(openSessionResponse())).toBeUndefined();
  expect(snooper.request(rakp1(rm, username))).toBeUndefined();
  expect(snooper.response(rakp2(rc))).toBeUndefined();
  return { rm, rc };
}

const powerCycle = encodeIpmiLanRequest({ netFn: 0x00, seq: 9, cmd: 0x02, data: Buffer.from([0x02]) });

describe('RmcpSnooper', () => {
  it('decrypts requests and responses of an AES session whose password it knows', () => {
    const snooper = new RmcpSnooper((user) => (user === 'admin' ? 'secret' : undefined));
    const { rm, rc } = handshake(snooper);
    const key = aesKey('secret', rm, rc, 'admin');
    expect(snooper.request(encrypted(key, powerCycle, MANAGED_ID))).toEqual({
      sessionKey: `v20:${MANAGED_ID}`,
      message: { netFn: 0x00, seq: 9, cmd: 0x02, data: Buffer.from([0x02]) },
    });
    // The BMC's answer travels under the console's session id; same session key.
    const answer = Buffer.from([0x81, 0x04, 0x7b, 0x20, 0x24, 0x02, 0x00, 0xba]);
    expect(snooper.response(encrypted(key, answer, REMOTE_ID))).toEqual({
      sessionKey: `v20:${MANAGED_ID}`,
      message: { netFn: 0x01, seq: 9, cmd: 0x02, data: Buffer.from([0x00]) },
    });
  });

  it('leaves sessions of unknown users or wrong keys opaque', () => {
    const unknownUser = new RmcpSnooper(() => undefined);
    const { rm, rc } = handshake(unknownUser);
    expect(
      unknownUser.request(encrypted(aesKey('secret', rm, rc, 'admin'), powerCycle, MANAGED_ID)),
    ).toBeUndefined();

    const snooper = new RmcpSnooper(() => 'secret');
    const other = handshake(snooper);
    expect(
      snooper.request(encrypted(aesKey('guess', other.rm, other.rc, 'admin'), powerCycle, MANAGED_ID)),
    ).toBeUndefined();
  });

  it('reads IPMI 1.5 session messages, which are never encrypted', () => {
    const snooper = new RmcpSnooper(() => undefined);
    const header = Buffer.from([0x06, 0x00, 0xff, 0x07, 0x02, 1, 0, 0, 0, 0x44, 0x33, 0x22, 0x11]);
    const packet = Buffer.concat([header, randomBytes(16), Buffer.from([powerCycle.length]), powerCycle]);
    expect(snooper.request(packet)).toEqual({
      sessionKey: `v15:${0x11223344}`,
      message: { netFn: 0x00, seq: 9, cmd: 0x02, data: Buffer.from([0x02]) },
    });
  });

  it('forgets a session once it is closed and keeps at most maxSessions', () => {
    const snooper = new RmcpSnooper(() => 'secret', 1);
    const { rm, rc } = handshake(snooper);
    const key = aesKey('secret', rm, rc, 'admin');
    expect(snooper.sessionCount).toBe(1);
    const close = encodeIpmiLanRequest({ netFn: 0x06, seq: 10, cmd: 0x3c, data: Buffer.alloc(4) });
    expect(snooper.request(encrypted(key, close, MANAGED_ID))?.message.cmd).toBe(0x3c);
    expect(snooper.sessionCount).toBe(0);
    expect(snooper.request(encrypted(key, powerCycle, MANAGED_ID))).toBeUndefined();
  });

  it('never throws on malformed packets', () => {
    const snooper = new RmcpSnooper(() => 'secret');
    handshake(snooper);
    const samples = [
      Buffer.alloc(0),
      Buffer.from([0x06, 0x00, 0xff, 0x07]),
      Buffer.from([0x06, 0x00, 0xff, 0x07, 0x06, 0xc0, 1, 2]),
      rmcpPlus(0xc0, MANAGED_ID, randomBytes(23)),
      rmcpPlus(0xc0, MANAGED_ID, randomBytes(48)),
      rmcpPlus(0x12, 0, randomBytes(5)),
      rmcpPlus(0x11, 0, randomBytes(10)),
      randomBytes(200),
    ];
    for (const packet of samples) {
      expect(() => snooper.request(packet)).not.toThrow();
      expect(() => snooper.response(packet)).not.toThrow();
    }
  });
});
