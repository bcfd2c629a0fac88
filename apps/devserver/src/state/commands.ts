/**
 * Commands from a workflow task completion → history events (spec §6). `validateCommands` runs
 * first so an invalid completion fails the task without writing half of its commands.
 */
import { temporal } from '../proto';
import { durationMs, msToProto } from '../time';
import {
  ActivityState,
  normalizeActivityTimeouts,
  normalizeRetryPolicy,
  retryPolicyToProto,
} from './activity';
import type { Run } from './run';

const EventType = temporal.api.enums.v1.EventType;
const CommandType = temporal.api.enums.v1.CommandType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

type ICommand = temporal.api.command.v1.ICommand;

/** Why a completion is rejected. */
export interface CommandProblem {
  cause: temporal.api.enums.v1.WorkflowTaskFailedCause;
  message: string;
}

export const CLOSE_COMMANDS: ReadonlySet<number> = new Set([
  CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

/** Checks attributes and ids across the whole batch, as if applied in order. */
export function validateCommands(
  run: Run,
  commands: ICommand[],
  messageIds: Set<string>,
): CommandProblem | null {
  const activityIds = new Set([...run.activities.values()].map((a) => a.activityId));
  const scheduledIds = new Set(run.activities.keys());
  const timerIds = new Set(run.timers.keys());
  for (const c of commands) {
    switch (c.commandType) {
      case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
        const a = c.scheduleActivityTaskCommandAttributes;
        if (!a?.activityId || !a.activityType?.name) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
            message: 'ActivityId or ActivityType is not set on ScheduleActivityTaskCommand.',
          };
        }
        if (activityIds.has(a.activityId)) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
            message: `Activity ID ${a.activityId} is already in use.`,
          };
        }
        const timeouts = normalizeActivityTimeouts(a, run.runTimeoutMs);
        if (typeof timeouts === 'string')
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
            message: timeouts,
          };
        activityIds.add(a.activityId);
        break;
      }
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
        const id = Number(c.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0);
        // An activity whose result is buffered (it finished during this task) may still be cancelled.
        if (!scheduledIds.has(id) && !run.bufferedActivityFinishes.has(id)) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
            message: `No open activity has ScheduledEventId ${id}.`,
          };
        }
        break;
      }
      case CommandType.COMMAND_TYPE_START_TIMER: {
        const a = c.startTimerCommandAttributes;
        if (!a?.timerId)
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
            message: 'TimerId is not set on StartTimerCommand.',
          };
        if (timerIds.has(a.timerId))
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID,
            message: `Timer ID ${a.timerId} is already in use.`,
          };
        timerIds.add(a.timerId);
        break;
      }
      case CommandType.COMMAND_TYPE_CANCEL_TIMER: {
        const id = c.cancelTimerCommandAttributes?.timerId;
        if (!id)
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
            message: 'TimerId is not set on CancelTimerCommand.',
          };
        timerIds.delete(id);
        break;
      }
      case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
        const a = c.startChildWorkflowExecutionCommandAttributes;
        if (!a?.workflowId || !a.workflowType?.name) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
            message: 'WorkflowId or WorkflowType is not set on StartChildWorkflowExecutionCommand.',
          };
        }
        break;
      }
      case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        if (
          !c.signalExternalWorkflowExecutionCommandAttributes?.execution?.workflowId ||
          !c.signalExternalWorkflowExecutionCommandAttributes.signalName
        ) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
            message: 'Execution or SignalName is not set on SignalExternalWorkflowExecutionCommand.',
          };
        }
        break;
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        if (!c.requestCancelExternalWorkflowExecutionCommandAttributes?.workflowId) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
            message: 'WorkflowId is not set on RequestCancelExternalWorkflowExecutionCommand.',
          };
        }
        break;
      case CommandType.COMMAND_TYPE_RECORD_MARKER:
        if (!c.recordMarkerCommandAttributes?.markerName) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
            message: 'MarkerName is not set on RecordMarkerCommand.',
          };
        }
        break;
      case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
        if (!run.cancelRequested) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_WORKFLOW_EXECUTION_ATTRIBUTES,
            message: 'Workflow cancellation was not requested.',
          };
        }
        break;
      case CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE:
        if (!messageIds.has(c.protocolMessageCommandAttributes?.messageId ?? '')) {
          return {
            cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
            message: 'ProtocolMessageCommand names a message that is not in the completion.',
          };
        }
        break;
      case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
        break;
      default:
        return {
          cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED,
          message: `Command type ${CommandType[c.commandType ?? 0] ?? c.commandType} is not supported by this server.`,
        };
    }
  }
  return null;
}

