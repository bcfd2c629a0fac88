/**
 * Builds visibility records and WorkflowExecutionInfo messages from runs, for Describe, List and
 * Count. Search attributes are stored as the payloads the SDK sent and decoded here.
 */
import {
  decodeSearchAttributePayload,
  type SearchAttributeValue,
  type VisibilityRecord,
} from '../visibility';
import { type temporal } from '../proto';
import { int64, timestamp } from '../time';
import type { Run } from './run';

const STATUS_NAMES: Record<number, string> = {
  1: 'Running',
  2: 'Completed',
  3: 'Failed',
  4: 'Canceled',
  5: 'Terminated',
  6: 'ContinuedAsNew',
  7: 'TimedOut',
};

export function executionStatusName(status: number): string {
  return STATUS_NAMES[status] ?? 'Unspecified';
}

/** The run as the visibility query engine sees it. */
export function visibilityRecord(
  run: Run,
  registry: ReadonlyMap<string, import('../visibility').SearchAttributeType>,
): VisibilityRecord {
  const searchAttributes: Record<string, SearchAttributeValue> = {};
  for (const [name, payload] of Object.entries(run.searchAttributes)) {
    try {
      const value = decodeSearchAttributePayload(name, payload, registry, { allowUnregistered: true });
      if (value !== null) searchAttributes[name] = value;
    } catch {
      // A value that no longer fits its type (attribute re-registered) is left out of filtering.
    }
  }
  const record: VisibilityRecord = {
    workflowId: run.workflowId,
    runId: run.runId,
    workflowType: run.workflowType,
    taskQueue: run.taskQueue,
    executionStatus: executionStatusName(run.status),
    startTimeMs: run.startTimeMs,
    executionTimeMs: run.startTimeMs,
    historyLength: run.history.lastEventId,
    searchAttributes,
  };
  if (run.closeTimeMs !== undefined) record.closeTimeMs = run.closeTimeMs;
  return record;
}

/** WorkflowExecutionInfo for Describe and List. */
export function executionInfo(run: Run): temporal.api.workflow.v1.IWorkflowExecutionInfo {
  return {
    execution: run.execution,
    type: { name: run.workflowType },
    startTime: timestamp(run.startTimeMs),
    closeTime: run.closeTimeMs !== undefined ? timestamp(run.closeTimeMs) : null,
    status: run.status,
    historyLength: int64(run.history.lastEventId),
    parentNamespaceId: run.startAttributes.parentWorkflowNamespaceId ?? '',
    parentExecution: run.startAttributes.parentWorkflowExecution ?? null,
    executionTime: timestamp(run.startTimeMs),
    memo: { fields: run.memo },
    searchAttributes: { indexedFields: run.searchAttributes },
    taskQueue: run.taskQueue,
    stateTransitionCount: int64(run.history.lastEventId),
    historySizeBytes: int64(run.history.sizeBytes),
    rootExecution: run.startAttributes.rootWorkflowExecution ?? null,
    firstRunId: run.startAttributes.firstExecutionRunId ?? run.runId,
  };
}
