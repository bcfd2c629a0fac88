/**
 * The in-memory workflow store: namespaces, runs by workflow id, task queues, and the operations
 * that create or close runs (start with id-reuse/conflict policies, continue-as-new, terminate,
 * cancel, signal) shared by the gRPC handlers, child workflows and the schedule engine.
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, invalidArgument, notFound } from '../errors';
import { temporal } from '../proto';
import { durationMs, int64, msToProto } from '../time';
import { TaskQueueRegistry } from '../task-queue';
import type { SearchAttributeType } from '../visibility/ports';
import { compileScheduleSpec } from '../schedules/spec';
import { QueryDispatcher } from './queries';
import { Run, type ParentLink } from './run';

const EventType = temporal.api.enums.v1.EventType;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const ReusePolicy = temporal.api.enums.v1.WorkflowIdReusePolicy;
const ConflictPolicy = temporal.api.enums.v1.WorkflowIdConflictPolicy;

type IStartRequest = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;

/** Minimal logger the store writes to; levels below the configured one are dropped by the caller. */
export interface DevServerLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** One namespace: its runs and its registered custom search attributes. */
export class NamespaceState {
  readonly id = randomUUID();
  readonly runs = new Map<string, Run>();
  /** The latest run of each workflow id. */
  readonly current = new Map<string, Run>();
  readonly searchAttributes = new Map<string, SearchAttributeType>();
  constructor(readonly name: string) {}
}

/** Options for starting a run beyond what the request carries. */
export interface StartOptions {
  parent?: ParentLink;
  /** Merged into the request's search attributes (schedules). */
  extraSearchAttributes?: temporal.api.common.v1.ISearchAttributes | null;
  /** Signal to deliver atomically with the start (SignalWithStart). */
  signal?: {
    name: string;
    input?: temporal.api.common.v1.IPayloads | null;
    header?: temporal.api.common.v1.IHeader | null;
    identity?: string;
  };
  /** Set for continue-as-new: the previous run and the chain's first run. */
  /** Start of the chain's first run, for retries and continue-as-new (default: now). */
  chainStartTimeMs?: number;
  /** Attempt of the new run (workflow retries); default 1. */
  attempt?: number;
  /**
   * Delay before the first workflow task (workflow retry backoff, `workflowStartDelay`). Events
   * such as signals are recorded meanwhile; the task waits for the delay.
   */
  firstTaskDelayMs?: number;
  continuedFrom?: {
    runId: string;
    firstExecutionRunId: string;
    initiator: temporal.api.enums.v1.ContinueAsNewInitiator;
  };
}

export interface StartResult {
  run: Run;
  started: boolean;
}

/**
 * Milliseconds from `now` to the next time `cron` matches (Temporal cron syntax, incl. `@every`).
 * An invalid expression is INVALID_ARGUMENT.
 */
export function untilNextCronMs(cron: string, now: number): number {
  let next: number | undefined;
  try {
    next = compileScheduleSpec({ cronString: [cron] }).next(now)?.nominal;
  } catch (err) {
    throw invalidArgument(`Invalid CronSchedule: ${(err as Error).message}`);
  }
  if (next === undefined) throw invalidArgument(`Invalid CronSchedule: "${cron}" never matches.`);
  return Math.max(0, next - now);
}

/** Limits that keep garbage requests from making the server allocate without bound. */
const MAX_ID_LENGTH = 1000;

export class WorkflowStore {
  readonly namespaces = new Map<string, NamespaceState>();
  readonly workflowTasks =
    new TaskQueueRegistry<temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse>();
  readonly activityTasks =
    new TaskQueueRegistry<temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse>();
  readonly queries = new QueryDispatcher(this);
  stopped = false;
  private readonly closeHooks: Array<(run: Run) => void> = [];

  constructor(
    readonly logger: DevServerLogger,
    readonly now: () => number = Date.now,
  ) {}

  addNamespace(name: string): NamespaceState {
    let ns = this.namespaces.get(name);
    if (!ns) {
      ns = new NamespaceState(name);
      this.namespaces.set(name, ns);
    }
    return ns;
  }

  /** The namespace, or NOT_FOUND. */
  namespace(name: string | null | undefined): NamespaceState {
    if (!name) throw invalidArgument('Namespace not set on request.');
    const ns = this.namespaces.get(name);
    if (!ns) throw notFound(`Namespace ${name} is not found.`);
    return ns;
  }

  workflowTaskQueue(namespace: string, name: string) {
    return this.workflowTasks.get(namespace, name);
  }

