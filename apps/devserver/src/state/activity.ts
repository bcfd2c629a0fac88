/**
 * Activity lifecycle (spec §5): scheduling with server-side timeout normalisation, dispatch,
 * lazy ActivityTaskStarted (written only with the terminal event, so retries leave no trace in
 * history), the retry policy, the four timeouts, heartbeats and cancellation.
 */
import { randomUUID } from 'node:crypto';
import { invalidArgument, notFound } from '../errors';
import { temporal } from '../proto';
import { durationMs, msToProto, timestamp, toNumber } from '../time';
import { encodeTaskToken, type TaskToken } from '../task-token';
import type { Run } from './run';

const EventType = temporal.api.enums.v1.EventType;
const RetryState = temporal.api.enums.v1.RetryState;
const TimeoutType = temporal.api.enums.v1.TimeoutType;

type IFailure = temporal.api.failure.v1.IFailure;
type IPayloads = temporal.api.common.v1.IPayloads;
type PollActivityTaskResponse = temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;

/** A retry policy with defaults applied; intervals in milliseconds. */
export interface NormalizedRetryPolicy {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

/** Applies Temporal's defaults: 1 s initial, coefficient 2, maximum 100 × initial, unlimited attempts. */
export function normalizeRetryPolicy(
  policy: temporal.api.common.v1.IRetryPolicy | null | undefined,
): NormalizedRetryPolicy {
  const initialIntervalMs = durationMs(policy?.initialInterval) || 1000;
  const coefficient = policy?.backoffCoefficient ?? 0;
  return {
    initialIntervalMs,
    backoffCoefficient: coefficient >= 1 ? coefficient : 2,
    maximumIntervalMs: durationMs(policy?.maximumInterval) || initialIntervalMs * 100,
    maximumAttempts: Math.max(0, policy?.maximumAttempts ?? 0),
    nonRetryableErrorTypes: [...(policy?.nonRetryableErrorTypes ?? [])],
  };
}

export function retryPolicyToProto(p: NormalizedRetryPolicy): temporal.api.common.v1.IRetryPolicy {
  return {
    initialInterval: msToProto(p.initialIntervalMs),
    backoffCoefficient: p.backoffCoefficient,
    maximumInterval: msToProto(p.maximumIntervalMs),
    maximumAttempts: p.maximumAttempts,
    nonRetryableErrorTypes: p.nonRetryableErrorTypes,
  };
}

/** Activity timeouts after the server's normalisation (ms, 0 = unlimited). */
export interface ActivityTimeouts {
  scheduleToCloseMs: number;
  scheduleToStartMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
}

/**
 * Normalises timeouts as the real server does (command_attr_validator.go): schedule-to-close
 * bounds the others, a missing one is derived, and one of start-to-close / schedule-to-close is
 * required. Returns an error message for an invalid combination.
 */
export function normalizeActivityTimeouts(
  attrs: temporal.api.command.v1.IScheduleActivityTaskCommandAttributes,
  runTimeoutMs: number,
): ActivityTimeouts | string {
  let s2c = durationMs(attrs.scheduleToCloseTimeout);
  let s2s = durationMs(attrs.scheduleToStartTimeout);
  let st2c = durationMs(attrs.startToCloseTimeout);
  if (s2c > 0) {
    if (runTimeoutMs > 0) s2c = Math.min(s2c, runTimeoutMs);
    s2s = s2s > 0 ? Math.min(s2s, s2c) : s2c;
    st2c = st2c > 0 ? Math.min(st2c, s2c) : s2c;
  } else if (st2c > 0) {
    s2c = runTimeoutMs;
    s2s = s2s > 0 ? s2s : runTimeoutMs;
  } else {
    return 'A valid StartToClose or ScheduleToCloseTimeout is not set on ScheduleActivityTaskCommand.';
  }
  const heartbeat = Math.min(durationMs(attrs.heartbeatTimeout), st2c);
  return { scheduleToCloseMs: s2c, scheduleToStartMs: s2s, startToCloseMs: st2c, heartbeatMs: heartbeat };
}

type ActivityPhase = 'scheduled' | 'started' | 'backoff';

export class ActivityState {
  attempt = 1;
  phase: ActivityPhase = 'scheduled';
  currentAttemptScheduledTimeMs: number;
  startedTimeMs = 0;
  startedIdentity = '';
  startedRequestId = '';
  heartbeatDetails: IPayloads | null = null;
  lastHeartbeatTimeMs = 0;
  lastFailure: IFailure | null = null;
  lastAttemptCompleteTimeMs = 0;
  cancelRequested = false;
  private attemptTimers: NodeJS.Timeout[] = [];
  private scheduleToCloseTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly run: Run,
    readonly scheduledEventId: number,
    readonly attributes: temporal.api.command.v1.IScheduleActivityTaskCommandAttributes,
    readonly timeouts: ActivityTimeouts,
    readonly retryPolicy: NormalizedRetryPolicy,
    readonly scheduledTimeMs: number,
  ) {
    this.currentAttemptScheduledTimeMs = scheduledTimeMs;
  }

