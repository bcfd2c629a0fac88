import { describe, expect, it } from 'vitest';
import { defaultValues, mergeValues } from './openstack-activities';

describe('Helm values', () => {
  it('merges the spec over Plinth defaults as Helm does: maps deeply, everything else replaced', () => {
    const merged = mergeValues(
      {
        ...defaultValues('nova'),
        conf: { nova: { DEFAULT: { debug: false, cpu_allocation_ratio: 1 } } },
        list: [1, 2],
      },
      { conf: { nova: { DEFAULT: { cpu_allocation_ratio: 4 } } }, list: [3] },
    );
    expect(merged).toEqual({
      release_group: 'nova',
      conf: { nova: { DEFAULT: { debug: false, cpu_allocation_ratio: 4 } } },
      list: [3],
    });
  });
});
