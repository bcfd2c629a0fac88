import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine } from '@plinth/domain';
import { startLab } from './start-lab';
import type { Lab } from './lab-types';

/** examples/inventory.yaml is what `plinth lab up --machines 6` exports, so the examples deploy on the lab. */
describe('examples/inventory.yaml', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({
      machines: 6,
      bmcPort: 0,
      sshPort: 0,
      controlPort: 0,
      bmcNetwork: '127.81',
      sshNetwork: '127.82',
    });
  });
  afterAll(async () => lab?.close());

  it('lists the default six-machine lab (all but the addresses, which this test moved)', () => {
    const example = parse(
      readFileSync(resolve(__dirname, '../../../../examples/inventory.yaml'), 'utf8'),
    ) as {
      machines: Machine[];
    };
    const withoutAddress = (machine: Machine) => ({
      ...machine,
      bmc: { ...machine.bmc, address: undefined },
    });
    expect(example.machines.map(withoutAddress)).toEqual(lab.inventory().machines.map(withoutAddress));
    expect(example.machines.map((m) => m.bmc.address)).toEqual(
      [1, 2, 3, 4, 5, 6].map((i) => `redfish+http://127.1.0.${i}:8000`),
    );
  });
});