  get activityId(): string {
    return this.attributes.activityId ?? '';
  }

  get activityType(): string {
    return this.attributes.activityType?.name ?? '';
  }

  get taskQueue(): string {
    return this.attributes.taskQueue?.name || this.run.taskQueue;
  }

  /** Starts the overall schedule-to-close clock and queues the first attempt. */
  begin(): void {
    if (this.timeouts.scheduleToCloseMs > 0) {
      this.scheduleToCloseTimer = this.run.setTimer(this.timeouts.scheduleToCloseMs, () =>
        this.timeOut(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE),
      );
    }
    this.dispatch();
  }

  private dispatch(): void {
    const attempt = this.attempt;
    this.phase = 'scheduled';
    this.currentAttemptScheduledTimeMs = this.run.store.now();
    // Schedule-to-start is only meaningful for the first attempt (retries are server-driven).
    if (
      attempt === 1 &&
      this.timeouts.scheduleToStartMs > 0 &&
      // Equal to schedule-to-close it would only race the overall timeout, which reports itself.
      (this.timeouts.scheduleToCloseMs === 0 ||
        this.timeouts.scheduleToStartMs < this.timeouts.scheduleToCloseMs)
    ) {
      this.attemptTimers.push(
        this.run.setTimer(this.timeouts.scheduleToStartMs, () => {
          if (this.phase === 'scheduled' && this.attempt === attempt)
            this.timeOut(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
        }),
      );
    }
    this.run.store.activityTaskQueue(this.run.namespace, this.taskQueue).push({
      claim: (identity) => this.startAttempt(attempt, identity),
      isStale: () =>
        this.closed || !this.run.isRunning || this.phase !== 'scheduled' || this.attempt !== attempt,
    });
  }

  /** Hands the attempt to a poller. Nothing is written to history (the Started event is lazy). */
  private startAttempt(attempt: number, identity: string): PollActivityTaskResponse | null {
    if (this.closed || !this.run.isRunning || this.phase !== 'scheduled' || this.attempt !== attempt)
      return null;
    const now = this.run.store.now();
    this.clearAttemptTimers();
    this.phase = 'started';
    this.startedTimeMs = now;
    this.startedIdentity = identity;
    this.startedRequestId = randomUUID();
    if (this.timeouts.startToCloseMs > 0) {
      this.attemptTimers.push(
        this.run.setTimer(this.timeouts.startToCloseMs, () => {
          if (this.phase === 'started' && this.attempt === attempt)
            this.attemptFailed(
              timeoutFailure(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE, null),
              null,
              0,
              'timeout',
            );
        }),
      );
    }
    this.resetHeartbeatTimer();
    const a = this.attributes;
    return {
      taskToken: encodeTaskToken(this.token()),
      workflowNamespace: this.run.namespace,
      workflowType: { name: this.run.workflowType },
      workflowExecution: this.run.execution,
      activityType: a.activityType ?? null,
      activityId: this.activityId,
      header: a.header ?? null,
      input: a.input ?? null,
      heartbeatDetails: this.heartbeatDetails,
      scheduledTime: timestamp(this.scheduledTimeMs),
      currentAttemptScheduledTime: timestamp(this.currentAttemptScheduledTimeMs),
      startedTime: timestamp(now),
      attempt,
      // Always present, even when 0: the TS worker requires both (spec §5.1 pitfall).
      scheduleToCloseTimeout: msToProto(this.timeouts.scheduleToCloseMs),
      startToCloseTimeout: msToProto(this.timeouts.startToCloseMs),
      heartbeatTimeout: msToProto(this.timeouts.heartbeatMs),
      retryPolicy: retryPolicyToProto(this.retryPolicy),
      priority: a.priority ?? null,
    };
  }

  token(): TaskToken {
    return {
      kind: 'activity',
      namespace: this.run.namespace,
      workflowId: this.run.workflowId,
      runId: this.run.runId,
      seq: this.scheduledEventId,
      attempt: this.attempt,
    };
  }

  /** Throws NOT_FOUND unless `token` names this activity's current, started attempt. */
  checkToken(token: TaskToken): void {
    if (this.closed || this.phase !== 'started' || token.attempt !== this.attempt) {
      throw notFound('Activity task not found.');
    }
  }

  private resetHeartbeatTimer(): void {
    this.run.clearTimer(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    if (this.timeouts.heartbeatMs <= 0 || this.phase !== 'started') return;
    const attempt = this.attempt;
    this.heartbeatTimer = this.run.setTimer(this.timeouts.heartbeatMs, () => {
      if (this.phase === 'started' && this.attempt === attempt) {
        this.attemptFailed(
          timeoutFailure(TimeoutType.TIMEOUT_TYPE_HEARTBEAT, this.heartbeatDetails),
          null,
          0,
          'timeout',
        );
      }
    });
  }

  /** RecordActivityTaskHeartbeat: keeps details for the next attempt and resets the heartbeat clock. */
  heartbeat(details: IPayloads | null | undefined): { cancelRequested: boolean } {
    if (details) this.heartbeatDetails = details;
    this.lastHeartbeatTimeMs = this.run.store.now();
    this.resetHeartbeatTimer();
    return { cancelRequested: this.cancelRequested };
  }

  complete(result: IPayloads | null | undefined, identity: string): void {
    this.finish((startedEventId) => {
      this.run.append(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
        result: result ?? null,
        scheduledEventId: this.scheduledEventId,
        startedEventId,
        identity,
      });
    });
  }

  /**
   * A failed attempt (worker failure or start-to-close/heartbeat timeout): retries per policy,
   * otherwise writes the terminal event.
   */
  attemptFailed(
    failure: IFailure,
    heartbeatDetails: IPayloads | null | undefined,
    nextRetryDelayMs: number,
    kind: 'failure' | 'timeout',
    identity = '',
  ): void {
    if (heartbeatDetails) this.heartbeatDetails = heartbeatDetails;
    const decision = this.retryDecision(failure, nextRetryDelayMs);
    if (typeof decision === 'object') {
      this.clearAttemptTimers();
      this.lastFailure = failure;
      this.lastAttemptCompleteTimeMs = this.run.store.now();
      this.phase = 'backoff';
      this.attempt += 1;
      this.attemptTimers.push(this.run.setTimer(decision.delayMs, () => this.dispatch()));
      return;
    }
    this.finish((startedEventId) => {
      if (kind === 'timeout') {
        this.run.append(EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, {
          failure: { ...failure, cause: this.lastFailure },
          scheduledEventId: this.scheduledEventId,
          startedEventId,
          retryState: decision,
        });
      } else {
        this.run.append(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
          failure,
          scheduledEventId: this.scheduledEventId,
          startedEventId,
          identity,
          retryState: decision,
        });
      }
    });
  }

