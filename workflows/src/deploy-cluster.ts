import {
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import {
  DEPLOYMENT_QUERIES,
  DEPLOYMENT_SIGNALS,
  MACHINE_ROLES_IN_ORDER,
  SEARCH_ATTRIBUTES,
  type ApprovalGate,
  type ApproveSignal,
  type DeploymentInput,
  type DeploymentPhase,
  type DeploymentResult,
  type DeploymentStatus,
  type MachineProgress,
  type PauseSignal,
  type ResumeSignal,
  type RetryMachineSignal,
  type RunRecordActivities,
  type StepProgress,
} from '@plinth/contracts';

export const pauseSignal = defineSignal<[PauseSignal]>(DEPLOYMENT_SIGNALS.pause);
export const resumeSignal = defineSignal<[ResumeSignal]>(DEPLOYMENT_SIGNALS.resume);
export const approveSignal = defineSignal<[ApproveSignal]>(DEPLOYMENT_SIGNALS.approve);
export const retryMachineSignal = defineSignal<[RetryMachineSignal]>(DEPLOYMENT_SIGNALS.retryMachine);
export const statusQuery = defineQuery<DeploymentStatus>(DEPLOYMENT_QUERIES.status);

const phaseKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.phase, SearchAttributeType.KEYWORD);

const record = proxyActivities<RunRecordActivities>({
  startToCloseTimeout: '30 seconds',
  // The read model must catch up eventually; a database outage delays the run instead of failing it.
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** Why a role step did not run: said in the status so nobody mistakes the skip for work done. */
const ROLE_NOT_AVAILABLE =
  'not run: this Plinth version has no role implementations yet; the run records the plan, honours pause, approvals and cancel, and skips each step';

/**
 * Deploys one cluster revision. This version honours the whole deployment contract (status query,
 * pause/resume, approvals, retry, cancellation, search attributes, the database read model) while
 * the role activities are not yet available: every machine step is recorded as `skipped` with the
 * reason, in rollout order and parallelism.
 */
export async function deployCluster(input: DeploymentInput): Promise<DeploymentResult> {
  const status: DeploymentStatus = {
    runId: input.runId,
    phase: 'starting',
    paused: false,
    machines: input.machines.map((machine): MachineProgress => ({
      ...machine,
      status: 'pending',
      steps: Object.fromEntries(
        MACHINE_ROLES_IN_ORDER.map((role) => [
          role,
          { status: 'pending', attempts: 0 } satisfies StepProgress,
        ]),
      ) as MachineProgress['steps'],
    })),
    cluster: Object.fromEntries(input.clusterSteps.map((step) => [step, { status: 'pending', attempts: 0 }])),
    message: 'starting',
  };
  const approved = new Set<ApprovalGate>();
  const retryQueue: string[] = [];

  setHandler(statusQuery, () => status);
  setHandler(pauseSignal, ({ by, reason }) => {
    status.paused = true;
    status.message = `paused by ${by}${reason ? `: ${reason}` : ''}`;
  });
  setHandler(resumeSignal, ({ by }) => {
    status.paused = false;
    status.message = `resumed by ${by}`;
  });
  setHandler(approveSignal, ({ gate }) => {
    approved.add(gate);
  });
  setHandler(retryMachineSignal, ({ machineId }) => {
    const machine = status.machines.find((candidate) => candidate.machineId === machineId);
    if (machine?.status === 'failed') retryQueue.push(machineId);
  });

  const enterPhase = async (phase: DeploymentPhase, message: string): Promise<void> => {
    status.phase = phase;
    status.message = message;
    upsertSearchAttributes([{ key: phaseKey, value: phase }]);
  };
  /** Waits while paused, recording `paused` in the database so lists show it. */
  const honourPause = async (): Promise<void> => {
    if (!status.paused) return;
    await record.recordRunStatus({ runId: input.runId, status: 'paused' });
    await condition(() => !status.paused);
    await record.recordRunStatus({ runId: input.runId, status: 'running' });
  };
  const gate = async (name: ApprovalGate): Promise<void> => {
    if (!input.rollout.approvals.includes(name)) return;
    const before = status.phase;
    status.awaitingApproval = name;
    await enterPhase(
      'awaiting-approval',
      `waiting for approval: ${name} (POST /runs/${input.runId}/approve)`,
    );
    await condition(() => approved.has(name));
    status.awaitingApproval = undefined;
    status.phase = before;
  };

  try {
    await record.recordRunStatus({
      runId: input.runId,
      status: 'running',
      temporalRunId: workflowInfo().runId,
    });
    await enterPhase('provisioning', `provisioning ${input.machines.length} machine(s)`);

    const provision = async (machine: MachineProgress): Promise<void> => {
      machine.status = 'running';
      for (const role of MACHINE_ROLES_IN_ORDER) {
        await honourPause();
        const step = machine.steps[role];
        step.status = 'skipped';
        step.errorMessage = ROLE_NOT_AVAILABLE;
        await record.recordMachineStep({
          runId: input.runId,
          machineId: machine.machineId,
          role,
          progress: step,
        });
      }
      machine.status = 'skipped';
    };
    await inBatches(status.machines, input.rollout.maxParallel, provision);
    // Machines an operator asked to retry run again (none can fail in this version, see ROLE_NOT_AVAILABLE).
    while (retryQueue.length > 0) {
      const machine = status.machines.find((candidate) => candidate.machineId === retryQueue.shift());
      if (machine) await provision(machine);
    }

    for (const step of input.clusterSteps) {
      await gate(step === 'kubernetes' ? 'before-kubernetes' : 'before-openstack');
      await honourPause();
      await enterPhase(step, `${step}: skipped`);
      status.cluster[step] = { status: 'skipped', attempts: 0, errorMessage: ROLE_NOT_AVAILABLE };
    }

    await enterPhase(
      'succeeded',
      'finished: the plan was recorded and every step was skipped (no roles in this version)',
    );
    await record.recordRunStatus({ runId: input.runId, status: 'succeeded' });
    return status;
  } catch (error) {
    const canceled = isCancellation(error);
    await enterPhase(canceled ? 'canceled' : 'failed', canceled ? 'canceled by an operator' : String(error));
    // Recording the end must happen even though the workflow itself is being cancelled.
    await CancellationScope.nonCancellable(() =>
      record.recordRunStatus({ runId: input.runId, status: canceled ? 'canceled' : 'failed' }),
    );
    throw error;
  }
}

/** Runs `work` over `items` with at most `limit` in flight, in order of the list. */
async function inBatches<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
