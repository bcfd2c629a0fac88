/**
 * Worker-driven WorkflowService calls: long polls for workflow and activity tasks, and the
 * completions, failures, heartbeats and query answers that come back with task tokens.
 */
import type { temporal } from '@temporalio/proto';
import { invalidArgument, notFound } from '../errors';
import { decodeTaskToken, type TaskToken } from '../task-token';
import { nextRetryDelayMs, type ActivityState } from '../state/activity';
import type { WorkflowStore } from '../state/store';
import { completeWorkflowTask, failWorkflowTask } from '../state/workflow-task';
import type { CallContext, HandlerTable, Req } from './types';

/** Timing knobs for task polls. */
export interface TaskPollOptions {
  /** How long an empty task queue poll is held (must stay under core's 70 s client deadline). */
  taskPollTimeoutMs: number;
}

function requireTaskQueue(name: string | null | undefined): string {
  if (!name) throw invalidArgument('TaskQueue is not set on request.');
  if (name.length > 1000) throw invalidArgument('TaskQueue exceeds length limit.');
  return name;
}

export function taskHandlers(store: WorkflowStore, options: TaskPollOptions): HandlerTable {
  const activityFor = (token: TaskToken): ActivityState => {
    const run = store.runForToken(token.namespace, token.workflowId, token.runId);
    const activity = run.isRunning ? run.activities.get(token.seq) : undefined;
    if (!activity) throw notFound('Activity task not found.');
    activity.checkToken(token);
    return activity;
  };

  /** The *ById variants name the activity by workflow and activity id instead of a token. */
  const activityById = (req: {
    namespace?: string | null;
    workflowId?: string | null;
    runId?: string | null;
    activityId?: string | null;
  }): ActivityState => {
    const run = store.findRun(req.namespace ?? '', req.workflowId, req.runId);
    const activity = [...run.activities.values()].find((a) => a.activityId === req.activityId);
    if (!activity || !run.isRunning) throw notFound('Activity task not found.');
    activity.checkToken(activity.token());
    return activity;
  };

  /** Both RespondActivityTaskFailed variants: retry per policy, or close the activity with the failure. */
  const failAttempt = (
    activity: ActivityState,
    req: {
      failure?: temporal.api.failure.v1.IFailure | null;
      lastHeartbeatDetails?: temporal.api.common.v1.IPayloads | null;
      identity?: string | null;
    },
  ): void => {
    const failure = req.failure ?? { message: 'activity failed' };
    activity.attemptFailed(
      failure,
      req.lastHeartbeatDetails,
      nextRetryDelayMs(failure),
      'failure',
      req.identity ?? '',
    );
  };

  return {
    async PollWorkflowTaskQueue(req: Req<'PollWorkflowTaskQueueRequest'>, ctx: CallContext) {
      store.namespace(req.namespace);
      const name = requireTaskQueue(req.taskQueue?.name);
      const response = await store
        .workflowTaskQueue(req.namespace!, name)
        .poll(req.identity ?? '', options.taskPollTimeoutMs, ctx.signal);
      return response ?? {};
    },

    async PollActivityTaskQueue(req: Req<'PollActivityTaskQueueRequest'>, ctx: CallContext) {
      store.namespace(req.namespace);
      const name = requireTaskQueue(req.taskQueue?.name);
      const response = await store
        .activityTaskQueue(req.namespace!, name)
        .poll(req.identity ?? '', options.taskPollTimeoutMs, ctx.signal);
      return response ?? {};
    },

    async RespondWorkflowTaskCompleted(req: Req<'RespondWorkflowTaskCompletedRequest'>) {
      const token = decodeTaskToken(req.taskToken, 'wft');
      return completeWorkflowTask(
        store.runForToken(token.namespace, token.workflowId, token.runId),
        token,
        req,
      );
    },

    async RespondWorkflowTaskFailed(req: Req<'RespondWorkflowTaskFailedRequest'>) {
      const token = decodeTaskToken(req.taskToken, 'wft');
      failWorkflowTask(store.runForToken(token.namespace, token.workflowId, token.runId), token, req);
      return {};
    },

    async RespondQueryTaskCompleted(req: Req<'RespondQueryTaskCompletedRequest'>) {
      const token = decodeTaskToken(req.taskToken, 'query');
      store.queries.answerLegacy(token.seq, req);
      return {};
    },

    async RespondActivityTaskCompleted(req: Req<'RespondActivityTaskCompletedRequest'>) {
      activityFor(decodeTaskToken(req.taskToken, 'activity')).complete(req.result, req.identity ?? '');
      return {};
    },

    async RespondActivityTaskCompletedById(req: Req<'RespondActivityTaskCompletedByIdRequest'>) {
      activityById(req).complete(req.result, req.identity ?? '');
      return {};
    },

    async RespondActivityTaskFailed(req: Req<'RespondActivityTaskFailedRequest'>) {
      failAttempt(activityFor(decodeTaskToken(req.taskToken, 'activity')), req);
      return { failures: [] };
    },

    async RespondActivityTaskFailedById(req: Req<'RespondActivityTaskFailedByIdRequest'>) {
      failAttempt(activityById(req), req);
      return { failures: [] };
    },

    async RespondActivityTaskCanceled(req: Req<'RespondActivityTaskCanceledRequest'>) {
      activityFor(decodeTaskToken(req.taskToken, 'activity')).canceled(req.details, req.identity ?? '');
      return {};
    },

    async RespondActivityTaskCanceledById(req: Req<'RespondActivityTaskCanceledByIdRequest'>) {
      activityById(req).canceled(req.details, req.identity ?? '');
      return {};
    },

    async RecordActivityTaskHeartbeat(req: Req<'RecordActivityTaskHeartbeatRequest'>) {
      const result = activityFor(decodeTaskToken(req.taskToken, 'activity')).heartbeat(req.details);
      return { cancelRequested: result.cancelRequested, activityPaused: false, activityReset: false };
    },

    async RecordActivityTaskHeartbeatById(req: Req<'RecordActivityTaskHeartbeatByIdRequest'>) {
      const result = activityById(req).heartbeat(req.details);
      return { cancelRequested: result.cancelRequested, activityPaused: false, activityReset: false };
    },
  };
}
