/** Assembles the WorkflowService and OperatorService handler tables. */
import type { WorkflowStore } from '../state/store';
import { scheduleHandlers, type ScheduleEngineLike } from './schedules';
import { systemHandlers } from './system';
import { taskHandlers } from './tasks';
import type { HandlerTable } from './types';
import { visibilityHandlers } from './visibility';
import { workflowHandlers } from './workflows';

export type { CallContext, Handler, HandlerTable } from './types';

/** Timing knobs shared by the long-polling handlers. */
export interface HandlerOptions {
  longPollTimeoutMs: number;
  taskPollTimeoutMs: number;
}

export function workflowServiceHandlers(
  store: WorkflowStore,
  options: HandlerOptions,
  scheduleEngine: ScheduleEngineLike | undefined,
): HandlerTable {
  const visibility = visibilityHandlers(store);
  return {
    ...systemHandlers(store),
    ...workflowHandlers(store, options),
    ...taskHandlers(store, options),
    ListWorkflowExecutions: visibility.ListWorkflowExecutions!,
    ScanWorkflowExecutions: visibility.ScanWorkflowExecutions!,
    CountWorkflowExecutions: visibility.CountWorkflowExecutions!,
    GetSearchAttributes: visibility.GetSearchAttributes!,
    ...scheduleHandlers(store, scheduleEngine),
  };
}

export function operatorServiceHandlers(store: WorkflowStore): HandlerTable {
  const visibility = visibilityHandlers(store);
  return {
    AddSearchAttributes: visibility.AddSearchAttributes!,
    ListSearchAttributes: visibility.ListSearchAttributes!,
    RemoveSearchAttributes: visibility.RemoveSearchAttributes!,
  };
}
