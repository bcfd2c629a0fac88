/**
 * The deployment workflow's public contract, shared by the API (which starts, signals and queries
 * runs) and the workflows (which honour it). Everything here crosses Temporal history, so it holds
 * names and references only — never a secret value.
 */

/** Temporal workflow type of a cluster deployment. */
export const DEPLOY_WORKFLOW_TYPE = 'deployCluster';

/** The roles a machine goes through, in order, during a deployment. */
export const MACHINE_ROLES_IN_ORDER = ['discover', 'raid', 'provision-os', 'network'] as const;
export type MachineRoleStep = (typeof MACHINE_ROLES_IN_ORDER)[number];

/** Cluster-wide steps after the machines are provisioned. */
export const CLUSTER_STEPS_IN_ORDER = ['kubernetes', 'openstack'] as const;
export type ClusterStep = (typeof CLUSTER_STEPS_IN_ORDER)[number];

import type { ApprovalGate } from '@plinth/domain';

/** Approval gates a spec may declare in `rollout.approve` (see the domain's `APPROVAL_GATES`). */
export type { ApprovalGate };

/**
 * Temporal workflow id of the `sequence`-th run of a cluster: `deploy/<clusterId>/<sequence>`.
 * Deterministic so a repeated launch (same idempotency key) reaches the same workflow.
 */
export function deploymentWorkflowId(clusterId: string, sequence: number): string {
  return `deploy/${clusterId}/${sequence}`;
}

/** One machine of the run, as planned at launch. */
export interface PlannedMachine {
  machineId: string;
  name: string;
  role: 'control-plane' | 'worker' | 'storage';
}

/** Input of {@link DEPLOY_WORKFLOW_TYPE}: the run as planned by the API at launch. */
export interface DeploymentInput {
  /** Plinth run id (database `runs.id`). */
  runId: string;
  clusterId: string;
  clusterName: string;
  /** The cluster revision this run deploys; later revisions do not change a running deployment. */
  revision: number;
  requestedBy: string;
  machines: PlannedMachine[];
  rollout: {
    maxParallel: number;
    /** The run succeeds when at least this percentage of machines succeed… */
    minPercent: number;
    /** …and every machine of these roles does. */
    criticalRoles: PlannedMachine['role'][];
    /** Gates that wait for an `approve` signal. */
    approvals: ApprovalGate[];
  };
  /** Cluster-wide steps this spec asks for (Kubernetes and/or OpenStack). */
  clusterSteps: ClusterStep[];
}

/** Where a run stands. `awaiting-approval` and `paused` are waits an operator ends. */
export type DeploymentPhase =
  | 'starting'
  | 'awaiting-approval'
  | 'provisioning'
  | 'kubernetes'
  | 'openstack'
  | 'succeeded'
  | 'failed'
  | 'canceled';

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** One role of one machine (or one cluster step). */
export interface StepProgress {
  status: StepStatus;
  attempts: number;
  /** Machine-readable error code, e.g. `BmcUnreachable`, when failed. */
  errorCode?: string;
  /** What went wrong, in operator words. */
  errorMessage?: string;
  /** Whether retrying can help (the error's classification). */
  retryable?: boolean;
}

export interface MachineProgress extends PlannedMachine {
  status: StepStatus;
  steps: Record<MachineRoleStep, StepProgress>;
}

/** The answer of the {@link DEPLOYMENT_QUERIES.status} query. */
export interface DeploymentStatus {
  runId: string;
  phase: DeploymentPhase;
  /** True between a `pause` and a `resume` signal: no new step starts, running steps finish. */
  paused: boolean;
  /** The gate waiting for an `approve` signal, when phase is `awaiting-approval`. */
  awaitingApproval?: ApprovalGate;
  machines: MachineProgress[];
  cluster: Partial<Record<ClusterStep, StepProgress>>;
  /** A sentence for operators: what is happening or why the run ended as it did. */
  message: string;
}

/** Result of the workflow: the final status. */
export type DeploymentResult = DeploymentStatus;

/** Signal names and their payloads. Cancel is Temporal cancellation, not a signal. */
export const DEPLOYMENT_SIGNALS = {
  pause: 'pause',
  resume: 'resume',
  approve: 'approve',
  retryMachine: 'retryMachine',
} as const;

export interface PauseSignal {
  by: string;
  reason?: string;
}
export interface ResumeSignal {
  by: string;
}
export interface ApproveSignal {
  gate: ApprovalGate;
  by: string;
}
export interface RetryMachineSignal {
  machineId: string;
  by: string;
}

export const DEPLOYMENT_QUERIES = {
  status: 'status',
} as const;

/** Search attributes every deployment sets, so runs can be found in Temporal UI and visibility. */
export const SEARCH_ATTRIBUTES = {
  clusterId: 'PlinthClusterId',
  runKind: 'PlinthRunKind',
  phase: 'PlinthPhase',
  failedMachines: 'PlinthFailedMachines',
} as const;

/** The Temporal type of each of {@link SEARCH_ATTRIBUTES}, as `temporal operator search-attribute create` spells it. */
export const SEARCH_ATTRIBUTE_TYPES: Record<
  (typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES],
  'Keyword' | 'KeywordList'
> = {
  PlinthClusterId: 'Keyword',
  PlinthRunKind: 'Keyword',
  PlinthPhase: 'Keyword',
  PlinthFailedMachines: 'KeywordList',
};

/**
 * Activities the deployment workflow uses to keep the database's read model of the run current
 * (`runs` and `run_machine_states`). Contract: idempotent upserts keyed by run, machine and role;
 * safe to retry; they never fail a run on their own (the workflow retries them).
 */
export interface RunRecordActivities {
  /** Record the run's status (`running`, `paused`, terminal states set `finished_at`). */
  recordRunStatus(input: {
    runId: string;
    status: 'running' | 'paused' | 'succeeded' | 'failed' | 'canceled';
    temporalRunId?: string;
  }): Promise<void>;
  /** Record one machine's role step. */
  recordMachineStep(input: {
    runId: string;
    machineId: string;
    role: MachineRoleStep;
    progress: StepProgress;
  }): Promise<void>;
}
