/**
 * The seam between the dev server's schedule engine and the workflow store.
 * The schedule engine owns schedules (spec matching, overlap policies, recent/future actions);
 * it starts and stops workflows only through this port, so it never reaches into run state.
 */
import type { temporal } from '@temporalio/proto';

/** Outcome of starting a scheduled workflow. */
export interface ScheduledStartResult {
  workflowId: string;
  runId: string;
}

/** What the schedule engine needs from the workflow store. All methods are for one namespace. */
export interface ScheduledWorkflowPort {
  /**
   * Starts a workflow exactly as StartWorkflowExecution would (same validation, same events).
   * `extraSearchAttributes` (TemporalScheduledById, TemporalScheduledStartTime) are merged into the
   * request's search attributes. Throws if a run with that workflow id is already running.
   */
  startWorkflow(
    namespace: string,
    request: temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest,
    extraSearchAttributes: temporal.api.common.v1.ISearchAttributes,
  ): Promise<ScheduledStartResult>;
  /** True while the run is open. Unknown runs are not running. */
  isRunning(namespace: string, workflowId: string, runId: string): boolean;
  /** Requests cancellation (CANCEL_OTHER overlap policy). No-op when the run is closed. */
  requestCancel(namespace: string, workflowId: string, runId: string, reason: string): Promise<void>;
  /** Terminates the run (TERMINATE_OTHER overlap policy). No-op when the run is closed. */
  terminate(namespace: string, workflowId: string, runId: string, reason: string): Promise<void>;
  /**
   * Calls `listener` once when the run closes (immediately if already closed), with its final status
   * (temporal.api.enums.v1.WorkflowExecutionStatus). Returns an unsubscribe function.
   */
  onClose(
    namespace: string,
    workflowId: string,
    runId: string,
    listener: (status: number) => void,
  ): () => void;
}
