import { describe, expect, it } from 'vitest';
import { mergeParams } from './params';

describe('mergeParams precedence: global < profile < cluster < machine', () => {
  // Each row: which layers set `x`, and which value wins.
  const table: [
    string,
    Partial<Record<'global' | 'profile' | 'cluster' | 'machine', number>>,
    number,
    string,
  ][] = [
    ['global only', { global: 1 }, 1, 'global'],
    ['profile over global', { global: 1, profile: 2 }, 2, 'profile'],
    ['cluster over profile', { global: 1, profile: 2, cluster: 3 }, 3, 'cluster'],
    ['machine over all', { global: 1, profile: 2, cluster: 3, machine: 4 }, 4, 'machine'],
    ['machine over global, no middle layers', { global: 1, machine: 4 }, 4, 'machine'],
    ['cluster over global, profile absent', { global: 1, cluster: 3 }, 3, 'cluster'],
    ['profile alone', { profile: 2 }, 2, 'profile'],
  ];
  it.each(table)('%s', (_name, values, winner, source) => {
    const layers = Object.fromEntries(Object.entries(values).map(([layer, x]) => [layer, { x }]));
    const merged = mergeParams(layers);
    expect(merged.params).toEqual({ x: winner });
    expect(merged.sources).toEqual({ x: source });
  });

  it('merges objects recursively and records every contributing layer', () => {
    const merged = mergeParams({
      global: { kernel: { args: ['quiet'], sysctl: { 'vm.swappiness': 60, 'net.core.somaxconn': 1024 } } },
      profile: { kernel: { sysctl: { 'vm.swappiness': 10 } } },
      machine: { kernel: { sysctl: { 'kernel.pid_max': 4194304 } } },
    });
    expect(merged.params).toEqual({
      kernel: {
        args: ['quiet'],
        sysctl: { 'vm.swappiness': 10, 'net.core.somaxconn': 1024, 'kernel.pid_max': 4194304 },
      },
    });
    expect(merged.sources).toEqual({ kernel: 'machine' });
    expect(merged.contributors).toEqual({ kernel: ['global', 'profile', 'machine'] });
  });

  it('replaces arrays instead of concatenating them', () => {
    const merged = mergeParams({ global: { ntp: ['a', 'b'] }, cluster: { ntp: ['c'] } });
    expect(merged.params).toEqual({ ntp: ['c'] });
    expect(merged.contributors).toEqual({ ntp: ['cluster'] });
  });

  it('replaces an object with a scalar and a scalar with an object', () => {
    expect(mergeParams({ global: { a: { b: 1 } }, cluster: { a: 'flat' } }).params).toEqual({ a: 'flat' });
    const merged = mergeParams({ global: { a: 'flat' }, cluster: { a: { b: 1 } } });
    expect(merged.params).toEqual({ a: { b: 1 } });
    expect(merged.contributors).toEqual({ a: ['cluster'] });
  });

  it('deletes keys with null at any depth, and never returns null', () => {
    const merged = mergeParams({
      global: { sshKeys: ['secret/ops'], proxy: { http: 'p:3128', https: 'p:3128' }, keep: 1 },
      profile: { proxy: { https: null } },
      machine: { sshKeys: null, fresh: { a: null, b: 2 } },
    });
    expect(merged.params).toEqual({ proxy: { http: 'p:3128' }, keep: 1, fresh: { b: 2 } });
    expect(merged.sources).toEqual({ proxy: 'profile', keep: 'global', fresh: 'machine' });
    expect('sshKeys' in merged.sources).toBe(false);
  });

  it('lets a higher layer restore a key a lower layer deleted', () => {
    const merged = mergeParams({ global: { a: 1 }, profile: { a: null }, cluster: { a: 3 } });
    expect(merged.params).toEqual({ a: 3 });
    expect(merged.sources).toEqual({ a: 'cluster' });
  });

  it('ignores undefined values and absent layers', () => {
    expect(mergeParams({ global: { a: 1 }, cluster: { a: undefined }, machine: undefined }).params).toEqual({
      a: 1,
    });
    expect(mergeParams({})).toEqual({ params: {}, sources: {}, contributors: {} });
  });

  it('does not modify or share its inputs', () => {
    const global = { nested: { list: [1, 2] } };
    const cluster = { nested: { other: true } };
    const merged = mergeParams({ global, cluster });
    (merged.params['nested'] as { list: number[] }).list.push(3);
    expect(global).toEqual({ nested: { list: [1, 2] } });
    expect(cluster).toEqual({ nested: { other: true } });
  });

  it('keeps __proto__ keys as data, without polluting prototypes', () => {
    const merged = mergeParams({
      machine: JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>,
    });
    expect(Object.keys(merged.params)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
