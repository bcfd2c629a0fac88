/**
 * Completing and failing workflow tasks (spec §4.2-4.3): token checks, UnhandledCommand, command
 * application in order with update protocol messages at their ProtocolMessage positions, query
 * answers, then buffered events and the decision whether another task is needed.
 */
import { invalidArgument, notFound } from '../errors';
import { temporal } from '../proto';
import type { TaskToken } from '../task-token';
import { applyCommand, CLOSE_COMMANDS, validateCommands } from './commands';
import { outcomeOf } from './queries';
import type { Run } from './run';

const EventType = temporal.api.enums.v1.EventType;
const CommandType = temporal.api.enums.v1.CommandType;
const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

type IMessage = temporal.api.protocol.v1.IMessage;

/** The run's started workflow task matching `token`, or NOT_FOUND (stale, superseded, closed). */
function requireStartedTask(run: Run, token: TaskToken) {
  const wft = run.wft;
  if (
    !run.isRunning ||
    wft.state !== 'started' ||
    wft.scheduledEventId !== token.seq ||
    wft.attempt !== token.attempt
  ) {
    throw notFound('Workflow task not found.');
  }
  return wft;
}

/** RespondWorkflowTaskCompleted. */
export function completeWorkflowTask(
  run: Run,
  token: TaskToken,
  request: temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedRequest,
): temporal.api.workflowservice.v1.IRespondWorkflowTaskCompletedResponse {
  const wft = requireStartedTask(run, token);
  const identity = request.identity ?? '';
  const commands = request.commands ?? [];
  const messages = request.messages ?? [];
  const messagesById = new Map(messages.map((m) => [m.id ?? '', m]));

  const problem = validateCommands(run, commands, new Set(messagesById.keys()));
  if (problem) {
    run.endStartedWorkflowTask(
      EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
      { cause: problem.cause, failure: { message: problem.message, source: 'Server' }, identity },
      'increment',
    );
    throw invalidArgument(problem.message);
  }
  // A close command while new events wait would lose them (e.g. a signal arriving as the
  // workflow completes): reject, so the worker sees the events in a fresh task.
  const closes = commands.some((c) => CLOSE_COMMANDS.has(c.commandType ?? 0));
  if (closes && run.buffered.length > 0) {
    run.endStartedWorkflowTask(
      EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
      {
        cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
        failure: { message: 'UnhandledCommand', source: 'Server' },
        identity,
      },
      'reset',
    );
    throw invalidArgument('UnhandledCommand');
  }

  run.clearTimer(wft.timeout);
  const completedId = run.append(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
    scheduledEventId: wft.scheduledEventId,
    startedEventId: wft.startedEventId,
    identity,
    binaryChecksum: request.binaryChecksum ?? '',
    workerVersion: request.workerVersionStamp ?? null,
    sdkMetadata: request.sdkMetadata ?? null,
    meteringMetadata: request.meteringMetadata ?? null,
  });
  run.wft = { state: 'none' };
  run.nextWftAttempt = 1;
  run.stickyQueue = request.stickyAttributes?.workerTaskQueue?.name ?? '';
  run.lastCompletedWftStartedId = wft.startedEventId;
  run.completing = true;
  run.wftRequestedDuringCompletion = false;
  try {
    const handled = new Set<string>();
    for (const command of commands) {
      if (!run.isRunning) break;
      if (command.commandType === CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE) {
        const id = command.protocolMessageCommandAttributes?.messageId ?? '';
        handled.add(id);
        applyMessage(run, messagesById.get(id)!);
        continue;
      }
      applyCommand(run, command, completedId, identity);
    }
    // Messages not positioned by a command are applied after the commands.
    for (const message of messages) {
      if (!handled.has(message.id ?? '') && run.isRunning) applyMessage(run, message);
    }
  } finally {
    run.completing = false;
  }

  for (const query of wft.queries) {
    const result = request.queryResults?.[query.id];
    if (result) query.resolve(outcomeOf(result.resultType, result.answer, result.errorMessage));
    else run.pendingQueries.push(query);
  }

  if (run.isRunning) {
    // Updates sent with this task that the worker did not answer go out again.
    let undelivered = false;
    for (const update of run.updates.values()) {
      update.undeliver();
      if (update.awaitingDelivery) undelivered = true;
    }
    const flushed = run.flushBuffered();
    if (
      flushed > 0 ||
      request.forceCreateNewWorkflowTask ||
      run.wftRequestedDuringCompletion ||
      undelivered
    ) {
      run.scheduleWorkflowTask();
    }
    if (run.wft.state === 'none') {
      // No task to ride on: answer waiting queries from a query task instead.
      const queries = run.pendingQueries;
      run.pendingQueries = [];
      for (const q of queries) run.store.queries.dispatchLegacy(run, q);
    }
  }
  const after = run.afterCompletion;
  run.afterCompletion = [];
  for (const action of after) run.store.guard(action);
  return {};
}

/** Applies an update protocol message (Acceptance, Rejection, Response). */
function applyMessage(run: Run, message: IMessage): void {
  const typeUrl = (message.body as { type_url?: string } | null | undefined)?.type_url ?? '';
  const value = message.body?.value ?? new Uint8Array();
  const update = run.updates.get(message.protocolInstanceId ?? '');
  if (!update) return;
  if (typeUrl.endsWith('temporal.api.update.v1.Acceptance')) {
    const acceptance = temporal.api.update.v1.Acceptance.decode(value);
    const eventId = run.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
      protocolInstanceId: update.updateId,
      acceptedRequestMessageId: acceptance.acceptedRequestMessageId || `${update.updateId}/request`,
      acceptedRequestSequencingEventId: acceptance.acceptedRequestSequencingEventId,
      acceptedRequest: acceptance.acceptedRequest ?? update.request,
    });
    update.accepted(eventId);
  } else if (typeUrl.endsWith('temporal.api.update.v1.Rejection')) {
    const rejection = temporal.api.update.v1.Rejection.decode(value);
    update.completed({ failure: rejection.failure ?? { message: 'update rejected' } });
    // Rejected updates leave no trace; forget them so the id can be reused.
    run.updates.delete(update.updateId);
  } else if (typeUrl.endsWith('temporal.api.update.v1.Response')) {
    const response = temporal.api.update.v1.Response.decode(value);
    const outcome = response.outcome ?? {};
    run.append(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
      meta: response.meta ?? update.request.meta ?? null,
      acceptedEventId: update.acceptedEventId,
      outcome,
    });
    update.completed(outcome);
  }
}

/** RespondWorkflowTaskFailed: WorkflowTaskFailed, then a new attempt (with backoff). */
export function failWorkflowTask(
  run: Run,
  token: TaskToken,
  request: temporal.api.workflowservice.v1.IRespondWorkflowTaskFailedRequest,
): void {
  requireStartedTask(run, token);
  run.endStartedWorkflowTask(
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    {
      cause: request.cause ?? Cause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED,
      failure: request.failure ?? null,
      identity: request.identity ?? '',
    },
    'increment',
  );
}
