import { describe, expect, it } from 'vitest';
import { type MachineSelection } from './cluster-spec';
import { type Machine } from './machine';
import { resolveClusterMachines } from './resolve';
import { formatProblem } from './schema';

const machine = (name: string, labels: Record<string, string>): Machine => ({
  name,
  bmc: { address: `ipmi://${name}.bmc`, credentialsRef: 'secret/bmc' },
  bootMac: '52:54:00:00:00:01',
  labels,
});
const inventory = [
  machine('cp-1', { pool: 'control' }),
  machine('cp-2', { pool: 'control' }),
  machine('w-1', { pool: 'worker', zone: 'a' }),
  machine('w-2', { pool: 'worker', zone: 'b' }),
  machine('s-1', { pool: 'storage' }),
];
const resolve = (
  machines: MachineSelection[],
  critical: ('control-plane' | 'worker' | 'storage')[] = ['control-plane'],
) => resolveClusterMachines({ machines, rollout: { success: { minPercent: 100, critical } } }, inventory);
const problemsOf = (result: ReturnType<typeof resolve>): string[] =>
  result.ok ? [] : result.problems.map((p) => formatProblem(p));

describe('resolveClusterMachines', () => {
  it('assigns roles by labels and names, in inventory order', () => {
    const result = resolve([
      { select: { labels: { pool: 'worker' } }, role: 'worker' },
      { names: ['cp-2', 'cp-1'], role: 'control-plane' },
    ]);
    expect(problemsOf(result)).toEqual([]);
    if (!result.ok) return;
    expect(result.value.assignments.map((a) => [a.machine.name, a.role, a.selectedBy])).toEqual([
      ['cp-1', 'control-plane', [1]],
      ['cp-2', 'control-plane', [1]],
      ['w-1', 'worker', [0]],
      ['w-2', 'worker', [0]],
    ]);
    expect(result.value.byRole).toEqual({
      'control-plane': ['cp-1', 'cp-2'],
      worker: ['w-1', 'w-2'],
      storage: [],
    });
  });

  it('requires every selector label to match', () => {
    const result = resolve([
      { names: ['cp-1'], role: 'control-plane' },
      { select: { labels: { pool: 'worker', zone: 'b' } }, role: 'worker' },
    ]);
    expect(result.ok && result.value.byRole.worker).toEqual(['w-2']);
  });

  it('accepts a machine selected twice with the same role', () => {
    const result = resolve([
      { select: { labels: { pool: 'control' } }, role: 'control-plane' },
      { names: ['cp-1'], role: 'control-plane' },
    ]);
    expect(result.ok && result.value.assignments[0]?.selectedBy).toEqual([0, 1]);
  });

  it('reports every problem at once', () => {
    const result = resolve(
      [
        { names: ['cp-1', 'cp-9'], role: 'worker' },
        { select: { labels: { pool: 'worker' } }, role: 'worker' },
        { names: ['w-1'], role: 'storage' },
        { select: { labels: { pool: 'gpu' } }, role: 'storage' },
      ],
      ['control-plane', 'storage', 'worker'],
    );
    expect(problemsOf(result)).toEqual([
      'machines[0].names[1]: no machine named "cp-9" in the inventory',
      'machines[2]: machine "w-1" is already a worker (machines[1]); a machine has one role',
      'machines[3].select: matches no machine in the inventory',
      'machines: no machine has role control-plane; a cluster needs at least one',
      'rollout.success.critical[1]: no machine has role storage',
    ]);
  });
});
