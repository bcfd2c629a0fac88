import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseSpecDocument, validateClusterSpec, validateInventory } from '@plinth/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/test-api';

const example = parseSpecDocument(
  readFileSync(resolve(__dirname, '../../../../examples/cluster.yaml'), 'utf8'),
  'yaml',
);
if (!example.ok) throw new Error('examples/cluster.yaml does not parse');

/** Any JSON value, plus the example spec with random subtrees replaced: most of the input space and the near-valid edge. */
const jsonValue = fc.jsonValue({ maxDepth: 4 });
const mutatedExample = fc
  .tuple(
    fc.array(
      fc.constantFrom(
        'name',
        'machines',
        'os',
        'raid',
        'network',
        'kubernetes',
        'openstack',
        'rollout',
        'params',
        'extra',
      ),
    ),
    jsonValue,
  )
  .map(([keys, value]) => {
    const spec = structuredClone(example.value) as Record<string, unknown>;
    for (const key of keys) spec[key] = value;
    return spec;
  });
const payload = fc.oneof(jsonValue, mutatedExample);

describe('spec validation under random input', () => {
  it('10,000 random payloads: validation always answers with a value or path-named problems, never throws', () => {
    fc.assert(
      fc.property(payload, (input) => {
        for (const result of [validateClusterSpec(input), validateInventory(input)]) {
          if (!result.ok) {
            expect(result.problems.length).toBeGreaterThan(0);
            for (const p of result.problems) expect(typeof p.message).toBe('string');
          }
        }
      }),
      { numRuns: 10_000, seed: 20261123 },
    );
  });

  describe('over HTTP', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi();
    });
    afterAll(async () => api.close());

    it('1,000 random bodies to POST /clusters and /machines/import: never a 500, always { code, message }', async () => {
      const bodies = fc.sample(payload, { numRuns: 500, seed: 7 });
      for (const body of bodies) {
        for (const path of ['/clusters', '/machines/import']) {
          const response = await api.call('POST', path, { token: api.tokens.write, body });
          expect(response.status).toBeLessThan(500);
          if (response.status >= 400) {
            const error = (await response.json()) as { code: unknown; message: unknown };
            expect(typeof error.code).toBe('string');
            expect(typeof error.message).toBe('string');
          } else {
            await response.body?.cancel();
          }
        }
      }
    });
  });
});