/** True when a search attribute payload means "remove" (no data, JSON null or empty list). */
function isRemoval(payload: temporal.api.common.v1.IPayload | null | undefined): boolean {
  const data = payload?.data ? Buffer.from(payload.data).toString('utf8') : '';
  return data === '' || data === 'null' || data === '[]';
}

/**
 * Applies one command. Close commands end the run; the caller stops at the first one.
 * `completedId` is the WorkflowTaskCompleted event id every command event refers to.
 */
export function applyCommand(run: Run, c: ICommand, completedId: number, identity: string): void {
  const store = run.store;
  switch (c.commandType) {
    case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
      const a = c.scheduleActivityTaskCommandAttributes!;
      const timeouts = normalizeActivityTimeouts(a, run.runTimeoutMs);
      if (typeof timeouts === 'string') throw new Error(timeouts); // validated before
      const retryPolicy = normalizeRetryPolicy(a.retryPolicy);
      const taskQueue = a.taskQueue?.name
        ? a.taskQueue
        : { name: run.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
      const normalized = { ...a, taskQueue };
      const scheduledEventId = run.append(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
        activityId: a.activityId,
        activityType: a.activityType,
        taskQueue,
        header: a.header ?? null,
        input: a.input ?? null,
        scheduleToCloseTimeout: msToProto(timeouts.scheduleToCloseMs),
        scheduleToStartTimeout: msToProto(timeouts.scheduleToStartMs),
        startToCloseTimeout: msToProto(timeouts.startToCloseMs),
        heartbeatTimeout: msToProto(timeouts.heartbeatMs),
        workflowTaskCompletedEventId: completedId,
        retryPolicy: retryPolicyToProto(retryPolicy),
        useWorkflowBuildId: a.useWorkflowBuildId ?? false,
        priority: a.priority ?? null,
      });
      const activity = new ActivityState(
        run,
        scheduledEventId,
        normalized,
        timeouts,
        retryPolicy,
        store.now(),
      );
      run.activities.set(scheduledEventId, activity);
      activity.begin();
      return;
    }
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK: {
      const scheduledEventId = Number(c.requestCancelActivityTaskCommandAttributes?.scheduledEventId ?? 0);
      const activity = run.activities.get(scheduledEventId);
      const cancelRequestedEventId = run.append(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
        scheduledEventId,
        workflowTaskCompletedEventId: completedId,
      });
      // Without an open activity the request is only recorded; its buffered result follows it.
      if (!activity) return;
      activity.cancelRequestedEventId = cancelRequestedEventId;
      activity.requestCancel();
      return;
    }
    case CommandType.COMMAND_TYPE_START_TIMER: {
      const a = c.startTimerCommandAttributes!;
      const timerId = a.timerId!;
      const startedEventId = run.append(EventType.EVENT_TYPE_TIMER_STARTED, {
        timerId,
        startToFireTimeout: a.startToFireTimeout ?? { seconds: 0, nanos: 0 },
        workflowTaskCompletedEventId: completedId,
      });
      const handle = run.setTimer(durationMs(a.startToFireTimeout), () => {
        if (run.timers.get(timerId)?.startedEventId !== startedEventId) return;
        run.timers.delete(timerId);
        run.addWorkflowEvent(() => run.append(EventType.EVENT_TYPE_TIMER_FIRED, { timerId, startedEventId }));
      });
      run.timers.set(timerId, { startedEventId, handle });
      return;
    }
    case CommandType.COMMAND_TYPE_CANCEL_TIMER: {
      const timerId = c.cancelTimerCommandAttributes!.timerId!;
      const timer = run.timers.get(timerId);
      // A timer that already fired has its TimerFired buffered; the workflow will see it.
      if (!timer) return;
      run.clearTimer(timer.handle);
      run.timers.delete(timerId);
      run.append(EventType.EVENT_TYPE_TIMER_CANCELED, {
        timerId,
        startedEventId: timer.startedEventId,
        workflowTaskCompletedEventId: completedId,
        identity,
      });
      return;
    }
    case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
      run.close(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
        result: c.completeWorkflowExecutionCommandAttributes?.result ?? null,
        workflowTaskCompletedEventId: completedId,
        newExecutionRunId: startNextCronRun(run),
      });
      return;
    case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
      failWorkflow(run, c.failWorkflowExecutionCommandAttributes?.failure ?? null, completedId);
      return;
    case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
      run.close(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, {
        details: c.cancelWorkflowExecutionCommandAttributes?.details ?? null,
        workflowTaskCompletedEventId: completedId,
      });
      return;
    case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
      continueAsNew(run, c.continueAsNewWorkflowExecutionCommandAttributes ?? {}, completedId);
      return;
    case CommandType.COMMAND_TYPE_RECORD_MARKER: {
      const a = c.recordMarkerCommandAttributes!;
      run.append(EventType.EVENT_TYPE_MARKER_RECORDED, {
        markerName: a.markerName,
        details: a.details ?? {},
        workflowTaskCompletedEventId: completedId,
        header: a.header ?? null,
        failure: a.failure ?? null,
      });
      return;
    }
    case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
      const sa = c.upsertWorkflowSearchAttributesCommandAttributes?.searchAttributes ?? { indexedFields: {} };
      run.append(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES, {
        workflowTaskCompletedEventId: completedId,
        searchAttributes: sa,
      });
      for (const [name, payload] of Object.entries(sa.indexedFields ?? {})) {
        if (isRemoval(payload)) delete run.searchAttributes[name];
        else run.searchAttributes[name] = payload;
      }
      return;
    }
    case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES: {
      const memo = c.modifyWorkflowPropertiesCommandAttributes?.upsertedMemo ?? { fields: {} };
      run.append(EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED, {
        workflowTaskCompletedEventId: completedId,
        upsertedMemo: memo,
      });
      for (const [name, payload] of Object.entries(memo.fields ?? {})) {
        if (isRemoval(payload)) delete run.memo[name];
        else run.memo[name] = payload;
      }
      return;
    }
    case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
      startChild(run, c.startChildWorkflowExecutionCommandAttributes!, completedId);
      return;
    case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
      signalExternal(run, c.signalExternalWorkflowExecutionCommandAttributes!, completedId);
      return;
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
      cancelExternal(run, c.requestCancelExternalWorkflowExecutionCommandAttributes!, completedId);
      return;
    default:
      return;
  }
}

