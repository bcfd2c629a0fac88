/**
 * Queries (spec §7): consistent queries ride on the next workflow task when one is scheduled or
 * started; otherwise (idle or closed run) the server sends a legacy *query task* carrying the full
 * history, answered with RespondQueryTaskCompleted.
 */
import { ServiceError, invalidArgument, notFound } from '../errors';
import { status } from '@grpc/grpc-js';
import { temporal } from '../proto';
import { encodeTaskToken } from '../task-token';
import { int64 } from '../time';
import type { Run } from './run';
import type { WorkflowStore } from './store';

type IWorkflowQuery = temporal.api.query.v1.IWorkflowQuery;

/** Outcome of a query: an answer, or an error message to return as INVALID_ARGUMENT. */
export type QueryOutcome = { answer: temporal.api.common.v1.IPayloads | null } | { error: string };

/** A query waiting for a worker's answer. */
export interface PendingQuery {
  id: string;
  query: IWorkflowQuery;
  resolve(outcome: QueryOutcome): void;
}

/** How long the server waits for a worker to answer before giving up with DEADLINE_EXCEEDED. */
const QUERY_TIMEOUT_MS = 30_000;

export class QueryDispatcher {
  private nextId = 1;
  /** Legacy query tasks handed out (or queued), by id. */
  private readonly legacy = new Map<string, PendingQuery>();

  constructor(private readonly store: WorkflowStore) {}

  /** Runs a query against `run` and waits for the worker's answer. */
  query(run: Run, query: IWorkflowQuery, signal?: AbortSignal): Promise<QueryOutcome> {
    return new Promise<QueryOutcome>((resolve, reject) => {
      const id = `q${this.nextId++}`;
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.legacy.delete(id);
        run.pendingQueries = run.pendingQueries.filter((q) => q.id !== id);
        fn();
      };
      const pending: PendingQuery = { id, query, resolve: (outcome) => finish(() => resolve(outcome)) };
      const onAbort = (): void => finish(() => reject(new ServiceError(status.CANCELLED, 'query cancelled')));
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new ServiceError(status.DEADLINE_EXCEEDED, 'query timed out: no worker answered')),
          ),
        QUERY_TIMEOUT_MS,
      ).unref();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (run.isRunning && run.wft.state !== 'none') {
        // Consistent query: answered after the events the outstanding task will process.
        run.pendingQueries.push(pending);
      } else {
        this.dispatchLegacy(run, pending);
      }
    });
  }

  /** Sends `pending` as a query task on the run's task queue. */
  dispatchLegacy(run: Run, pending: PendingQuery): void {
    this.legacy.set(pending.id, pending);
    const seq = Number(pending.id.slice(1));
    // Legacy tasks are only sent when no workflow task is outstanding, so the history at this
    // moment ends with a completed task (or the close event): snapshot its length, so a workflow
    // task scheduled before the poll is not shown to the query.
    const historyLength = run.history.lastEventId;
    this.store.workflowTaskQueue(run.namespace, run.taskQueue).push({
      isStale: () => !this.legacy.has(pending.id),
      claim: () => {
        if (!this.legacy.has(pending.id)) return null;
        return {
          taskToken: encodeTaskToken({
            kind: 'query',
            namespace: run.namespace,
            workflowId: run.workflowId,
            runId: run.runId,
            seq,
            attempt: 1,
          }),
          workflowExecution: run.execution,
          workflowType: { name: run.workflowType },
          previousStartedEventId: int64(run.lastCompletedWftStartedId),
          startedEventId: int64(0),
          attempt: 1,
          history: { events: run.history.events.slice(0, historyLength) },
          query: pending.query,
          workflowExecutionTaskQueue: run.startAttributes.taskQueue ?? null,
        };
      },
    });
  }

  /** RespondQueryTaskCompleted. */
  answerLegacy(
    seq: number,
    request: temporal.api.workflowservice.v1.IRespondQueryTaskCompletedRequest,
  ): void {
    const pending = this.legacy.get(`q${seq}`);
    if (!pending) throw notFound('Query task not found.');
    pending.resolve(outcomeOf(request.completedType, request.queryResult, request.errorMessage));
  }
}

/** Converts a worker's query answer into an outcome. */
export function outcomeOf(
  type: number | null | undefined,
  answer: temporal.api.common.v1.IPayloads | null | undefined,
  errorMessage: string | null | undefined,
): QueryOutcome {
  if (type === temporal.api.enums.v1.QueryResultType.QUERY_RESULT_TYPE_ANSWERED)
    return { answer: answer ?? null };
  return { error: errorMessage || 'query failed' };
}

/** Validates a query request's shape. */
export function requireQuery(query: IWorkflowQuery | null | undefined): IWorkflowQuery {
  if (!query || !query.queryType) throw invalidArgument('Query type is not set on request.');
  return query;
}
