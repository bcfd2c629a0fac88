import type { DataSource } from 'typeorm';
import { validateClusterSpec, type Machine } from '@plinth/domain';
import { createClusterRepository } from '../repositories/clusters';
import { createMachineRepository } from '../repositories/machines';

/** Test data: `machines` machines named `<cluster>-m<n>` and a cluster with all of them as control planes. */
export async function seedClusterAndMachines(
  dataSource: DataSource,
  options: { cluster: string; machines: number },
): Promise<{ clusterId: string; machineIds: string[] }> {
  const machines: Machine[] = Array.from({ length: options.machines }, (_, index) => ({
    name: `${options.cluster}-m${index + 1}`,
    bmc: { address: `redfish+http://127.0.0.1:${9000 + index}`, credentialsRef: 'secret/bmc' },
    bootMac: `52:54:00:${options.cluster.length.toString(16).padStart(2, '0')}:${(index >> 8).toString(16).padStart(2, '0')}:${(index & 0xff).toString(16).padStart(2, '0')}`,
    labels: {},
  }));
  const machineRepo = createMachineRepository(dataSource);
  await machineRepo.importMachines(machines);
  const spec = validateClusterSpec({
    name: options.cluster,
    machines: [{ names: machines.map((machine) => machine.name), role: 'control-plane' }],
    os: { family: 'ubuntu', version: '24.04' },
  });
  if (!spec.ok) throw new Error(`test cluster spec is invalid: ${JSON.stringify(spec.problems)}`);
  const { cluster } = await createClusterRepository(dataSource).apply(spec.value, 'test');
  const stored = await machineRepo.list();
  const ids = new Map(stored.map((machine) => [machine.name, machine.id]));
  return { clusterId: cluster.id, machineIds: machines.map((machine) => ids.get(machine.name) ?? '') };
}
