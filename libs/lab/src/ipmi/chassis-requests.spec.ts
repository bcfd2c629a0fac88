import { describe, expect, it } from 'vitest';
import { ChassisRequestTracker, decodeChassisRequest } from './chassis-requests';
import type { IpmiLanMessage } from './ipmi-message';

const request = (cmd: number, data: number[], seq = 1): IpmiLanMessage => ({
  netFn: 0x00,
  seq,
  cmd,
  data: Buffer.from(data),
});
const response = (cmd: number, seq = 1): IpmiLanMessage => ({
  netFn: 0x01,
  seq,
  cmd,
  data: Buffer.from([0]),
});

describe('decodeChassisRequest', () => {
  it('reads Chassis Control actions, boot flags and status requests', () => {
    expect(decodeChassisRequest(request(0x02, [0x02]))).toEqual({ kind: 'control', action: 'power-cycle' });
    expect(decodeChassisRequest(request(0x02, [0x03]))).toEqual({ kind: 'control', action: 'hard-reset' });
    expect(decodeChassisRequest(request(0x01, []))).toEqual({ kind: 'status' });
    // ipmitool `chassis bootdev pxe options=persistent`: parameter 5, flags 0xc0, device 0x04.
    expect(decodeChassisRequest(request(0x08, [0x05, 0xc0, 0x04, 0, 0, 0]))).toEqual({
      kind: 'boot-flags',
      valid: true,
      persistent: true,
      deviceSelector: 1,
    });
    expect(decodeChassisRequest(request(0x08, [0x05, 0x80, 0x08, 0, 0, 0]))).toMatchObject({
      persistent: false,
      deviceSelector: 2,
    });
  });

  it('ignores other parameters, commands and network functions', () => {
    expect(decodeChassisRequest(request(0x08, [0x04, 0x01, 0x1f]))).toBeUndefined();
    expect(decodeChassisRequest(request(0x02, [0x0e]))).toBeUndefined();
    expect(decodeChassisRequest({ ...request(0x01, []), netFn: 0x06 })).toBeUndefined();
  });
});

describe('ChassisRequestTracker', () => {
  it('reports the oldest unanswered request until its response passes', () => {
    const tracker = new ChassisRequestTracker();
    tracker.onRequest({ sessionKey: 'a', message: request(0x02, [0x02], 7) });
    tracker.onRequest({ sessionKey: 'b', message: request(0x01, [], 3) });
    expect(tracker.current()).toEqual({ kind: 'control', action: 'power-cycle' });
    // A response for another session or sequence number does not answer it.
    tracker.onResponse({ sessionKey: 'b', message: response(0x02, 7) });
    tracker.onResponse({ sessionKey: 'a', message: response(0x02, 8) });
    expect(tracker.current()).toEqual({ kind: 'control', action: 'power-cycle' });
    tracker.onResponse({ sessionKey: 'a', message: response(0x02, 7) });
    expect(tracker.current()).toEqual({ kind: 'status' });
    tracker.onResponse({ sessionKey: 'b', message: response(0x01, 3) });
    expect(tracker.current()).toBeUndefined();
  });

  it('forgets a request that was never answered', () => {
    let now = 1_000;
    const tracker = new ChassisRequestTracker(5_000, () => now);
    tracker.onRequest({ sessionKey: 'a', message: request(0x02, [0x00]) });
    now += 4_999;
    expect(tracker.current()).toEqual({ kind: 'control', action: 'power-down' });
    now += 2;
    expect(tracker.current()).toBeUndefined();
  });

  it('does not track requests it cannot use', () => {
    const tracker = new ChassisRequestTracker();
    tracker.onRequest({
      sessionKey: 'a',
      message: { netFn: 0x06, seq: 1, cmd: 0x01, data: Buffer.alloc(0) },
    });
    expect(tracker.current()).toBeUndefined();
  });
});