/**
 * FailWorkflowExecution: with a workflow retry policy that allows another attempt, the failed run
 * names its successor (same workflow id, attempt + 1, first task after the backoff), which
 * `client.result()` follows; otherwise the workflow simply fails.
 */
function failWorkflow(run: Run, failure: temporal.api.failure.v1.IFailure | null, completedId: number): void {
  const RetryState = temporal.api.enums.v1.RetryState;
  const start = run.startAttributes;
  let retryState: temporal.api.enums.v1.RetryState = RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET;
  let delayMs = 0;
  if (start.retryPolicy) {
    const policy = normalizeRetryPolicy(start.retryPolicy);
    const attempt = start.attempt || 1;
    const app = failure?.applicationFailureInfo;
    const elapsedMs = run.store.now() - run.chainStartTimeMs;
    delayMs = Math.min(
      policy.initialIntervalMs * Math.pow(policy.backoffCoefficient, attempt - 1),
      policy.maximumIntervalMs,
    );
    if (app?.nonRetryable || (app?.type && policy.nonRetryableErrorTypes.includes(app.type))) {
      retryState = RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    } else if (policy.maximumAttempts > 0 && attempt >= policy.maximumAttempts) {
      retryState = RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
    } else if (run.executionTimeoutMs > 0 && elapsedMs + delayMs >= run.executionTimeoutMs) {
      retryState = RetryState.RETRY_STATE_TIMEOUT;
    } else {
      retryState = RetryState.RETRY_STATE_IN_PROGRESS;
    }
  }
  let newExecutionRunId = '';
  if (retryState !== RetryState.RETRY_STATE_IN_PROGRESS) {
    newExecutionRunId = startNextCronRun(run);
  } else {
    const { run: next } = run.store.startWorkflow(
      run.namespace,
      {
        workflowId: run.workflowId,
        workflowType: start.workflowType,
        taskQueue: start.taskQueue,
        input: start.input ?? null,
        workflowRunTimeout: start.workflowRunTimeout ?? null,
        workflowExecutionTimeout: start.workflowExecutionTimeout ?? null,
        workflowTaskTimeout: start.workflowTaskTimeout ?? null,
        header: start.header ?? null,
        memo: start.memo ?? null,
        searchAttributes: start.searchAttributes ?? null,
        retryPolicy: start.retryPolicy ?? null,
        cronSchedule: start.cronSchedule ?? '',
        identity: start.identity ?? '',
      },
      {
        parent: run.parent,
        attempt: (start.attempt || 1) + 1,
        firstTaskDelayMs: delayMs,
        chainStartTimeMs: run.chainStartTimeMs,
        continuedFrom: {
          runId: run.runId,
          firstExecutionRunId: start.firstExecutionRunId || run.runId,
          initiator: temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
        },
      },
    );
    newExecutionRunId = next.runId;
  }
  run.close(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
    failure,
    retryState,
    workflowTaskCompletedEventId: completedId,
    newExecutionRunId,
  });
}

