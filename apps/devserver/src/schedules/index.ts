/**
 * Schedules for the dev server: spec matching (cron, calendars, intervals, time zones) and the
 * engine behind the WorkflowService schedule RPCs. The engine starts workflows only through
 * {@link ScheduledWorkflowPort}.
 */
export { ScheduleEngine, type ScheduleEngineOptions } from './engine';
export type { ScheduledStartResult, ScheduledWorkflowPort } from './ports';
export {
  compileScheduleSpec,
  parseCalendarSpec,
  parseCronString,
  parseDurationMs,
  MAX_CALENDAR_YEAR,
  MIN_CALENDAR_YEAR,
  type CompileSpecOptions,
  type CompiledScheduleSpec,
  type ParsedCron,
  type ScheduleTime,
} from './spec';
export { loadTimeZone, type TimeZone, type WallClock } from './timezone';