  activityTaskQueue(namespace: string, name: string) {
    return this.activityTasks.get(namespace, name);
  }

  /** Runs `fn`, logging instead of throwing: timer callbacks must never crash the process. */
  guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error(`internal error in timer callback: ${(err as Error)?.stack ?? String(err)}`);
    }
  }

  /** Registers a hook called whenever any run closes. */
  onAnyRunClosed(hook: (run: Run) => void): void {
    this.closeHooks.push(hook);
  }

  /** The run, or the current run of the workflow id when `runId` is empty; NOT_FOUND otherwise. */
  findRun(namespace: string, workflowId: string | null | undefined, runId?: string | null): Run {
    const ns = this.namespace(namespace);
    if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
    const run = runId ? ns.runs.get(runId) : ns.current.get(workflowId);
    if (!run || run.workflowId !== workflowId) {
      throw notFound(
        `workflow execution not found for workflow ID "${workflowId}" and run ID "${runId ?? ''}"`,
      );
    }
    return run;
  }

  /** The run for a task token (wrong or unknown run → NOT_FOUND). */
  runForToken(namespace: string, workflowId: string, runId: string): Run {
    const run = this.namespaces.get(namespace)?.runs.get(runId);
    if (!run || run.workflowId !== workflowId) throw notFound('Workflow execution not found.');
    return run;
  }

  /**
   * StartWorkflowExecution semantics: validation, id reuse and conflict policies, then a new run
   * with WorkflowExecutionStarted (+ Signaled for signal-with-start) and its first workflow task.
   */
  startWorkflow(namespace: string, request: IStartRequest, options: StartOptions = {}): StartResult {
    const ns = this.namespace(namespace);
    const workflowId = request.workflowId ?? '';
    if (!workflowId) throw invalidArgument('WorkflowId is not set on request.');
    if (workflowId.length > MAX_ID_LENGTH) throw invalidArgument('WorkflowId exceeds length limit.');
    const workflowType = request.workflowType?.name ?? '';
    if (!workflowType) throw invalidArgument('WorkflowType is not set on request.');
    if (workflowType.length > MAX_ID_LENGTH) throw invalidArgument('WorkflowType exceeds length limit.');
    const taskQueue = request.taskQueue?.name ?? '';
    if (!taskQueue) throw invalidArgument('TaskQueue is not set on request.');
    if (taskQueue.length > MAX_ID_LENGTH) throw invalidArgument('TaskQueue exceeds length limit.');
    const requestId = request.requestId || randomUUID();

    const existing = options.continuedFrom ? undefined : ns.current.get(workflowId);
    if (existing?.isRunning) {
      if (existing.requestId === requestId) return { run: existing, started: true };
      let conflict =
        request.workflowIdConflictPolicy ?? ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED;
      if (conflict === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED) {
        conflict =
          request.workflowIdReusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING
            ? ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
            : ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL;
      }
      if (conflict === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
        if (options.signal) this.signal(existing, options.signal);
        return { run: existing, started: false };
      }
      if (conflict === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING) {
        this.terminate(existing, 'terminated by a new run of the same workflow id', null, 'devserver');
      } else {
        throw alreadyExists(
          `Workflow execution is already running. WorkflowId: ${workflowId}, RunId: ${existing.runId}.`,
        );
      }
    } else if (existing) {
      const reuse = request.workflowIdReusePolicy ?? ReusePolicy.WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED;
      if (reuse === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
        throw alreadyExists(
          `Workflow execution already finished and WorkflowIdReusePolicy is REJECT_DUPLICATE. WorkflowId: ${workflowId}, RunId: ${existing.runId}.`,
        );
      }
      if (
        reuse === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY &&
        existing.status === Status.WORKFLOW_EXECUTION_STATUS_COMPLETED
      ) {
        throw alreadyExists(
          `Workflow execution already finished successfully. WorkflowId: ${workflowId}, RunId: ${existing.runId}. Workflow Id reuse policy: allow duplicate workflow Id if last run failed.`,
        );
      }
    }

    const runId = randomUUID();
    const now = this.now();
    // A cron workflow's first task waits for the next cron time (unless a retry sets the delay).
    const firstTaskDelayMs =
      options.firstTaskDelayMs ??
      (request.cronSchedule
        ? untilNextCronMs(request.cronSchedule, now)
        : durationMs(request.workflowStartDelay));
    const searchAttributes = {
      indexedFields: {
        ...(request.searchAttributes?.indexedFields ?? {}),
        ...(options.extraSearchAttributes?.indexedFields ?? {}),
      },
    };
    const parent = options.parent;
    const attributes: temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes = {
      workflowType: { name: workflowType },
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      input: request.input ?? null,
      workflowExecutionTimeout: request.workflowExecutionTimeout ?? null,
      workflowRunTimeout: request.workflowRunTimeout ?? null,
      workflowTaskTimeout: request.workflowTaskTimeout ?? msToProto(10_000),
      continuedExecutionRunId: options.continuedFrom?.runId ?? '',
      initiator: options.continuedFrom?.initiator ?? 0,
      originalExecutionRunId: runId,
      firstExecutionRunId: options.continuedFrom?.firstExecutionRunId ?? runId,
      identity: request.identity ?? '',
      attempt: options.attempt ?? 1,
      firstWorkflowTaskBackoff: firstTaskDelayMs > 0 ? msToProto(firstTaskDelayMs) : null,
      header: request.header ?? null,
      memo: request.memo ?? null,
      searchAttributes,
      retryPolicy: request.retryPolicy ?? null,
      cronSchedule: request.cronSchedule ?? '',
      workflowId,
      parentWorkflowNamespace: parent?.namespace ?? '',
      parentWorkflowNamespaceId: parent ? (this.namespaces.get(parent.namespace)?.id ?? '') : '',
      parentWorkflowExecution: parent ? { workflowId: parent.workflowId, runId: parent.runId } : null,
      parentInitiatedEventId: int64(parent?.initiatedEventId ?? 0),
      rootWorkflowExecution: parent ? this.rootOf(parent) : { workflowId, runId },
    };
    const run = new Run(this, namespace, workflowId, runId, attributes, now, requestId, parent);
    run.chainStartTimeMs = options.chainStartTimeMs ?? now;
    ns.runs.set(runId, run);
    ns.current.set(workflowId, run);
    run.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, attributes);
    if (options.signal) {
      const s = options.signal;
      run.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        signalName: s.name,
        input: s.input ?? null,
        identity: s.identity ?? '',
        header: s.header ?? null,
      });
    }
    if (firstTaskDelayMs > 0) {
      run.firstTaskHeld = true;
      run.setTimer(firstTaskDelayMs, () => {
        run.firstTaskHeld = false;
        run.scheduleWorkflowTask();
      });
    } else {
      run.scheduleWorkflowTask();
    }
    this.armRunTimeout(run);
    return { run, started: true };
  }

  private rootOf(parent: ParentLink): temporal.api.common.v1.IWorkflowExecution {
    const parentRun = this.namespaces.get(parent.namespace)?.runs.get(parent.runId);
    return (
      parentRun?.startAttributes.rootWorkflowExecution ?? {
        workflowId: parent.workflowId,
        runId: parent.runId,
      }
    );
  }

  /** Workflow run / execution timeouts close the run with WorkflowExecutionTimedOut. */
  private armRunTimeout(run: Run): void {
    const executionLeftMs =
      run.executionTimeoutMs > 0
        ? Math.max(1, run.executionTimeoutMs - (this.now() - run.chainStartTimeMs))
        : 0;
    const limits = [run.runTimeoutMs, executionLeftMs].filter((ms) => ms > 0);
    if (limits.length === 0) return;
    run.setTimer(Math.min(...limits), () => {
      run.close(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, {
        retryState: temporal.api.enums.v1.RetryState.RETRY_STATE_TIMEOUT,
        newExecutionRunId: '',
      });
    });
  }

  /** Appends WorkflowExecutionSignaled (buffered while a WFT runs) and schedules a workflow task. */
  signal(
    run: Run,
    s: {
      name: string;
      input?: temporal.api.common.v1.IPayloads | null;
      header?: temporal.api.common.v1.IHeader | null;
      identity?: string;
    },
    external?: temporal.api.common.v1.IWorkflowExecution,
  ): void {
    if (!run.isRunning) throw notFound('workflow execution already completed');
    run.addWorkflowEvent(() => {
      run.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
        signalName: s.name,
        input: s.input ?? null,
        identity: s.identity ?? '',
        header: s.header ?? null,
        externalWorkflowExecution: external ?? null,
      });
    });
  }

  /** Appends WorkflowExecutionCancelRequested once (idempotent) and schedules a workflow task. */
  requestCancel(
    run: Run,
    reason: string,
    identity: string,
    external?: { initiatedEventId: number; execution: temporal.api.common.v1.IWorkflowExecution },
  ): void {
    if (!run.isRunning) throw notFound('workflow execution already completed');
    if (run.cancelRequested) return;
    run.cancelRequested = true;
    run.addWorkflowEvent(() => {
      run.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
        cause: reason,
        identity,
        externalInitiatedEventId: external?.initiatedEventId ?? 0,
        externalWorkflowExecution: external?.execution ?? null,
      });
    });
  }

  /** Closes the run with WorkflowExecutionTerminated (no buffering: the run ends now). */
  terminate(
    run: Run,
    reason: string,
    details: temporal.api.common.v1.IPayloads | null | undefined,
    identity: string,
  ): void {
    if (!run.isRunning) throw notFound('workflow execution already completed');
    run.close(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, {
      reason,
      details: details ?? null,
      identity,
    });
  }

  /** Called by Run.close: children per parent-close policy, then the parent, then hooks. */
  onRunClosed(run: Run): void {
    for (const child of run.children.values()) {
      if (!child.runId) continue;
      const childRun = this.namespaces.get(child.namespace)?.current.get(child.workflowId);
      if (!childRun?.isRunning) continue;
      const Policy = temporal.api.enums.v1.ParentClosePolicy;
      if (child.parentClosePolicy === Policy.PARENT_CLOSE_POLICY_ABANDON) continue;
      if (child.parentClosePolicy === Policy.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
        this.requestCancel(childRun, 'by parent close policy', 'devserver');
      } else {
        this.terminate(childRun, 'by parent close policy', null, 'devserver');
      }
    }
    // A run that continued (continue-as-new, retry) hands its parent link to its successor.
    const close = run.closeEvent;
    const continued =
      run.status === Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW ||
      !!close?.workflowExecutionCompletedEventAttributes?.newExecutionRunId ||
      !!close?.workflowExecutionFailedEventAttributes?.newExecutionRunId ||
      !!close?.workflowExecutionTimedOutEventAttributes?.newExecutionRunId;
    if (run.parent && !continued) {
      this.reportChildClosed(run, run.parent);
    }
    for (const hook of this.closeHooks) this.guard(() => hook(run));
  }

  /** Writes ChildWorkflowExecution{Completed,Failed,…} into the parent. */
  private reportChildClosed(child: Run, link: ParentLink): void {
    const parent = this.namespaces.get(link.namespace)?.runs.get(link.runId);
    if (!parent?.isRunning) return;
    const state = parent.children.get(link.initiatedEventId);
    if (!state) return;
    parent.children.delete(link.initiatedEventId);
    const close = child.closeEvent;
    parent.addWorkflowEvent(() => {
      // Read inside the writer: ChildWorkflowExecutionStarted may itself still be buffered.
      const common = {
        namespace: child.namespace,
        workflowExecution: child.execution,
        workflowType: { name: child.workflowType },
        initiatedEventId: link.initiatedEventId,
        startedEventId: state.startedEventId ?? 0,
      };
      switch (close?.eventType) {
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
          parent.append(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, {
            ...common,
            result: close.workflowExecutionCompletedEventAttributes?.result ?? null,
          });
          break;
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
          parent.append(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED, {
            ...common,
            failure: close.workflowExecutionFailedEventAttributes?.failure ?? null,
            retryState: close.workflowExecutionFailedEventAttributes?.retryState ?? 0,
          });
          break;
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
          parent.append(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, {
            ...common,
            details: close.workflowExecutionCanceledEventAttributes?.details ?? null,
          });
          break;
        case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
          parent.append(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT, {
            ...common,
            retryState: close.workflowExecutionTimedOutEventAttributes?.retryState ?? 0,
          });
          break;
        default:
          parent.append(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED, common);
      }
    });
  }

  /**
   * Forgets runs closed more than `retentionMs` ago (the namespace retention period), so a
   * long-lived embedded server does not grow without bound. Returns how many were dropped.
   */
  purgeClosedRuns(retentionMs: number): number {
    const cutoff = this.now() - retentionMs;
    let dropped = 0;
    for (const ns of this.namespaces.values()) {
      for (const [runId, run] of ns.runs) {
        if (run.isRunning || (run.closeTimeMs ?? Infinity) > cutoff) continue;
        // Children still report to a retained parent; a purged parent is simply not found.
        ns.runs.delete(runId);
        if (ns.current.get(run.workflowId) === run) ns.current.delete(run.workflowId);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Clears every timer and ends every long poll (server shutdown). */
  stop(): void {
    this.stopped = true;
    for (const ns of this.namespaces.values()) for (const run of ns.runs.values()) run.dispose();
    this.workflowTasks.drainAll();
    this.activityTasks.drainAll();
  }
}
