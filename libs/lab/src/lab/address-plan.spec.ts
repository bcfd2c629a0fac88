import { describe, expect, it } from 'vitest';
import { machineAddress, machineOctets, MAX_ADDRESSED_MACHINES, parseLoopbackNetwork } from './address-plan';

describe('lab address plan', () => {
  it('numbers machines from 127.x.0.1, 254 per /24, never .0 or .255', () => {
    expect(machineAddress('127.1', 1)).toBe('127.1.0.1');
    expect(machineAddress('127.1', 254)).toBe('127.1.0.254');
    expect(machineAddress('127.1', 255)).toBe('127.1.1.1');
    expect(machineAddress('127.2', 1000)).toBe('127.2.3.238');
    expect(machineOctets(MAX_ADDRESSED_MACHINES)).toEqual([254, 254]);
  });

  it('gives every machine of the largest lab its own address', () => {
    const seen = new Set<string>();
    const unusable: string[] = [];
    for (let index = 1; index <= MAX_ADDRESSED_MACHINES; index++) {
      const [hi, lo] = machineOctets(index);
      if (lo === 0 || lo === 255 || hi === 255) unusable.push(`${index} → ${hi}.${lo}`);
      seen.add(`${hi}.${lo}`);
    }
    expect(unusable).toEqual([]);
    expect(seen.size).toBe(MAX_ADDRESSED_MACHINES);
  });

  it('refuses machine numbers outside the plan', () => {
    expect(() => machineOctets(0)).toThrow(/outside 1\.\./);
    expect(() => machineOctets(MAX_ADDRESSED_MACHINES + 1)).toThrow(/outside/);
    expect(() => machineOctets(1.5)).toThrow(/outside/);
  });

  it('accepts only loopback /16 prefixes', () => {
    expect(parseLoopbackNetwork('127.1')).toBe('127.1');
    expect(parseLoopbackNetwork('127.255')).toBe('127.255');
    for (const bad of ['10.1', '127.256', '127', '127.1.2', 'localhost']) {
      expect(() => parseLoopbackNetwork(bad), bad).toThrow(/not a loopback network/);
    }
  });
});
