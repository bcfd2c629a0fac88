/**
 * Which inventory machines a cluster uses, and in which role.
 */
import { MACHINE_ROLES, type ClusterSpec, type MachineRole } from './cluster-spec';
import { type Machine } from './machine';
import { indexPath, type Problem } from './schema';

/** One machine with the role it plays and the `machines[i]` entries that selected it. */
export interface MachineAssignment {
  /** The machine. */
  machine: Machine;
  /** Its role. */
  role: MachineRole;
  /** Indices into `spec.machines` of the entries that selected it (several when they agree). */
  selectedBy: number[];
}

/** The resolved membership of a cluster. */
export interface ClusterMembership {
  /** Assignments in inventory order. */
  assignments: MachineAssignment[];
  /** Machine names per role, in inventory order; every role is present (possibly empty). */
  byRole: Record<MachineRole, string[]>;
}

/** Result of {@link resolveClusterMachines}: membership, or every problem (paths into the spec). */
export type ResolveResult = { ok: true; value: ClusterMembership } | { ok: false; problems: Problem[] };

const matchesLabels = (machine: Machine, labels: Record<string, string>): boolean =>
  Object.entries(labels).every(([key, value]) => machine.labels[key] === value);

/**
 * Resolves the spec's machine entries against the inventory. A machine may be selected by
 * several entries only when they give the same role. Problems (all reported at once):
 * - `machines[i].names[j]: no machine named "x" in the inventory`
 * - `machines[i].select: matches no machine in the inventory` (almost always a typo in a label)
 * - `machines[i]: machine "x" is already a <role> (machines[k]); a machine has one role`
 * - `machines: no machine has role control-plane` (a cluster needs one)
 * - `rollout.success.critical[j]: no machine has role <role>`
 */
export function resolveClusterMachines(
  spec: Pick<ClusterSpec, 'machines'> & { rollout?: Pick<ClusterSpec['rollout'], 'success'> },
  machines: readonly Machine[],
): ResolveResult {
  const problems: Problem[] = [];
  const byName = new Map(machines.map((m) => [m.name, m]));
  const assigned = new Map<string, MachineAssignment>();

  spec.machines.forEach((selection, i) => {
    const path = indexPath('machines', i);
    const selected: Machine[] = [];
    if (selection.names) {
      selection.names.forEach((name, j) => {
        const machine = byName.get(name);
        if (machine) selected.push(machine);
        else
          problems.push({
            path: `${path}.${indexPath('names', j)}`,
            message: `no machine named "${name}" in the inventory`,
          });
      });
    }
    if (selection.select) {
      const labels = selection.select.labels;
      const matched = machines.filter((m) => matchesLabels(m, labels));
      if (matched.length === 0)
        problems.push({ path: `${path}.select`, message: 'matches no machine in the inventory' });
      selected.push(...matched);
    }
    for (const machine of selected) {
      const existing = assigned.get(machine.name);
      if (existing === undefined) {
        assigned.set(machine.name, { machine, role: selection.role, selectedBy: [i] });
      } else if (existing.role === selection.role) {
        if (!existing.selectedBy.includes(i)) existing.selectedBy.push(i);
      } else {
        problems.push({
          path,
          message: `machine "${machine.name}" is already a ${existing.role} (${indexPath('machines', existing.selectedBy[0] ?? 0)}); a machine has one role`,
        });
      }
    }
  });

  const assignments = machines.flatMap((m) => {
    const assignment = assigned.get(m.name);
    return assignment ? [assignment] : [];
  });
  const byRole = Object.fromEntries(MACHINE_ROLES.map((role) => [role, [] as string[]])) as Record<
    MachineRole,
    string[]
  >;
  for (const assignment of assignments) byRole[assignment.role].push(assignment.machine.name);

  if (byRole['control-plane'].length === 0) {
    problems.push({
      path: 'machines',
      message: 'no machine has role control-plane; a cluster needs at least one',
    });
  }
  (spec.rollout?.success.critical ?? []).forEach((role, j) => {
    if (byRole[role].length === 0 && role !== 'control-plane') {
      problems.push({
        path: indexPath('rollout.success.critical', j),
        message: `no machine has role ${role}`,
      });
    }
  });
  return problems.length === 0 ? { ok: true, value: { assignments, byRole } } : { ok: false, problems };
}
