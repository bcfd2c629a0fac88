/**
 * One workflow run's mutable state: its history, the workflow-task state machine with event
 * buffering, and the open activities, timers, children, queries and updates.
 *
 * The central invariant (spec §4.1): at most one workflow task is outstanding, and while one is
 * *started* no event may be written between its WorkflowTaskStarted and WorkflowTaskCompleted.
 * Anything that happens meanwhile (signal, activity result, timer, child event, cancel request) is
 * buffered as a closure and written once the task completes, fails or times out.
 */
import { randomUUID } from 'node:crypto';
import { EventLog } from '../history';
import { temporal } from '../proto';
import { durationMs, int64, msToProto, timestamp } from '../time';
import { encodeTaskToken } from '../task-token';
import type { ActivityState } from './activity';
import type { PendingQuery } from './queries';
import type { UpdateState } from './updates';
import type { WorkflowStore } from './store';

const EventType = temporal.api.enums.v1.EventType;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;

type StartedAttributes = temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes;
type PollWorkflowTaskResponse = temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse;

/** Default workflow task start-to-close timeout when the start request leaves it unset. */
export const DEFAULT_WORKFLOW_TASK_TIMEOUT_MS = 10_000;

/** Workflow task states (JTS StateMachines: NONE → INITIATED(scheduled) → STARTED → NONE). */
export type WorkflowTaskState =
  | { state: 'none' }
  | { state: 'scheduled'; scheduledEventId: number; attempt: number; scheduledTimeMs: number }
  | {
      state: 'started';
      scheduledEventId: number;
      startedEventId: number;
      attempt: number;
      scheduledTimeMs: number;
      startedTimeMs: number;
      identity: string;
      /** Consistent queries delivered with this task, answered in its completion. */
      queries: PendingQuery[];
      timeout: NodeJS.Timeout;
    };

/** The parent of a child run, to report the child's close back to. */
export interface ParentLink {
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
}

/** A child started by StartChildWorkflowExecution, tracked until it closes. */
export interface ChildState {
  initiatedEventId: number;
  namespace: string;
  workflowId: string;
  workflowType: string;
  runId?: string;
  startedEventId?: number;
  parentClosePolicy: temporal.api.enums.v1.ParentClosePolicy;
}

/** Maps a close event type to the run status it produces. */
export const STATUS_BY_CLOSE_EVENT: ReadonlyMap<number, temporal.api.enums.v1.WorkflowExecutionStatus> =
  new Map([
    [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, Status.WORKFLOW_EXECUTION_STATUS_COMPLETED],
    [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, Status.WORKFLOW_EXECUTION_STATUS_FAILED],
    [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, Status.WORKFLOW_EXECUTION_STATUS_CANCELED],
    [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED],
    [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT],
    [
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
      Status.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
    ],
  ]);