/**
 * For a cron workflow that completed or failed (for good), starts the next run, whose first task
 * waits for the next cron time. Returns its run id, or '' for a non-cron workflow.
 */
function startNextCronRun(run: Run): string {
  const start = run.startAttributes;
  if (!start.cronSchedule) return '';
  const { run: next } = run.store.startWorkflow(
    run.namespace,
    {
      workflowId: run.workflowId,
      workflowType: start.workflowType,
      taskQueue: start.taskQueue,
      input: start.input ?? null,
      workflowRunTimeout: start.workflowRunTimeout ?? null,
      workflowExecutionTimeout: start.workflowExecutionTimeout ?? null,
      workflowTaskTimeout: start.workflowTaskTimeout ?? null,
      header: start.header ?? null,
      memo: start.memo ?? null,
      searchAttributes: start.searchAttributes ?? null,
      retryPolicy: start.retryPolicy ?? null,
      cronSchedule: start.cronSchedule,
      identity: start.identity ?? '',
    },
    {
      parent: run.parent,
      continuedFrom: {
        runId: run.runId,
        firstExecutionRunId: start.firstExecutionRunId || run.runId,
        initiator: temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
      },
    },
  );
  return next.runId;
}

/** Closes `run` with ContinuedAsNew and starts the next run of the chain (same workflow id). */
function continueAsNew(
  run: Run,
  a: temporal.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes,
  completedId: number,
): void {
  const start = run.startAttributes;
  const taskQueue = a.taskQueue?.name ? a.taskQueue : start.taskQueue;
  const workflowType = a.workflowType?.name ? a.workflowType : start.workflowType;
  const { run: next } = run.store.startWorkflow(
    run.namespace,
    {
      workflowId: run.workflowId,
      workflowType,
      taskQueue,
      input: a.input ?? null,
      workflowRunTimeout: a.workflowRunTimeout ?? start.workflowRunTimeout ?? null,
      workflowExecutionTimeout: start.workflowExecutionTimeout ?? null,
      workflowTaskTimeout: a.workflowTaskTimeout ?? start.workflowTaskTimeout ?? null,
      header: a.header ?? null,
      memo: a.memo ?? { fields: run.memo },
      searchAttributes: a.searchAttributes ?? { indexedFields: run.searchAttributes },
      retryPolicy: a.retryPolicy ?? start.retryPolicy ?? null,
      identity: start.identity ?? '',
    },
    {
      parent: run.parent,
      chainStartTimeMs: run.chainStartTimeMs,
      continuedFrom: {
        runId: run.runId,
        firstExecutionRunId: start.firstExecutionRunId || run.runId,
        initiator:
          a.initiator || temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW,
      },
    },
  );
  run.close(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
    newExecutionRunId: next.runId,
    workflowType,
    taskQueue,
    input: a.input ?? null,
    workflowRunTimeout: a.workflowRunTimeout ?? null,
    workflowTaskTimeout: a.workflowTaskTimeout ?? null,
    workflowTaskCompletedEventId: completedId,
    backoffStartInterval: a.backoffStartInterval ?? null,
    initiator: a.initiator ?? 0,
    header: a.header ?? null,
    memo: a.memo ?? null,
    searchAttributes: a.searchAttributes ?? null,
  });
}

