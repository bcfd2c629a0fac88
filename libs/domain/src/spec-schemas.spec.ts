import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { designClusterYaml, designInventoryYaml } from './fixtures/design-example';
import { parseSpecDocument } from './parse';
import { clusterSpecJsonSchema, inventoryJsonSchema } from './spec-schemas';

/** Test documents are mutated freely to build invalid input; the validator under test is the type check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

const load = (text: string): unknown => {
  const result = parseSpecDocument(text);
  if (!result.ok) throw new Error('fixture does not parse');
  return result.value;
};

// ajv is present in node_modules (a transitive dependency); it is the independent check that the
// generated schemas are valid draft 2020-12 and agree with the validator on the examples.
const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });

describe('generated JSON Schemas', () => {
  it('are valid draft 2020-12 documents', () => {
    expect(clusterSpecJsonSchema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(ajv.validateSchema(clusterSpecJsonSchema)).toBe(true);
    expect(ajv.validateSchema(inventoryJsonSchema)).toBe(true);
  });

  it('accept the DESIGN.md examples', () => {
    const cluster = ajv.compile(clusterSpecJsonSchema);
    const inventory = ajv.compile(inventoryJsonSchema);
    expect(cluster(load(designClusterYaml)), JSON.stringify(cluster.errors)).toBe(true);
    expect(inventory(load(designInventoryYaml)), JSON.stringify(inventory.errors)).toBe(true);
  });

  it('reject what the validator rejects structurally (unknown field, range, enum, pattern)', () => {
    const cluster = ajv.compile(clusterSpecJsonSchema);
    const base = load(designClusterYaml) as Record<string, Doc>;
    const variants = [
      { ...base, nmae: 'x' },
      { ...base, network: { ...base['network'], vlans: [{ id: 5000, on: 'bond0' }] } },
      { ...base, os: { family: 'centos', version: '9' } },
      { ...base, raid: { worker: { os: { level: 'raid1', drives: 'smalest-2' } } } },
      { ...base, kubernetes: { ...base['kubernetes'], podCidr: 'ten' } },
    ];
    for (const variant of variants) expect(cluster(variant)).toBe(false);
  });

  it('carry descriptions and defaults for editors', () => {
    const properties = clusterSpecJsonSchema['properties'] as Record<string, Doc>;
    expect(properties['rollout'].properties.maxParallel).toMatchObject({
      type: 'integer',
      minimum: 1,
      default: 20,
    });
    expect(properties['os'].properties.family.enum).toEqual(['ubuntu', 'debian', 'rocky', 'rhel']);
    expect(clusterSpecJsonSchema['required']).toEqual(['name', 'machines', 'os']);
  });
});