export class Run {
  readonly history = new EventLog();
  status: temporal.api.enums.v1.WorkflowExecutionStatus = Status.WORKFLOW_EXECUTION_STATUS_RUNNING;
  closeTimeMs?: number;
  /** The close event, once written. */
  closeEventId = 0;
  wft: WorkflowTaskState = { state: 'none' };
  /** Attempt number the next scheduled workflow task gets (reset to 1 on a successful completion). */
  nextWftAttempt = 1;
  /** Started event id of the last completed workflow task (previousStartedEventId in polls). */
  lastCompletedWftStartedId = 0;
  /**
   * The sticky queue of the worker that completed the last task. Tasks are offered there *and*
   * on the normal queue (whichever poller claims first wins): sdk-core keeps most of its pollers
   * on the sticky queue, so dispatching only on the normal queue would starve throughput, while
   * offering both needs no schedule-to-start fallback. Full history is sent either way.
   */
  stickyQueue = '';
  /** Event writers deferred while a workflow task is started. */
  buffered: Array<() => void> = [];
  /**
   * Activities whose terminal event is among {@link buffered}: a RequestCancelActivityTask for one
   * of them is still recorded (ActivityTaskCancelRequested before the buffered result), as the
   * real server does, because the SDK's state machine expects that event on replay.
   */
  bufferedActivityFinishes = new Set<number>();
  /** True while a completion's commands are applied: WFT scheduling is deferred to its end. */
  completing = false;
  wftRequestedDuringCompletion = false;
  /** Work to do right after the current completion (child starts, external signals). */
  afterCompletion: Array<() => void> = [];
  readonly activities = new Map<number, ActivityState>();
  readonly timers = new Map<string, { startedEventId: number; handle: NodeJS.Timeout }>();
  readonly children = new Map<number, ChildState>();
  /** Consistent queries waiting for the next workflow task. */
  pendingQueries: PendingQuery[] = [];
  readonly updates = new Map<string, UpdateState>();
  /** Start of the first run of a retry / continue-as-new chain (the execution timeout counts from it). */
  chainStartTimeMs: number;
  /** True until a delayed first workflow task (retry backoff, start delay) may be scheduled. */
  firstTaskHeld = false;
  /** Set once WorkflowExecutionCancelRequested is written; later requests are no-ops. */
  cancelRequested = false;
  memo: Record<string, temporal.api.common.v1.IPayload> = {};
  searchAttributes: Record<string, temporal.api.common.v1.IPayload> = {};
  private readonly handles = new Set<NodeJS.Timeout>();
  private readonly closeListeners: Array<(run: Run) => void> = [];
  readonly workflowTaskTimeoutMs: number;
  readonly runTimeoutMs: number;
  readonly executionTimeoutMs: number;

  constructor(
    readonly store: WorkflowStore,
    readonly namespace: string,
    readonly workflowId: string,
    readonly runId: string,
    readonly startAttributes: StartedAttributes,
    readonly startTimeMs: number,
    readonly requestId: string,
    readonly parent?: ParentLink,
  ) {
    this.chainStartTimeMs = startTimeMs;
    this.workflowTaskTimeoutMs =
      durationMs(startAttributes.workflowTaskTimeout) || DEFAULT_WORKFLOW_TASK_TIMEOUT_MS;
    this.runTimeoutMs = durationMs(startAttributes.workflowRunTimeout);
    this.executionTimeoutMs = durationMs(startAttributes.workflowExecutionTimeout);
    Object.assign(this.memo, startAttributes.memo?.fields ?? {});
    Object.assign(this.searchAttributes, startAttributes.searchAttributes?.indexedFields ?? {});
  }