function startChild(
  run: Run,
  a: temporal.api.command.v1.IStartChildWorkflowExecutionCommandAttributes,
  completedId: number,
): void {
  const namespace = a.namespace || run.namespace;
  const taskQueue = a.taskQueue?.name ? a.taskQueue : run.startAttributes.taskQueue;
  const initiatedEventId = run.append(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
    namespace,
    workflowId: a.workflowId,
    workflowType: a.workflowType,
    taskQueue,
    input: a.input ?? null,
    workflowExecutionTimeout: a.workflowExecutionTimeout ?? null,
    workflowRunTimeout: a.workflowRunTimeout ?? null,
    workflowTaskTimeout: a.workflowTaskTimeout ?? null,
    parentClosePolicy: a.parentClosePolicy ?? 0,
    control: a.control ?? '',
    workflowTaskCompletedEventId: completedId,
    workflowIdReusePolicy: a.workflowIdReusePolicy ?? 0,
    retryPolicy: a.retryPolicy ?? null,
    cronSchedule: a.cronSchedule ?? '',
    header: a.header ?? null,
    memo: a.memo ?? null,
    searchAttributes: a.searchAttributes ?? null,
  });
  const workflowType = { name: a.workflowType?.name ?? '' };
  run.children.set(initiatedEventId, {
    initiatedEventId,
    namespace,
    workflowId: a.workflowId ?? '',
    workflowType: workflowType.name,
    parentClosePolicy:
      a.parentClosePolicy || temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
  });
  // The child starts after the parent's completion is fully written, as on the real server.
  run.afterCompletion.push(() => {
    if (!run.isRunning) return;
    const state = run.children.get(initiatedEventId);
    if (!state) return;
    try {
      const { run: child } = run.store.startWorkflow(
        namespace,
        {
          workflowId: a.workflowId,
          workflowType,
          taskQueue,
          input: a.input ?? null,
          workflowExecutionTimeout: a.workflowExecutionTimeout ?? null,
          workflowRunTimeout: a.workflowRunTimeout ?? null,
          workflowTaskTimeout: a.workflowTaskTimeout ?? null,
          workflowIdReusePolicy: a.workflowIdReusePolicy ?? 0,
          retryPolicy: a.retryPolicy ?? null,
          header: a.header ?? null,
          memo: a.memo ?? null,
          searchAttributes: a.searchAttributes ?? null,
          identity: run.startAttributes.identity ?? '',
        },
        {
          parent: {
            namespace: run.namespace,
            workflowId: run.workflowId,
            runId: run.runId,
            initiatedEventId,
          },
        },
      );
      state.runId = child.runId;
      run.addWorkflowEvent(() => {
        state.startedEventId = run.append(EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED, {
          namespace,
          initiatedEventId,
          workflowExecution: child.execution,
          workflowType,
          header: a.header ?? null,
        });
      });
    } catch (err) {
      run.children.delete(initiatedEventId);
      const code = (err as { code?: number }).code;
      const FailedCause = temporal.api.enums.v1.StartChildWorkflowExecutionFailedCause;
      run.addWorkflowEvent(() => {
        run.append(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED, {
          namespace,
          workflowId: a.workflowId,
          workflowType,
          cause:
            code === 5 /* NOT_FOUND: namespace */
              ? FailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND
              : FailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS,
          control: a.control ?? '',
          initiatedEventId,
          workflowTaskCompletedEventId: completedId,
        });
      });
    }
  });
}

