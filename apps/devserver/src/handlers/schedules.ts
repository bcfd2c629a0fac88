/**
 * Schedule RPCs, delegated to the schedule engine (src/schedules/engine.ts), which starts
 * workflows through the store's ScheduledWorkflowPort.
 */
import { unimplemented } from '../errors';
import type { WorkflowStore } from '../state/store';
import type { HandlerTable } from './types';

/** The part of the schedule engine the handlers call. Each method takes and returns proto objects. */
export interface ScheduleEngineLike {
  createSchedule(ns: string, req: unknown): Promise<object> | object;
  describeSchedule(ns: string, req: unknown): Promise<object> | object;
  updateSchedule(ns: string, req: unknown): Promise<object> | object;
  patchSchedule(ns: string, req: unknown): Promise<object> | object;
  deleteSchedule(ns: string, req: unknown): Promise<object> | object;
  listSchedules(ns: string, req: unknown): Promise<object> | object;
  listScheduleMatchingTimes(ns: string, req: unknown): Promise<object> | object;
  countSchedules?(ns: string, req: unknown): Promise<object> | object;
  close(): void;
}

export function scheduleHandlers(store: WorkflowStore, engine: ScheduleEngineLike | undefined): HandlerTable {
  const call =
    (
      method: string,
      fn: (e: ScheduleEngineLike, ns: string, req: { namespace?: string | null }) => Promise<object> | object,
    ) =>
    async (req: { namespace?: string | null }): Promise<object> => {
      const ns = store.namespace(req.namespace).name;
      if (!engine) throw unimplemented(method);
      return fn(engine, ns, req);
    };
  return {
    CreateSchedule: call('CreateSchedule', (e, ns, r) => e.createSchedule(ns, r)),
    DescribeSchedule: call('DescribeSchedule', (e, ns, r) => e.describeSchedule(ns, r)),
    UpdateSchedule: call('UpdateSchedule', (e, ns, r) => e.updateSchedule(ns, r)),
    PatchSchedule: call('PatchSchedule', (e, ns, r) => e.patchSchedule(ns, r)),
    DeleteSchedule: call('DeleteSchedule', (e, ns, r) => e.deleteSchedule(ns, r)),
    ListSchedules: call('ListSchedules', (e, ns, r) => e.listSchedules(ns, r)),
    ListScheduleMatchingTimes: call('ListScheduleMatchingTimes', (e, ns, r) =>
      e.listScheduleMatchingTimes(ns, r),
    ),
    CountSchedules: call('CountSchedules', (e, ns, r) => {
      if (!e.countSchedules) throw unimplemented('CountSchedules');
      return e.countSchedules(ns, r);
    }),
  };
}