  get isRunning(): boolean {
    return this.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  get workflowType(): string {
    return this.startAttributes.workflowType?.name ?? '';
  }

  get taskQueue(): string {
    return this.startAttributes.taskQueue?.name ?? '';
  }

  get execution(): temporal.api.common.v1.IWorkflowExecution {
    return { workflowId: this.workflowId, runId: this.runId };
  }

  /** A timer owned by the run: it never fires after the run closes or the server stops. */
  setTimer(ms: number, fn: () => void): NodeJS.Timeout {
    const handle = setTimeout(
      () => {
        this.handles.delete(handle);
        if (!this.isRunning || this.store.stopped) return;
        this.store.guard(fn);
      },
      Math.max(0, ms),
    );
    this.handles.add(handle);
    return handle;
  }

  clearTimer(handle: NodeJS.Timeout | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.handles.delete(handle);
  }

  /** Appends an event now (command events, WFT events). Callers guarantee no WFT is started. */
  append(eventType: temporal.api.enums.v1.EventType, attributes: object): number {
    return this.history.append(eventType, attributes, this.store.now());
  }

  /**
   * Records something the workflow must react to. While a workflow task is started the write is
   * buffered (spec §4.1); otherwise it is written now and a workflow task is scheduled.
   */
  addWorkflowEvent(write: () => void): void {
    if (!this.isRunning) return;
    if (this.wft.state === 'started') {
      this.buffered.push(write);
      return;
    }
    write();
    this.scheduleWorkflowTask();
  }

  /** Writes buffered events (after a WFT completed, failed or timed out). Returns how many. */
  flushBuffered(): number {
    const writes = this.buffered;
    this.buffered = [];
    this.bufferedActivityFinishes.clear();
    for (const write of writes) write();
    return writes.length;
  }

  /**
   * Schedules a workflow task unless one is already outstanding: a scheduled task will see the
   * new events, and a started one has them buffered and reschedules on completion.
   */
  scheduleWorkflowTask(): void {
    if (!this.isRunning || this.firstTaskHeld) return;
    if (this.completing) {
      this.wftRequestedDuringCompletion = true;
      return;
    }
    if (this.wft.state !== 'none') return;
    const attempt = this.nextWftAttempt;
    const scheduledEventId = this.append(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      taskQueue: { name: this.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      startToCloseTimeout: msToProto(this.workflowTaskTimeoutMs),
      attempt,
    });
    this.wft = { state: 'scheduled', scheduledEventId, attempt, scheduledTimeMs: this.store.now() };
    // A worker that keeps failing the task (non-determinism, a crash) is retried with a growing
    // delay instead of a hot loop.
    const backoffMs = attempt > 1 ? Math.min((attempt - 1) * 1000, 10_000) : 0;
    const dispatch = (): void => {
      const task = {
        claim: (identity: string) => this.startWorkflowTask(scheduledEventId, identity),
        isStale: () =>
          !this.isRunning || this.wft.state !== 'scheduled' || this.wft.scheduledEventId !== scheduledEventId,
      };
      if (this.stickyQueue) this.store.workflowTaskQueue(this.namespace, this.stickyQueue).push(task);
      this.store.workflowTaskQueue(this.namespace, this.taskQueue).push(task);
    };
    if (backoffMs > 0) this.setTimer(backoffMs, dispatch);
    else dispatch();
  }

  /** Hands the scheduled workflow task to a poller: writes WorkflowTaskStarted and builds the response. */
  private startWorkflowTask(scheduledEventId: number, identity: string): PollWorkflowTaskResponse | null {
    const wft = this.wft;
    if (!this.isRunning || wft.state !== 'scheduled' || wft.scheduledEventId !== scheduledEventId)
      return null;
    const now = this.store.now();
    const startedEventId = this.append(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      scheduledEventId,
      identity,
      requestId: randomUUID(),
      historySizeBytes: this.history.sizeBytes,
      suggestContinueAsNew: false,
    });
    const queries = this.pendingQueries;
    this.pendingQueries = [];
    const timeout = this.setTimer(this.workflowTaskTimeoutMs, () =>
      this.timeOutWorkflowTask(scheduledEventId),
    );
    this.wft = {
      state: 'started',
      scheduledEventId,
      startedEventId,
      attempt: wft.attempt,
      scheduledTimeMs: wft.scheduledTimeMs,
      startedTimeMs: now,
      identity,
      queries,
      timeout,
    };
    const messages = [];
    for (const update of this.updates.values()) {
      const message = update.deliver(scheduledEventId);
      if (message) messages.push(message);
    }
    return {
      taskToken: encodeTaskToken({
        kind: 'wft',
        namespace: this.namespace,
        workflowId: this.workflowId,
        runId: this.runId,
        seq: scheduledEventId,
        attempt: wft.attempt,
      }),
      workflowExecution: this.execution,
      workflowType: { name: this.workflowType },
      previousStartedEventId: int64(this.lastCompletedWftStartedId),
      startedEventId: int64(startedEventId),
      attempt: wft.attempt,
      backlogCountHint: int64(0),
      history: { events: this.history.events.slice() },
      workflowExecutionTaskQueue: this.startAttributes.taskQueue ?? null,
      scheduledTime: timestamp(wft.scheduledTimeMs),
      startedTime: timestamp(now),
      queries: Object.fromEntries(queries.map((q) => [q.id, q.query])),
      messages,
    };
  }