function signalExternal(
  run: Run,
  a: temporal.api.command.v1.ISignalExternalWorkflowExecutionCommandAttributes,
  completedId: number,
): void {
  const namespace = a.namespace || run.namespace;
  const execution = { workflowId: a.execution?.workflowId ?? '', runId: a.execution?.runId ?? '' };
  const initiatedEventId = run.append(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
    workflowTaskCompletedEventId: completedId,
    namespace,
    workflowExecution: execution,
    signalName: a.signalName,
    input: a.input ?? null,
    control: a.control ?? '',
    childWorkflowOnly: a.childWorkflowOnly ?? false,
    header: a.header ?? null,
  });
  run.afterCompletion.push(() => {
    if (!run.isRunning) return;
    let delivered = false;
    try {
      const target = run.store.findRun(namespace, execution.workflowId, execution.runId || undefined);
      run.store.signal(
        target,
        { name: a.signalName ?? '', input: a.input ?? null, header: a.header ?? null, identity: '' },
        run.execution,
      );
      delivered = true;
    } catch {
      delivered = false;
    }
    run.addWorkflowEvent(() => {
      if (delivered) {
        run.append(EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, {
          initiatedEventId,
          namespace,
          workflowExecution: execution,
          control: a.control ?? '',
        });
      } else {
        run.append(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
          cause:
            temporal.api.enums.v1.SignalExternalWorkflowExecutionFailedCause
              .SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
          workflowTaskCompletedEventId: completedId,
          namespace,
          workflowExecution: execution,
          initiatedEventId,
          control: a.control ?? '',
        });
      }
    });
  });
}

function cancelExternal(
  run: Run,
  a: temporal.api.command.v1.IRequestCancelExternalWorkflowExecutionCommandAttributes,
  completedId: number,
): void {
  const namespace = a.namespace || run.namespace;
  const execution = { workflowId: a.workflowId ?? '', runId: a.runId ?? '' };
  const initiatedEventId = run.append(
    EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
    {
      workflowTaskCompletedEventId: completedId,
      namespace,
      workflowExecution: execution,
      control: a.control ?? '',
      childWorkflowOnly: a.childWorkflowOnly ?? false,
      reason: a.reason ?? '',
    },
  );
  run.afterCompletion.push(() => {
    if (!run.isRunning) return;
    let delivered = false;
    try {
      const target = run.store.findRun(namespace, execution.workflowId, execution.runId || undefined);
      run.store.requestCancel(target, a.reason ?? '', '', { initiatedEventId, execution: run.execution });
      delivered = true;
    } catch {
      delivered = false;
    }
    run.addWorkflowEvent(() => {
      if (delivered) {
        run.append(EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
          initiatedEventId,
          namespace,
          workflowExecution: execution,
        });
      } else {
        run.append(EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED, {
          cause:
            temporal.api.enums.v1.CancelExternalWorkflowExecutionFailedCause
              .CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND,
          workflowTaskCompletedEventId: completedId,
          namespace,
          workflowExecution: execution,
          initiatedEventId,
          control: a.control ?? '',
        });
      }
    });
  });
}
