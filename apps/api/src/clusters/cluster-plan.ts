import {
  installerKindFor,
  mergeParams,
  resolveClusterMachines,
  type ClusterSpec,
  type InstallerKind,
  type Machine,
  type MachineRole,
  type ParamLayer,
} from '@plinth/domain';

/** What deploying a spec would do, machine by machine: the preview shown before a run. */
export interface ClusterPlan {
  installer: InstallerKind;
  machines: {
    name: string;
    role: MachineRole;
    bmcAddress: string;
    bootMac: string;
    /** Merged params (global → profile → cluster → machine) and which layer set each key. */
    params: Record<string, unknown>;
    paramSources: Record<string, ParamLayer>;
  }[];
  byRole: Record<MachineRole, string[]>;
  /** The run's phases in order, in operator words. */
  phases: string[];
}

/**
 * Plans `spec` against the inventory. Problems (unknown machines, conflicting roles, no control
 * plane…) come back with their paths instead of a plan.
 */
export function planCluster(
  spec: ClusterSpec,
  inventory: readonly Machine[],
  profileParams: Record<string, unknown> | undefined,
): { ok: true; plan: ClusterPlan } | { ok: false; problems: { path: string; message: string }[] } {
  const membership = resolveClusterMachines(spec, inventory);
  if (!membership.ok) return { ok: false, problems: membership.problems };
  const machines = membership.value.assignments.map(({ machine, role }) => {
    const merged = mergeParams({ profile: profileParams, cluster: spec.params, machine: machine.params });
    return {
      name: machine.name,
      role,
      bmcAddress: machine.bmc.address,
      bootMac: machine.bootMac,
      params: merged.params,
      paramSources: merged.sources,
    };
  });
  const gates = new Set(spec.rollout.approve);
  const phases = [
    `provision ${machines.length} machine(s): discover → raid → ${installerKindFor(spec.os.family)} install of ${spec.os.family} ${spec.os.version} → network, at most ${spec.rollout.maxParallel} at a time; succeed when ≥ ${spec.rollout.success.minPercent}% succeed and every ${spec.rollout.success.critical.join(', ') || 'critical'} machine does`,
    ...(spec.kubernetes
      ? [
          ...(gates.has('before-kubernetes') ? ['wait for approval'] : []),
          `install Kubernetes ${spec.kubernetes.version} (${spec.kubernetes.cni})`,
        ]
      : []),
    ...(spec.openstack.enabled
      ? [
          ...(gates.has('before-openstack') ? ['wait for approval'] : []),
          `deploy OpenStack ${spec.openstack.release ?? ''} via Helm: ${spec.openstack.services.join(', ')}`,
        ]
      : []),
  ];
  return {
    ok: true,
    plan: { installer: installerKindFor(spec.os.family), machines, byRole: membership.value.byRole, phases },
  };
}