  /** Ends the started workflow task without a completion (failure, timeout, unhandled command). */
  endStartedWorkflowTask(
    eventType: temporal.api.enums.v1.EventType,
    attributes: object,
    nextAttempt: 'increment' | 'reset',
  ): void {
    const wft = this.wft;
    if (wft.state !== 'started') return;
    this.clearTimer(wft.timeout);
    this.append(eventType, {
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      ...attributes,
    });
    this.wft = { state: 'none' };
    this.nextWftAttempt = nextAttempt === 'reset' ? 1 : wft.attempt + 1;
    // The worker may have lost the run (crash, eviction): stop preferring its sticky queue.
    this.stickyQueue = '';
    // Queries and updates the worker never answered go out again with the next task.
    this.pendingQueries.unshift(...wft.queries);
    for (const update of this.updates.values()) update.undeliver();
    this.flushBuffered();
    this.scheduleWorkflowTask();
  }

  private timeOutWorkflowTask(scheduledEventId: number): void {
    if (this.wft.state !== 'started' || this.wft.scheduledEventId !== scheduledEventId) return;
    this.store.logger.debug(`workflow task timed out: ${this.workflowId}/${this.runId}`);
    this.endStartedWorkflowTask(
      EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
      { timeoutType: temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
      'increment',
    );
  }

  /**
   * Closes the run with its close event. If a workflow task is in flight (terminate, timeout) it
   * is failed first, as the real server does, so the history stays well formed.
   */
  close(eventType: temporal.api.enums.v1.EventType, attributes: object): number {
    if (!this.isRunning) return this.closeEventId;
    const wft = this.wft;
    if (wft.state === 'started') {
      this.clearTimer(wft.timeout);
      this.append(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        scheduledEventId: wft.scheduledEventId,
        startedEventId: wft.startedEventId,
        cause: temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
      });
      for (const q of wft.queries) this.pendingQueries.push(q);
    }
    this.buffered = [];
    this.bufferedActivityFinishes.clear();
    this.wft = { state: 'none' };
    const closeEventId = this.append(eventType, attributes);
    this.closeEventId = closeEventId;
    this.status = STATUS_BY_CLOSE_EVENT.get(eventType) ?? Status.WORKFLOW_EXECUTION_STATUS_TERMINATED;
    this.closeTimeMs = this.store.now();
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
    for (const timer of this.timers.values()) clearTimeout(timer.handle);
    this.timers.clear();
    for (const activity of this.activities.values()) activity.abandon();
    this.activities.clear();
    // Consistent queries still waiting are answered from the closed run by a query task.
    const queries = this.pendingQueries;
    this.pendingQueries = [];
    for (const q of queries) this.store.queries.dispatchLegacy(this, q);
    for (const update of this.updates.values()) update.abortOnClose();
    for (const listener of this.closeListeners.splice(0)) this.store.guard(() => listener(this));
    this.store.onRunClosed(this);
    return closeEventId;
  }

  /** Clears every timer without writing anything (server shutdown). */
  dispose(): void {
    for (const handle of this.handles) clearTimeout(handle);
    this.handles.clear();
    for (const timer of this.timers.values()) clearTimeout(timer.handle);
    if (this.wft.state === 'started') clearTimeout(this.wft.timeout);
    for (const activity of this.activities.values()) activity.abandon();
  }

  /** Calls `listener` when the run closes (immediately if it already has). Returns an unsubscribe function. */
  onClose(listener: (run: Run) => void): () => void {
    if (!this.isRunning) {
      listener(this);
      return () => undefined;
    }
    this.closeListeners.push(listener);
    return () => {
      const i = this.closeListeners.indexOf(listener);
      if (i >= 0) this.closeListeners.splice(i, 1);
    };
  }

  /** The close event, if the run is closed. */
  get closeEvent(): temporal.api.history.v1.IHistoryEvent | undefined {
    return this.closeEventId ? this.history.get(this.closeEventId) : undefined;
  }
}