  /** The delay before the next attempt, or the RetryState explaining why there is none. */
  private retryDecision(
    failure: IFailure,
    nextRetryDelayMs: number,
  ): { delayMs: number } | temporal.api.enums.v1.RetryState {
    const app = failure.applicationFailureInfo;
    if (app?.nonRetryable) return RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    if (app?.type && this.retryPolicy.nonRetryableErrorTypes.includes(app.type)) {
      return RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    }
    if (this.cancelRequested) return RetryState.RETRY_STATE_CANCEL_REQUESTED;
    const p = this.retryPolicy;
    if (p.maximumAttempts > 0 && this.attempt >= p.maximumAttempts)
      return RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
    const delay =
      nextRetryDelayMs > 0
        ? nextRetryDelayMs
        : Math.min(
            p.initialIntervalMs * Math.pow(p.backoffCoefficient, this.attempt - 1),
            p.maximumIntervalMs,
          );
    if (
      this.timeouts.scheduleToCloseMs > 0 &&
      this.run.store.now() + delay >= this.scheduledTimeMs + this.timeouts.scheduleToCloseMs
    ) {
      return RetryState.RETRY_STATE_TIMEOUT;
    }
    return { delayMs: delay };
  }

  /** Schedule-to-start or schedule-to-close: terminal, never retried. */
  private timeOut(type: temporal.api.enums.v1.TimeoutType): void {
    if (this.closed) return;
    this.finish((startedEventId) => {
      this.run.append(EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, {
        failure: { ...timeoutFailure(type, this.heartbeatDetails), cause: this.lastFailure },
        scheduledEventId: this.scheduledEventId,
        startedEventId,
        retryState: RetryState.RETRY_STATE_TIMEOUT,
      });
    });
  }

