/**
 * Client-driven WorkflowService calls: start, signal, signal-with-start, cancel, terminate,
 * describe, history (with long poll and pagination), query and updates.
 */
import { invalidArgument, notFound } from '../errors';
import { temporal } from '../proto';
import { int64, msToProto, timestamp, toNumber } from '../time';
import { requireQuery } from '../state/queries';
import { UpdateState } from '../state/updates';
import { executionInfo } from '../state/visibility-records';
import type { Run } from '../state/run';
import type { WorkflowStore } from '../state/store';
import { InvalidSearchAttributeError, decodeSearchAttributes } from '../visibility';
import type { CallContext, HandlerTable, Req } from './types';

const HistoryFilter = temporal.api.enums.v1.HistoryEventFilterType;
const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

/** Timing knobs for long polls (shorter in tests). */
export interface LongPollOptions {
  /** How long history and update long polls wait before returning empty. */
  longPollTimeoutMs: number;
}

interface HistoryPageToken {
  runId: string;
  next: number;
}

function encodePageToken(token: HistoryPageToken): Buffer {
  return Buffer.from(JSON.stringify(token), 'utf8');
}

function decodePageToken(bytes: Uint8Array | null | undefined): HistoryPageToken | null {
  if (!bytes || bytes.length === 0) return null;
  try {
    const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<HistoryPageToken>;
    if (typeof parsed.runId === 'string' && typeof parsed.next === 'number' && parsed.next >= 1) {
      return { runId: parsed.runId, next: parsed.next };
    }
  } catch {
    // fall through
  }
  throw invalidArgument('Invalid NextPageToken.');
}

/** Rejects search attributes that are unknown or do not fit their registered type. */
function validateSearchAttributes(
  store: WorkflowStore,
  namespace: string,
  sa: temporal.api.common.v1.ISearchAttributes | null | undefined,
): void {
  if (!sa?.indexedFields) return;
  try {
    decodeSearchAttributes(sa, store.namespace(namespace).searchAttributes);
  } catch (err) {
    if (err instanceof InvalidSearchAttributeError) throw invalidArgument(err.message);
    throw err;
  }
}

