/**
 * The schedule engine's view of the run store (ScheduledWorkflowPort): starts go through the same
 * path as StartWorkflowExecution, so scheduled runs are ordinary runs.
 */
import type { ScheduledStartResult, ScheduledWorkflowPort } from '../schedules/ports';
import type { temporal } from '../proto';
import type { WorkflowStore } from './store';

export class StoreScheduledWorkflowPort implements ScheduledWorkflowPort {
  constructor(private readonly store: WorkflowStore) {}

  async startWorkflow(
    namespace: string,
    request: temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest,
    extraSearchAttributes: temporal.api.common.v1.ISearchAttributes,
  ): Promise<ScheduledStartResult> {
    // Schedules never reuse a running id: a conflict is an error the engine records.
    const { run } = this.store.startWorkflow(
      namespace,
      { ...request, workflowIdConflictPolicy: 1 },
      { extraSearchAttributes },
    );
    return { workflowId: run.workflowId, runId: run.runId };
  }

  isRunning(namespace: string, workflowId: string, runId: string): boolean {
    const run = this.store.namespaces.get(namespace)?.runs.get(runId);
    return !!run && run.workflowId === workflowId && run.isRunning;
  }

  async requestCancel(namespace: string, workflowId: string, runId: string, reason: string): Promise<void> {
    const run = this.store.namespaces.get(namespace)?.runs.get(runId);
    if (run?.isRunning && run.workflowId === workflowId) this.store.requestCancel(run, reason, 'schedule');
  }

  async terminate(namespace: string, workflowId: string, runId: string, reason: string): Promise<void> {
    const run = this.store.namespaces.get(namespace)?.runs.get(runId);
    if (run?.isRunning && run.workflowId === workflowId) this.store.terminate(run, reason, null, 'schedule');
  }

  onClose(
    namespace: string,
    workflowId: string,
    runId: string,
    listener: (status: number) => void,
  ): () => void {
    const run = this.store.namespaces.get(namespace)?.runs.get(runId);
    if (!run || run.workflowId !== workflowId) {
      listener(0);
      return () => undefined;
    }
    return run.onClose((closed) => listener(closed.status));
  }
}