  /** The RequestCancelActivityTask command. Returns true when the cancellation took effect at once. */
  requestCancel(): boolean {
    this.cancelRequested = true;
    if (this.phase === 'started') return false;
    // Queued or waiting for a retry: no worker holds it, so it is canceled immediately.
    this.finish(() => {
      this.run.append(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
        scheduledEventId: this.scheduledEventId,
        startedEventId: 0,
        latestCancelRequestedEventId: this.cancelRequestedEventId,
        details: null,
      });
    });
    return true;
  }

  cancelRequestedEventId = 0;

  /** RespondActivityTaskCanceled from the worker. */
  canceled(details: IPayloads | null | undefined, identity: string): void {
    this.finish((startedEventId) => {
      this.run.append(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
        scheduledEventId: this.scheduledEventId,
        startedEventId,
        latestCancelRequestedEventId: this.cancelRequestedEventId,
        details: details ?? null,
        identity,
      });
    });
  }

  /**
   * Writes (or buffers) the lazy Started event, if the attempt had started, then the terminal event,
   * and removes the activity from the run.
   */
  private finish(writeTerminal: (startedEventId: number) => void): void {
    const wasStarted = this.phase === 'started';
    const attempt = this.attempt;
    const identity = this.startedIdentity;
    const requestId = this.startedRequestId;
    const lastFailure = this.lastFailure;
    this.abandon();
    this.run.activities.delete(this.scheduledEventId);
    if (this.run.wft.state === 'started') this.run.bufferedActivityFinishes.add(this.scheduledEventId);
    this.run.addWorkflowEvent(() => {
      let startedEventId = 0;
      if (wasStarted) {
        startedEventId = this.run.append(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
          scheduledEventId: this.scheduledEventId,
          identity,
          requestId,
          attempt,
          lastFailure,
        });
      }
      writeTerminal(startedEventId);
    });
  }

  /** Stops all clocks; the activity will never be dispatched or completed again. */
  abandon(): void {
    this.closed = true;
    this.clearAttemptTimers();
    this.run.clearTimer(this.scheduleToCloseTimer);
  }

  private clearAttemptTimers(): void {
    for (const t of this.attemptTimers) this.run.clearTimer(t);
    this.attemptTimers = [];
    this.run.clearTimer(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** PendingActivityInfo for DescribeWorkflowExecution. */
  describe(): temporal.api.workflow.v1.IPendingActivityInfo {
    const State = temporal.api.enums.v1.PendingActivityState;
    return {
      activityId: this.activityId,
      activityType: this.attributes.activityType ?? null,
      state: this.cancelRequested
        ? State.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
        : this.phase === 'started'
          ? State.PENDING_ACTIVITY_STATE_STARTED
          : State.PENDING_ACTIVITY_STATE_SCHEDULED,
      heartbeatDetails: this.heartbeatDetails,
      lastHeartbeatTime: this.lastHeartbeatTimeMs ? timestamp(this.lastHeartbeatTimeMs) : null,
      lastStartedTime: this.startedTimeMs ? timestamp(this.startedTimeMs) : null,
      attempt: this.attempt,
      maximumAttempts: this.retryPolicy.maximumAttempts,
      scheduledTime: timestamp(this.currentAttemptScheduledTimeMs),
      lastFailure: this.lastFailure,
      lastWorkerIdentity: this.startedIdentity,
      lastAttemptCompleteTime: this.lastAttemptCompleteTimeMs
        ? timestamp(this.lastAttemptCompleteTimeMs)
        : null,
    };
  }
}

/** The failure recorded for an activity timeout. */
export function timeoutFailure(
  type: temporal.api.enums.v1.TimeoutType,
  lastHeartbeatDetails: IPayloads | null,
): IFailure {
  const label = TimeoutType[type]?.replace('TIMEOUT_TYPE_', '') ?? 'UNKNOWN';
  return {
    message: `activity ${label} timeout`,
    source: 'Server',
    timeoutFailureInfo: { timeoutType: type, lastHeartbeatDetails },
  };
}

/** Validates a nextRetryDelay duration from a failure response (ms; 0 when unset). */
export function nextRetryDelayMs(
  d: temporal.api.workflowservice.v1.IRespondActivityTaskFailedRequest['failure'],
): number {
  const delay = d?.applicationFailureInfo?.nextRetryDelay;
  if (!delay) return 0;
  const ms = toNumber(delay.seconds) * 1000 + Math.floor(toNumber(delay.nanos) / 1e6);
  if (ms < 0) throw invalidArgument('nextRetryDelay must not be negative.');
  return ms;
}
