import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { designClusterYaml, designInventoryYaml } from './fixtures/design-example';
import { parseSpecDocument } from './parse';
import { validateClusterSpec, validateInventory } from './validate';

/** Small deterministic PRNG (mulberry32) so a failure reproduces from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const junk = (next: () => number, depth = 0): unknown => {
  const pick = Math.floor(next() * 10);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return Math.floor(next() * 10000) - 5000;
    case 3:
      return next() * 1e20;
    case 4:
      return ['', 'x', '10.0.0.0/8', 'pool/mgmt', 'all', '__proto__', '52:54:00:00:01:01', 'redfish://a'][
        Math.floor(next() * 8)
      ];
    case 5:
      return depth > 3 ? [] : Array.from({ length: Math.floor(next() * 4) }, () => junk(next, depth + 1));
    case 6:
      return depth > 3
        ? {}
        : Object.fromEntries(
            Array.from({ length: Math.floor(next() * 4) }, (_, i) => [`k${i}`, junk(next, depth + 1)]),
          );
    default:
      return undefined; // delete
  }
};

/** Replaces or deletes a random node of `doc` (in place) with junk. */
function mutate(doc: unknown, next: () => number): void {
  let node = doc as Record<string, unknown>;
  for (let step = 0; step < 6; step++) {
    const keys = Object.keys(node);
    if (keys.length === 0) return;
    const key = keys[Math.floor(next() * keys.length)] ?? '';
    const child = node[key];
    if (typeof child !== 'object' || child === null || next() < 0.3) {
      const replacement = junk(next);
      if (replacement === undefined) delete node[key];
      else node[key] = replacement;
      return;
    }
    node = child as Record<string, unknown>;
  }
}

const load = (text: string): unknown => {
  const result = parseSpecDocument(text);
  if (!result.ok) throw new Error('fixture');
  return result.value;
};

describe('validators on random damage (never throw, always explain)', () => {
  it.each([
    ['cluster', designClusterYaml, validateClusterSpec],
    ['inventory', designInventoryYaml, validateInventory],
  ] as const)('%s: 3,000 mutated documents', (_name, text, validate) => {
    const next = random(20261123);
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const doc = load(text);
      const mutations = 1 + Math.floor(next() * 3);
      for (let m = 0; m < mutations; m++) mutate(doc, next);
      const result = validate(doc);
      if (!result.ok) {
        rejected++;
        expect(result.problems.length).toBeGreaterThan(0);
        for (const problem of result.problems) {
          expect(typeof problem.path).toBe('string');
          expect(problem.message.length).toBeGreaterThan(0);
        }
      }
    }
    expect(rejected).toBeGreaterThan(1000);
  });

  it('a valid result re-validates to itself (defaults are idempotent)', () => {
    const first = validateClusterSpec(load(designClusterYaml));
    if (!first.ok) throw new Error('fixture');
    expect(validateClusterSpec(first.value)).toEqual(first);
  });

  it('rejects free-form values nested deeper than 32 levels', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const spec = load(designClusterYaml) as Record<string, unknown>;
    spec['params'] = { deep };
    const result = validateClusterSpec(spec);
    expect(result.ok ? [] : result.problems).toEqual([
      { path: 'params.deep', message: 'is nested too deeply (more than 32 levels)' },
    ]);
  });
});

describe('workflow safety', () => {
  it('sources import only each other and the pure-JS yaml package (no Node built-ins, no I/O)', () => {
    const sources = readdirSync(__dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    expect(sources.length).toBeGreaterThan(5);
    for (const file of sources) {
      const text = readFileSync(join(__dirname, file), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      for (const spec of imports)
        expect([file, spec]).toSatisfy(([, s]: string[]) => s!.startsWith('./') || s === 'yaml');
    }
  });
});