export function workflowHandlers(store: WorkflowStore, options: LongPollOptions): HandlerTable {
  const describe = (run: Run): temporal.api.workflowservice.v1.IDescribeWorkflowExecutionResponse => {
    const wft = run.wft;
    return {
      executionConfig: {
        taskQueue: run.startAttributes.taskQueue ?? null,
        workflowExecutionTimeout: run.startAttributes.workflowExecutionTimeout ?? null,
        workflowRunTimeout: run.startAttributes.workflowRunTimeout ?? null,
        defaultWorkflowTaskTimeout: msToProto(run.workflowTaskTimeoutMs),
      },
      workflowExecutionInfo: executionInfo(run),
      pendingActivities: [...run.activities.values()].map((a) => a.describe()),
      pendingChildren: [...run.children.values()].map((c) => ({
        workflowId: c.workflowId,
        runId: c.runId ?? '',
        workflowTypeName: c.workflowType,
        initiatedId: int64(c.initiatedEventId),
        parentClosePolicy: c.parentClosePolicy,
      })),
      pendingWorkflowTask:
        wft.state === 'none'
          ? null
          : {
              state:
                wft.state === 'started'
                  ? temporal.api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
                  : temporal.api.enums.v1.PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED,
              scheduledTime: timestamp(wft.scheduledTimeMs),
              originalScheduledTime: timestamp(wft.scheduledTimeMs),
              startedTime: wft.state === 'started' ? timestamp(wft.startedTimeMs) : null,
              attempt: wft.attempt,
            },
    };
  };

  /** The close event of `run`, waiting up to the long-poll timeout when asked to. */
  const closeEventPage = async (run: Run, wait: boolean, ctx: CallContext) => {
    const deadline = Date.now() + options.longPollTimeoutMs;
    while (wait && run.isRunning && Date.now() < deadline && !ctx.signal.aborted) {
      await run.history.waitForAppend(deadline - Date.now(), ctx.signal);
    }
    const close = run.closeEvent;
    if (close) return { history: { events: [close] }, nextPageToken: null, archived: false };
    // Still running: a non-empty token makes client.result() poll again instead of spinning.
    return {
      history: { events: [] },
      nextPageToken: encodePageToken({ runId: run.runId, next: 1 }),
      archived: false,
    };
  };

  /** Cancel and terminate may pin the chain they mean by its first run id (TS client: firstExecutionRunId). */
  const findRunForFirstExecution = (req: {
    namespace?: string | null;
    workflowExecution?: temporal.api.common.v1.IWorkflowExecution | null;
    firstExecutionRunId?: string | null;
  }): Run => {
    const run = store.findRun(
      req.namespace ?? '',
      req.workflowExecution?.workflowId,
      req.workflowExecution?.runId,
    );
    if (req.firstExecutionRunId && run.startAttributes.firstExecutionRunId !== req.firstExecutionRunId) {
      throw notFound('workflow execution not found for the given first execution run id');
    }
    return run;
  };

  const table: HandlerTable = {
    async StartWorkflowExecution(req: Req<'StartWorkflowExecutionRequest'>) {
      validateSearchAttributes(store, req.namespace ?? '', req.searchAttributes);
      const { run, started } = store.startWorkflow(req.namespace ?? '', req);
      return { runId: run.runId, started };
    },

    async SignalWithStartWorkflowExecution(req: Req<'SignalWithStartWorkflowExecutionRequest'>) {
      if (!req.signalName) throw invalidArgument('SignalName is not set on request.');
      validateSearchAttributes(store, req.namespace ?? '', req.searchAttributes);
      const ns = store.namespace(req.namespace);
      const signal = {
        name: req.signalName,
        input: req.signalInput ?? null,
        header: req.header ?? null,
        identity: req.identity ?? '',
      };
      const existing = ns.current.get(req.workflowId ?? '');
      if (existing?.isRunning) {
        store.signal(existing, signal);
        return { runId: existing.runId, started: false };
      }
      const { run, started } = store.startWorkflow(
        ns.name,
        { ...req, requestId: req.requestId ?? '' },
        { signal },
      );
      return { runId: run.runId, started };
    },

    async SignalWorkflowExecution(req: Req<'SignalWorkflowExecutionRequest'>) {
      if (!req.signalName) throw invalidArgument('SignalName is not set on request.');
      const run = store.findRun(
        req.namespace ?? '',
        req.workflowExecution?.workflowId,
        req.workflowExecution?.runId,
      );
      store.signal(run, {
        name: req.signalName,
        input: req.input ?? null,
        header: req.header ?? null,
        identity: req.identity ?? '',
      });
      return {};
    },

    async RequestCancelWorkflowExecution(req: Req<'RequestCancelWorkflowExecutionRequest'>) {
      const run = findRunForFirstExecution(req);
      store.requestCancel(run, req.reason ?? '', req.identity ?? '');
      return {};
    },

    async TerminateWorkflowExecution(req: Req<'TerminateWorkflowExecutionRequest'>) {
      const run = findRunForFirstExecution(req);
      store.terminate(run, req.reason ?? '', req.details ?? null, req.identity ?? '');
      return {};
    },

    async DescribeWorkflowExecution(req: Req<'DescribeWorkflowExecutionRequest'>) {
      return describe(store.findRun(req.namespace ?? '', req.execution?.workflowId, req.execution?.runId));
    },

    async GetWorkflowExecutionHistory(req: Req<'GetWorkflowExecutionHistoryRequest'>, ctx: CallContext) {
      let run = store.findRun(req.namespace ?? '', req.execution?.workflowId, req.execution?.runId);
      const token = decodePageToken(req.nextPageToken);
      if (token && token.runId !== run.runId) {
        run = store.findRun(req.namespace ?? '', req.execution?.workflowId, token.runId);
      }
      if (req.historyEventFilterType === HistoryFilter.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT) {
        return closeEventPage(run, !!req.waitNewEvent, ctx);
      }
      const from = token?.next ?? 1;
      if (req.waitNewEvent && run.isRunning && run.history.lastEventId < from) {
        const deadline = Date.now() + options.longPollTimeoutMs;
        while (
          run.isRunning &&
          run.history.lastEventId < from &&
          Date.now() < deadline &&
          !ctx.signal.aborted
        ) {
          await run.history.waitForAppend(deadline - Date.now(), ctx.signal);
        }
      }
      const pageSize = toNumber(req.maximumPageSize) > 0 ? toNumber(req.maximumPageSize) : 1000;
      const events = run.history.events.slice(from - 1, from - 1 + pageSize);
      const next = from + events.length;
      // More pages exist, or the caller long-polls a running run: hand back a cursor.
      const more = next <= run.history.lastEventId || (!!req.waitNewEvent && run.isRunning);
      return {
        history: { events },
        nextPageToken: more ? encodePageToken({ runId: run.runId, next }) : null,
        archived: false,
      };
    },

    async GetWorkflowExecutionHistoryReverse(req: Req<'GetWorkflowExecutionHistoryReverseRequest'>) {
      const run = store.findRun(req.namespace ?? '', req.execution?.workflowId, req.execution?.runId);
      const token = decodePageToken(req.nextPageToken);
      const end = token?.next ?? run.history.lastEventId;
      const pageSize = toNumber(req.maximumPageSize) > 0 ? toNumber(req.maximumPageSize) : 1000;
      const start = Math.max(1, end - pageSize + 1);
      const events = run.history.events.slice(start - 1, end).reverse();
      return {
        history: { events },
        nextPageToken: start > 1 ? encodePageToken({ runId: run.runId, next: start - 1 }) : null,
      };
    },

    async QueryWorkflow(req: Req<'QueryWorkflowRequest'>, ctx: CallContext) {
      const query = requireQuery(req.query);
      const run = store.findRun(req.namespace ?? '', req.execution?.workflowId, req.execution?.runId);
      const Reject = temporal.api.enums.v1.QueryRejectCondition;
      if (!run.isRunning) {
        const condition = req.queryRejectCondition ?? Reject.QUERY_REJECT_CONDITION_NONE;
        const completedCleanly =
          run.status === temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED;
        if (
          condition === Reject.QUERY_REJECT_CONDITION_NOT_OPEN ||
          (condition === Reject.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY && !completedCleanly)
        ) {
          return { queryRejected: { status: run.status } };
        }
      }
      const outcome = await store.queries.query(run, query, ctx.signal);
      if ('error' in outcome) throw invalidArgument(outcome.error);
      return { queryResult: outcome.answer };
    },

    async UpdateWorkflowExecution(req: Req<'UpdateWorkflowExecutionRequest'>, ctx: CallContext) {
      const updateId = req.request?.meta?.updateId ?? '';
      if (!updateId) throw invalidArgument('Update id is not set on request.');
      if (!req.request?.input?.name) throw invalidArgument('Update name is not set on request.');
      const run = findRunForFirstExecution(req);
      let update = run.updates.get(updateId);
      if (!update) {
        if (!run.isRunning) throw notFound('workflow execution already completed');
        update = new UpdateState(updateId, req.request);
        run.updates.set(updateId, update);
        // Delivered with the scheduled task if there is one, else the next one.
        if (run.wft.state === 'none') run.scheduleWorkflowTask();
      }
      const stage =
        req.waitPolicy?.lifecycleStage || Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
      const status = await update.waitFor(stage, options.longPollTimeoutMs, ctx.signal);
      return {
        updateRef: { workflowExecution: run.execution, updateId },
        outcome: status.outcome ?? null,
        stage: status.stage,
      };
    },

    async PollWorkflowExecutionUpdate(req: Req<'PollWorkflowExecutionUpdateRequest'>, ctx: CallContext) {
      const ref = req.updateRef;
      const updateId = ref?.updateId ?? '';
      if (!updateId) throw invalidArgument('Update id is not set on request.');
      const run = store.findRun(
        req.namespace ?? '',
        ref?.workflowExecution?.workflowId,
        ref?.workflowExecution?.runId,
      );
      const update = run.updates.get(updateId);
      if (!update) throw notFound(`update ${updateId} not found`);
      const stage =
        req.waitPolicy?.lifecycleStage || Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
      const status = await update.waitFor(stage, options.longPollTimeoutMs, ctx.signal);
      return {
        outcome: status.outcome ?? null,
        stage: status.stage,
        updateRef: { workflowExecution: run.execution, updateId },
      };
    },
  };

  /**
   * Update-with-start: start (or reuse, per the conflict policy) then update, answered together.
   * The client re-sends until the update is accepted; the start's requestId makes that idempotent.
   */
  table.ExecuteMultiOperation = async (req: Req<'ExecuteMultiOperationRequest'>, ctx: CallContext) => {
    const [first, second, ...rest] = req.operations ?? [];
    const start = first?.startWorkflow;
    const update = second?.updateWorkflow;
    if (!start || !update || rest.length > 0) {
      throw invalidArgument('ExecuteMultiOperation supports exactly [startWorkflow, updateWorkflow].');
    }
    const Conflict = temporal.api.enums.v1.WorkflowIdConflictPolicy;
    if (
      start.workflowIdConflictPolicy !== Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING &&
      start.workflowIdConflictPolicy !== Conflict.WORKFLOW_ID_CONFLICT_POLICY_FAIL
    ) {
      throw invalidArgument('Update-with-start requires WorkflowIdConflictPolicy USE_EXISTING or FAIL.');
    }
    if (update.workflowExecution?.workflowId && update.workflowExecution.workflowId !== start.workflowId) {
      throw invalidArgument('Update-with-start: the update must target the started workflow id.');
    }
    const namespace = req.namespace ?? '';
    const started = (await table.StartWorkflowExecution!({ ...start, namespace }, ctx)) as {
      runId: string;
      started: boolean;
    };
    const updated = await table.UpdateWorkflowExecution!(
      { ...update, namespace, workflowExecution: { workflowId: start.workflowId, runId: started.runId } },
      ctx,
    );
    return { responses: [{ startWorkflow: started }, { updateWorkflow: updated }] };
  };

  return table;
}
