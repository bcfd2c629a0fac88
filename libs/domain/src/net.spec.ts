import { describe, expect, it } from 'vitest';
import { formatIpv4, networkContains, networksOverlap, parseCidr, parseIpv4, parseIpv4Range } from './net';

describe('IPv4 helpers', () => {
  it('parses and formats addresses', () => {
    expect(parseIpv4('10.20.0.1')).toBe(10 * 2 ** 24 + 20 * 2 ** 16 + 1);
    expect(formatIpv4(parseIpv4('255.255.255.255') ?? 0)).toBe('255.255.255.255');
    for (const bad of ['256.0.0.1', '1.2.3', '01.2.3.4', '1.2.3.4 ', ''])
      expect(parseIpv4(bad)).toBeUndefined();
  });

  it('parses CIDRs and rejects host bits', () => {
    expect(parseCidr('10.96.0.0/12')).toEqual({
      base: parseIpv4('10.96.0.0'),
      prefix: 12,
      last: parseIpv4('10.111.255.255'),
    });
    expect(parseCidr('0.0.0.0/0')?.last).toBe(2 ** 32 - 1);
    expect(parseCidr('10.96.0.1/12')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });

  it('answers containment and overlap', () => {
    const a = parseCidr('10.244.0.0/16');
    const b = parseCidr('10.96.0.0/12');
    const c = parseCidr('10.244.255.0/24');
    if (!a || !b || !c) throw new Error('fixture');
    expect(networksOverlap(a, b)).toBe(false);
    expect(networksOverlap(a, c)).toBe(true);
    expect(networksOverlap(c, a)).toBe(true);
    expect(networkContains(a, parseIpv4('10.244.255.255') ?? 0)).toBe(true);
    expect(networkContains(a, parseIpv4('10.245.0.0') ?? 0)).toBe(false);
  });

  it('parses ranges in order only', () => {
    expect(parseIpv4Range('10.0.0.5-10.0.0.9')).toEqual({
      first: parseIpv4('10.0.0.5'),
      last: parseIpv4('10.0.0.9'),
    });
    expect(parseIpv4Range('10.0.0.9-10.0.0.5')).toBeUndefined();
    expect(parseIpv4Range('10.0.0.9')).toBeUndefined();
  });
});
