/**
 * In-memory schedules: Temporal's CreateSchedule/DescribeSchedule/UpdateSchedule/PatchSchedule/
 * DeleteSchedule/ListSchedules/ListScheduleMatchingTimes/CountSchedules, with the semantics of the
 * real server's scheduler workflow (temporalio/temporal service/worker/scheduler/workflow.go and
 * buffer.go), driven by real (unref'd) timers instead of a workflow.
 *
 * Each schedule processes "elapsed time" in one place: every nominal time whose (jittered) actual
 * time has passed becomes a buffered start, or a missed-catchup-window count when it is older than
 * the catchup window; the buffer is then resolved by the overlap policy against the workflows this
 * schedule started that are still running. Operations on one schedule are serialised so a timer
 * firing during an update cannot interleave with it across the awaits on the port.
 */
import { randomUUID } from 'node:crypto';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { encodeUnifiedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { temporal, type google } from '@temporalio/proto';
import { alreadyExists, failedPrecondition, invalidArgument, notFound } from '../errors';
import type { ScheduledWorkflowPort } from './ports';
import {
  formatRfc3339Seconds,
  int64ToNumber,
  msToDuration,
  msToTimestamp,
  protoToMs,
  toLong,
} from './proto-time';
import { compileScheduleSpec, type CompiledScheduleSpec } from './spec';

import wsv1 = temporal.api.workflowservice.v1;
import schedv1 = temporal.api.schedule.v1;

const Overlap = temporal.api.enums.v1.ScheduleOverlapPolicy;
const ExecutionStatus = temporal.api.enums.v1.WorkflowExecutionStatus;
const ReusePolicy = temporal.api.enums.v1.WorkflowIdReusePolicy;

/** Temporal's defaults (CurrentTweakablePolicies in the real scheduler). */
const DEFAULT_CATCHUP_WINDOW_MS = 365 * 86_400_000;
const MIN_CATCHUP_WINDOW_MS = 10_000;
const RECENT_ACTION_COUNT = 10;
const LIST_ACTION_COUNT = 5;
const MAX_BUFFER_SIZE = 1000;
const MAX_MATCHING_TIMES = 1000;
const DEFAULT_PAGE_SIZE = 1000;
/** setTimeout's ceiling; longer waits re-arm when they fire. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Options for {@link ScheduleEngine}. */
export interface ScheduleEngineOptions {
  /** Clock in epoch ms; defaults to Date.now. Tests inject one and call {@link ScheduleEngine.processDue}. */
  now?: () => number;
  /** How many futureActionTimes Describe returns (Temporal: 10). */
  maxFutureActionTimes?: number;
  /**
   * Called when starting a scheduled workflow fails (the start is dropped, as in Temporal).
   * Defaults to ignoring the failure.
   */
  onStartFailure?: (
    error: unknown,
    context: { namespace: string; scheduleId: string; workflowId: string },
  ) => void;
}

interface BufferedStart {
  nominal: number;
  actual: number;
  /** UNSPECIFIED resolves to the schedule's policy when the buffer is processed, so updates apply. */
  overlapPolicy: temporal.api.enums.v1.ScheduleOverlapPolicy;
  /** Trigger or backfill: ignores pause, remaining actions and the catchup window. */
  manual: boolean;
}

interface RunningWorkflow {
  workflowId: string;
  runId: string;
  unsubscribe?: () => void;
}

interface ScheduleRecord {
  namespace: string;
  scheduleId: string;
  schedule: schedv1.ISchedule;
  compiled: CompiledScheduleSpec;
  memo: temporal.api.common.v1.IMemo | null;
  searchAttributes: temporal.api.common.v1.ISearchAttributes | null;
  actionCount: number;
  missedCatchupWindow: number;
  overlapSkipped: number;
  bufferDropped: number;
  running: RunningWorkflow[];
  recentActions: schedv1.IScheduleActionResult[];
  buffer: BufferedStart[];
  createTime: number;
  updateTime: number | undefined;
  /** Incremented on every change a conflict token must detect. */
  sequence: number;
  /** Nominal times at or before this instant have been processed. */
  processedUntil: number;
  timer: NodeJS.Timeout | undefined;
  queue: Promise<void>;
  deleted: boolean;
}

const key = (namespace: string, scheduleId: string): string => `${namespace}\u0000${scheduleId}`;

function conflictTokenOf(sequence: number): Uint8Array {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(BigInt(sequence));
  return new Uint8Array(bytes);
}

/**
 * The schedules of every namespace, kept in memory. Methods take the namespace resolved by the
 * server and the request as decoded by grpc, and return the proto response.
 */
export class ScheduleEngine {
  private readonly schedules = new Map<string, ScheduleRecord>();
  private readonly now: () => number;
  private readonly maxFutureActionTimes: number;
  private closed = false;

  constructor(
    private readonly port: ScheduledWorkflowPort,
    private readonly options: ScheduleEngineOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxFutureActionTimes = options.maxFutureActionTimes ?? 10;
  }

  /** CreateSchedule: ALREADY_EXISTS for a live id, INVALID_ARGUMENT for a malformed schedule. */
  async createSchedule(
    namespace: string,
    req: wsv1.ICreateScheduleRequest,
  ): Promise<wsv1.ICreateScheduleResponse> {
    const scheduleId = req.scheduleId ?? '';
    if (scheduleId.trim() === '') throw invalidArgument('scheduleId is required');
    const { schedule, compiled } = this.validateSchedule(namespace, scheduleId, req.schedule);
    if (this.schedules.has(key(namespace, scheduleId))) {
      throw alreadyExists(`schedule "${scheduleId}" already exists in namespace "${namespace}"`);
    }
    const now = this.now();
    const rec: ScheduleRecord = {
      namespace,
      scheduleId,
      schedule,
      compiled,
      memo: req.memo ?? null,
      searchAttributes: req.searchAttributes ?? null,
      actionCount: 0,
      missedCatchupWindow: 0,
      overlapSkipped: 0,
      bufferDropped: 0,
      running: [],
      recentActions: [],
      buffer: [],
      createTime: now,
      updateTime: undefined,
      sequence: 1,
      processedUntil: now,
      timer: undefined,
      queue: Promise.resolve(),
      deleted: false,
    };
    this.schedules.set(key(namespace, scheduleId), rec);
    await this.enqueue(rec, async () => {
      if (req.initialPatch) this.applyPatch(rec, req.initialPatch);
      await this.drainBuffer(rec);
      this.arm(rec);
    });
    return { conflictToken: conflictTokenOf(rec.sequence) };
  }

  /** DescribeSchedule: the stored schedule (canonical spec, resolved policies) and its info. */
  async describeSchedule(
    namespace: string,
    req: wsv1.IDescribeScheduleRequest,
  ): Promise<wsv1.IDescribeScheduleResponse> {
    const rec = this.get(namespace, req.scheduleId);
    const running = rec.running.filter((r) => this.port.isRunning(namespace, r.workflowId, r.runId));
    const info: schedv1.IScheduleInfo = {
      actionCount: toLong(rec.actionCount),
      missedCatchupWindow: toLong(rec.missedCatchupWindow),
      overlapSkipped: toLong(rec.overlapSkipped),
      bufferDropped: toLong(rec.bufferDropped),
      bufferSize: toLong(rec.buffer.length),
      runningWorkflows: running.map((r) => ({ workflowId: r.workflowId, runId: r.runId })),
      recentActions: rec.recentActions.map((a) => ({ ...a })),
      futureActionTimes: this.futureActionTimes(rec, this.maxFutureActionTimes),
      createTime: msToTimestamp(rec.createTime),
    };
    if (rec.updateTime !== undefined) info.updateTime = msToTimestamp(rec.updateTime);
    return {
      schedule: rec.schedule,
      info,
      memo: rec.memo,
      searchAttributes: rec.searchAttributes,
      conflictToken: conflictTokenOf(rec.sequence),
    };
  }

  /**
   * UpdateSchedule: replaces spec, action, policies and state. A non-empty conflict token that does
   * not match the current one fails with FAILED_PRECONDITION. Times before the update are not acted on.
   */
  async updateSchedule(
    namespace: string,
    req: wsv1.IUpdateScheduleRequest,
  ): Promise<wsv1.IUpdateScheduleResponse> {
    const rec = this.get(namespace, req.scheduleId);
    const { schedule, compiled } = this.validateSchedule(namespace, rec.scheduleId, req.schedule);
    await this.enqueue(rec, async () => {
      const token = req.conflictToken;
      if (
        token &&
        token.length > 0 &&
        !Buffer.from(token).equals(Buffer.from(conflictTokenOf(rec.sequence)))
      ) {
        throw failedPrecondition(
          `schedule "${rec.scheduleId}" was changed since its conflict token was read; describe it again and retry the update`,
        );
      }
      const now = this.now();
      this.processElapsed(rec, now);
      rec.schedule = schedule;
      rec.compiled = compiled;
      if (req.searchAttributes) rec.searchAttributes = req.searchAttributes;
      if (req.memo) rec.memo = req.memo;
      rec.updateTime = now;
      rec.sequence++;
      rec.processedUntil = Math.max(rec.processedUntil, now);
      await this.drainBuffer(rec);
      this.arm(rec);
    });
    return {};
  }

  /** PatchSchedule: trigger immediately (works while paused), backfill, pause, unpause. */
  async patchSchedule(
    namespace: string,
    req: wsv1.IPatchScheduleRequest,
  ): Promise<wsv1.IPatchScheduleResponse> {
    const rec = this.get(namespace, req.scheduleId);
    const patch = req.patch ?? {};
    for (const [i, bf] of (patch.backfillRequest ?? []).entries()) {
      if (!bf.startTime || !bf.endTime)
        throw invalidArgument(`patch.backfillRequest[${i}] needs startTime and endTime`);
    }
    await this.enqueue(rec, async () => {
      this.processElapsed(rec, this.now());
      this.applyPatch(rec, patch);
      await this.drainBuffer(rec);
      this.arm(rec);
    });
    return {};
  }

  /** DeleteSchedule: stops the schedule; workflows it started keep running, as in Temporal. */
  async deleteSchedule(
    namespace: string,
    req: wsv1.IDeleteScheduleRequest,
  ): Promise<wsv1.IDeleteScheduleResponse> {
    const rec = this.get(namespace, req.scheduleId);
    this.dispose(rec);
    this.schedules.delete(key(namespace, rec.scheduleId));
    return {};
  }

  /**
   * ListSchedules, ordered by schedule id. `query` supports `AND`-ed clauses of the form
   * `ScheduleId = 'x'`, `ScheduleId STARTS_WITH 'x'`, `TemporalSchedulePaused = true|false` and
   * `<custom search attribute> = 'value'` (also `!=`).
   */
  async listSchedules(
    namespace: string,
    req: wsv1.IListSchedulesRequest,
  ): Promise<wsv1.IListSchedulesResponse> {
    const matches = this.matching(namespace, req.query);
    const after =
      req.nextPageToken && req.nextPageToken.length > 0
        ? Buffer.from(req.nextPageToken).toString('utf8')
        : undefined;
    const pageSize = req.maximumPageSize && req.maximumPageSize > 0 ? req.maximumPageSize : DEFAULT_PAGE_SIZE;
    const remaining = after === undefined ? matches : matches.filter((r) => r.scheduleId > after);
    const page = remaining.slice(0, pageSize);
    const last = page[page.length - 1];
    return {
      schedules: page.map((rec) => ({
        scheduleId: rec.scheduleId,
        memo: rec.memo,
        searchAttributes: rec.searchAttributes,
        info: {
          spec: rec.schedule.spec ?? null,
          workflowType: rec.schedule.action?.startWorkflow?.workflowType ?? null,
          notes: rec.schedule.state?.notes ?? '',
          paused: rec.schedule.state?.paused === true,
          recentActions: rec.recentActions.slice(-LIST_ACTION_COUNT),
          futureActionTimes: this.futureActionTimes(rec, LIST_ACTION_COUNT),
        },
      })),
      nextPageToken:
        remaining.length > pageSize && last ? new Uint8Array(Buffer.from(last.scheduleId, 'utf8')) : null,
    };
  }

  /** CountSchedules with the same query subset as {@link listSchedules}. */
  async countSchedules(
    namespace: string,
    req: wsv1.ICountSchedulesRequest,
  ): Promise<wsv1.ICountSchedulesResponse> {
    return { count: toLong(this.matching(namespace, req.query).length) };
  }

  /** ListScheduleMatchingTimes: actual (jittered) times in (startTime, endTime], at most 1000. */
  async listScheduleMatchingTimes(
    namespace: string,
    req: wsv1.IListScheduleMatchingTimesRequest,
  ): Promise<wsv1.IListScheduleMatchingTimesResponse> {
    const rec = this.get(namespace, req.scheduleId);
    const start = protoToMs(req.startTime);
    const end = protoToMs(req.endTime);
    if (start === undefined || end === undefined) throw invalidArgument('startTime and endTime are required');
    const out: number[] = [];
    let cursor = start;
    while (out.length < MAX_MATCHING_TIMES) {
      const next = rec.compiled.next(cursor);
      if (!next || next.actual > end) break;
      out.push(next.actual);
      cursor = next.nominal;
    }
    return { startTime: out.map(msToTimestamp) };
  }

  /**
   * Processes every schedule against the clock now: due actions, buffered starts, timers. Timers do
   * this on their own; tests with an injected clock call it after moving the clock.
   */
  async processDue(): Promise<void> {
    await Promise.all([...this.schedules.values()].map((rec) => this.enqueue(rec, () => this.tick(rec))));
  }

  /** Stops all timers and close listeners. The engine takes no further actions. */
  close(): void {
    this.closed = true;
    for (const rec of this.schedules.values()) this.dispose(rec);
  }

  // -------------------------------------------------------------------------------------------

  private get(namespace: string, scheduleId: string | null | undefined): ScheduleRecord {
    const rec = this.schedules.get(key(namespace, scheduleId ?? ''));
    if (!rec) throw notFound(`schedule not found: "${scheduleId ?? ''}" in namespace "${namespace}"`);
    return rec;
  }

  private validateSchedule(
    namespace: string,
    scheduleId: string,
    input: schedv1.ISchedule | null | undefined,
  ): { schedule: schedv1.ISchedule; compiled: CompiledScheduleSpec } {
    const startWorkflow = input?.action?.startWorkflow;
    if (!startWorkflow) throw invalidArgument('schedule.action.startWorkflow is required');
    if (!startWorkflow.workflowId)
      throw invalidArgument('schedule.action.startWorkflow.workflowId is required');
    if (!startWorkflow.workflowType?.name)
      throw invalidArgument('schedule.action.startWorkflow.workflowType is required');
    if (!startWorkflow.taskQueue?.name)
      throw invalidArgument('schedule.action.startWorkflow.taskQueue is required');
    if (startWorkflow.cronSchedule)
      throw invalidArgument('schedule.action.startWorkflow.cronSchedule is not allowed in a schedule');
    const compiled = compileScheduleSpec(input.spec, { jitterSeed: `${namespace}-${scheduleId}` });
    const policies = input.policies ?? {};
    const catchupMs = protoToMs(policies.catchupWindow);
    const state = input.state ?? {};
    const limitedActions = state.limitedActions === true;
    const schedule: schedv1.ISchedule = {
      spec: compiled.canonical,
      action: input.action ?? null,
      // Defaults are filled eagerly so Describe shows what is in force (as Temporal does).
      policies: {
        overlapPolicy: resolvePolicy(
          policies.overlapPolicy ?? Overlap.SCHEDULE_OVERLAP_POLICY_UNSPECIFIED,
          undefined,
        ),
        catchupWindow: msToDuration(
          catchupMs === undefined ? DEFAULT_CATCHUP_WINDOW_MS : Math.max(catchupMs, MIN_CATCHUP_WINDOW_MS),
        ),
        pauseOnFailure: policies.pauseOnFailure === true,
        keepOriginalWorkflowId: policies.keepOriginalWorkflowId === true,
      },
      state: {
        notes: state.notes ?? '',
        paused: state.paused === true,
        limitedActions,
        remainingActions: toLong(limitedActions ? Math.max(0, int64ToNumber(state.remainingActions)) : 0),
      },
    };
    return { schedule, compiled };
  }

  private enqueue<T>(rec: ScheduleRecord, op: () => Promise<T>): Promise<T> {
    const result = rec.queue.then(() => (rec.deleted ? (undefined as T) : op()));
    // The queue must survive a failed operation; the caller still sees the failure.
    rec.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async tick(rec: ScheduleRecord): Promise<void> {
    this.processElapsed(rec, this.now());
    await this.drainBuffer(rec);
    this.arm(rec);
  }

  private remainingActions(rec: ScheduleRecord): number {
    return int64ToNumber(rec.schedule.state?.remainingActions);
  }

  /** Scheduled (not manual) actions are allowed unless paused or out of remaining actions. */
  private canTakeScheduledAction(rec: ScheduleRecord): boolean {
    const state = rec.schedule.state ?? {};
    if (state.paused) return false;
    return !state.limitedActions || this.remainingActions(rec) > 0;
  }

  /** Turns the nominal times that came due up to `now` into buffered starts. */
  private processElapsed(rec: ScheduleRecord, now: number): void {
    if (!this.canTakeScheduledAction(rec)) {
      // Time spent paused (or exhausted) is skipped, not caught up on unpause.
      rec.processedUntil = Math.max(rec.processedUntil, now);
      return;
    }
    const catchupWindow = protoToMs(rec.schedule.policies?.catchupWindow) ?? DEFAULT_CATCHUP_WINDOW_MS;
    for (;;) {
      const next = rec.compiled.next(rec.processedUntil);
      if (!next || next.actual > now) break;
      rec.processedUntil = next.nominal;
      if (now - next.actual > catchupWindow) {
        rec.missedCatchupWindow++;
        continue;
      }
      this.addStart(rec, { nominal: next.nominal, actual: next.actual, overlapPolicy: 0, manual: false });
    }
  }

  private addStart(rec: ScheduleRecord, start: BufferedStart): void {
    if (rec.buffer.length >= MAX_BUFFER_SIZE) {
      rec.bufferDropped++;
      return;
    }
    rec.buffer.push(start);
  }

  private applyPatch(rec: ScheduleRecord, patch: schedv1.ISchedulePatch): void {
    const now = this.now();
    if (patch.triggerImmediately) {
      const at = protoToMs(patch.triggerImmediately.scheduledTime) ?? now;
      this.addStart(rec, {
        nominal: at,
        actual: at,
        overlapPolicy: patch.triggerImmediately.overlapPolicy ?? 0,
        manual: true,
      });
    }
    for (const bf of patch.backfillRequest ?? []) {
      const start = protoToMs(bf.startTime) ?? now;
      const end = protoToMs(bf.endTime) ?? now;
      // Backfill start is inclusive (Temporal's InclusiveBackfillStartTime).
      let cursor = start - 1;
      for (;;) {
        const next = rec.compiled.next(cursor);
        if (!next || next.actual > end) break;
        this.addStart(rec, {
          nominal: next.nominal,
          actual: next.actual,
          overlapPolicy: bf.overlapPolicy ?? 0,
          manual: true,
        });
        cursor = next.nominal;
      }
    }
    const state = (rec.schedule.state ??= {});
    if (patch.pause) {
      state.paused = true;
      state.notes = patch.pause;
      rec.sequence++;
    }
    if (patch.unpause) {
      state.paused = false;
      state.notes = patch.unpause;
      rec.sequence++;
    }
  }

  private async drainBuffer(rec: ScheduleRecord): Promise<void> {
    // Bounded: each pass removes at least one start or stops when only waiting starts remain.
    for (let i = 0; i < MAX_BUFFER_SIZE + 10 && (await this.processBuffer(rec)); i++);
  }

  /**
   * Resolves buffered starts against the overlap policy (Temporal's ProcessBuffer): ALLOW_ALL starts
   * always run; otherwise at most one start runs when nothing is running; the rest are skipped
   * (SKIP, and BUFFER_ONE beyond its one slot — Temporal counts both in overlapSkipped), kept
   * (BUFFER_ALL), or kept while the running workflow is cancelled/terminated (CANCEL_OTHER,
   * TERMINATE_OTHER). Returns true when another pass may make progress.
   */
  private async processBuffer(rec: ScheduleRecord): Promise<boolean> {
    this.refreshRunning(rec);
    if (rec.buffer.length === 0 || rec.deleted || this.closed) return false;
    const isRunning = rec.running.length > 0;
    const overlapping: BufferedStart[] = [];
    let nonOverlapping: BufferedStart | undefined;
    const newBuffer: BufferedStart[] = [];
    let needCancel = false;
    let needTerminate = false;
    for (const start of rec.buffer) {
      const policy = resolvePolicy(start.overlapPolicy, rec.schedule.policies?.overlapPolicy);
      if (policy === Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) {
        overlapping.push(start);
        continue;
      }
      if (!isRunning && nonOverlapping === undefined) {
        nonOverlapping = start;
        continue;
      }
      switch (policy) {
        case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
          if (newBuffer.length === 0) newBuffer.push(start);
          else rec.overlapSkipped++;
          break;
        case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
          newBuffer.push(start);
          break;
        case Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
        case Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
          if (isRunning) {
            if (policy === Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER) needCancel = true;
            else needTerminate = true;
            newBuffer.push(start);
          } else {
            // Nothing actually runs yet: the newer start replaces the one picked above.
            nonOverlapping = start;
          }
          break;
        default:
          rec.overlapSkipped++;
          break;
      }
    }
    rec.buffer = newBuffer;
    // The cancel/terminate would hit overlapping starts too, so don't bother starting them.
    const starts = needCancel || needTerminate ? [] : overlapping;
    if (nonOverlapping) starts.push(nonOverlapping);
    let tryAgain = false;
    for (const start of starts) {
      if (!start.manual) {
        if (!this.canTakeScheduledAction(rec)) {
          tryAgain = true;
          continue;
        }
        const state = rec.schedule.state ?? {};
        if (state.limitedActions) {
          state.remainingActions = toLong(this.remainingActions(rec) - 1);
          rec.sequence++;
        }
      }
      if (!(await this.startAction(rec, start, start === nonOverlapping))) tryAgain = true;
    }
    if (needTerminate || needCancel) {
      const reason = needTerminate
        ? 'terminated by schedule overlap policy TERMINATE_OTHER'
        : 'cancelled by schedule overlap policy CANCEL_OTHER';
      for (const r of [...rec.running]) {
        if (needTerminate) await this.port.terminate(rec.namespace, r.workflowId, r.runId, reason);
        else await this.port.requestCancel(rec.namespace, r.workflowId, r.runId, reason);
      }
      // A terminate may close the run synchronously; process the kept start without waiting for a wakeup.
      this.refreshRunning(rec);
      if (rec.running.length === 0 && rec.buffer.length > 0) tryAgain = true;
    }
    return tryAgain;
  }

  private refreshRunning(rec: ScheduleRecord): void {
    rec.running = rec.running.filter((r) => {
      if (this.port.isRunning(rec.namespace, r.workflowId, r.runId)) return true;
      r.unsubscribe?.();
      return false;
    });
  }

  /** Starts one workflow; false when the port refused (the start is dropped, as in Temporal). */
  private async startAction(rec: ScheduleRecord, start: BufferedStart, track: boolean): Promise<boolean> {
    const info = rec.schedule.action?.startWorkflow;
    if (!info) return false;
    const workflowId = rec.schedule.policies?.keepOriginalWorkflowId
      ? (info.workflowId ?? '')
      : `${info.workflowId ?? ''}-${formatRfc3339Seconds(start.nominal)}`;
    const request: wsv1.IStartWorkflowExecutionRequest = {
      namespace: rec.namespace,
      workflowId,
      workflowType: info.workflowType ?? null,
      taskQueue: info.taskQueue ?? null,
      input: info.input ?? null,
      workflowExecutionTimeout: info.workflowExecutionTimeout ?? null,
      workflowRunTimeout: info.workflowRunTimeout ?? null,
      workflowTaskTimeout: info.workflowTaskTimeout ?? null,
      identity: `temporal-scheduler-${rec.namespace}-${rec.scheduleId}`,
      requestId: randomUUID(),
      // Manual starts may reuse an id (trigger twice in a second is refused anyway while running).
      workflowIdReusePolicy: start.manual
        ? ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
        : ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
      retryPolicy: info.retryPolicy ?? null,
      memo: info.memo ?? null,
      searchAttributes: info.searchAttributes ?? null,
      header: info.header ?? null,
      userMetadata: info.userMetadata ?? null,
      priority: info.priority ?? null,
    };
    const extra: temporal.api.common.v1.ISearchAttributes = {
      indexedFields: encodeUnifiedSearchAttributes(undefined, [
        {
          key: defineSearchAttributeKey('TemporalScheduledById', SearchAttributeType.KEYWORD),
          value: rec.scheduleId,
        },
        {
          key: defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME),
          value: new Date(Math.floor(start.nominal / 1000) * 1000),
        },
      ]),
    };
    let result;
    try {
      result = await this.port.startWorkflow(rec.namespace, request, extra);
    } catch (err) {
      this.options.onStartFailure?.(err, {
        namespace: rec.namespace,
        scheduleId: rec.scheduleId,
        workflowId,
      });
      return false;
    }
    rec.actionCount++;
    rec.recentActions.push({
      scheduleTime: msToTimestamp(start.actual),
      actualTime: msToTimestamp(this.now()),
      startWorkflowResult: { workflowId: result.workflowId, runId: result.runId },
      startWorkflowStatus: ExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
    });
    if (rec.recentActions.length > RECENT_ACTION_COUNT)
      rec.recentActions.splice(0, rec.recentActions.length - RECENT_ACTION_COUNT);
    // ALLOW_ALL runs are not tracked: they never block other starts (Temporal's DontTrackOverlapping).
    if (track) this.watch(rec, result.workflowId, result.runId);
    return true;
  }

  private watch(rec: ScheduleRecord, workflowId: string, runId: string): void {
    const entry: RunningWorkflow = { workflowId, runId };
    rec.running.push(entry);
    entry.unsubscribe = this.port.onClose(rec.namespace, workflowId, runId, (status) => {
      rec.running = rec.running.filter((r) => r !== entry);
      for (const action of rec.recentActions) {
        if (
          action.startWorkflowResult?.workflowId === workflowId &&
          action.startWorkflowResult.runId === runId
        ) {
          action.startWorkflowStatus = status;
        }
      }
      const state = rec.schedule.state ?? {};
      const failed =
        status === ExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED ||
        status === ExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT;
      if (failed && rec.schedule.policies?.pauseOnFailure && !state.paused) {
        state.paused = true;
        state.notes = `paused due to workflow ${status === ExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED ? 'failure' : 'timeout'}: ${workflowId}`;
        rec.sequence++;
      }
      // A buffered start may be waiting for this run to close.
      if (!rec.deleted && !this.closed && rec.buffer.length > 0)
        void this.enqueue(rec, () => this.tick(rec)).catch(() => undefined);
    });
  }

  /** Arms the timer for the next nominal time; none while paused or out of actions. */
  private arm(rec: ScheduleRecord): void {
    if (rec.timer) clearTimeout(rec.timer);
    rec.timer = undefined;
    if (rec.deleted || this.closed || !this.canTakeScheduledAction(rec)) return;
    const next = rec.compiled.next(rec.processedUntil);
    if (!next) return;
    const delay = Math.min(Math.max(next.actual - this.now(), 0), MAX_TIMER_MS);
    rec.timer = setTimeout(() => {
      rec.timer = undefined;
      void this.enqueue(rec, () => this.tick(rec)).catch(() => undefined);
    }, delay);
    rec.timer.unref();
  }

  private futureActionTimes(rec: ScheduleRecord, max: number): google.protobuf.ITimestamp[] {
    const limited = rec.schedule.state?.limitedActions === true;
    const count = limited ? Math.min(max, this.remainingActions(rec)) : max;
    return rec.compiled.nextTimes(rec.processedUntil, count).map(msToTimestamp);
  }

  private dispose(rec: ScheduleRecord): void {
    rec.deleted = true;
    if (rec.timer) clearTimeout(rec.timer);
    rec.timer = undefined;
    for (const r of rec.running) r.unsubscribe?.();
  }

  private matching(namespace: string, query: string | null | undefined): ScheduleRecord[] {
    const filter = parseListQuery(query ?? '');
    return [...this.schedules.values()]
      .filter((rec) => rec.namespace === namespace && filter(rec))
      .sort((a, b) => (a.scheduleId < b.scheduleId ? -1 : a.scheduleId > b.scheduleId ? 1 : 0));
  }
}

function resolvePolicy(
  policy: temporal.api.enums.v1.ScheduleOverlapPolicy,
  schedulePolicy: temporal.api.enums.v1.ScheduleOverlapPolicy | null | undefined,
): temporal.api.enums.v1.ScheduleOverlapPolicy {
  if (policy) return policy;
  if (schedulePolicy) return schedulePolicy;
  return Overlap.SCHEDULE_OVERLAP_POLICY_SKIP;
}

/** Decodes a search attribute payload (JSON) to a comparable string. */
function searchAttributeText(payload: temporal.api.common.v1.IPayload | undefined): string | undefined {
  if (!payload?.data) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(payload.data).toString('utf8'));
    return String(Array.isArray(value) ? value[0] : value);
  } catch {
    return undefined;
  }
}

/** A deliberately small subset of the visibility query language, enough for listing by id or attribute. */
function parseListQuery(query: string): (rec: ScheduleRecord) => boolean {
  if (query.trim() === '') return () => true;
  const clauses = query.split(/\s+AND\s+/i).map((clause) => {
    const m = /^\s*`?([A-Za-z_][\w]*)`?\s*(=|!=|STARTS_WITH)\s*(?:'([^']*)'|"([^"]*)"|([\w.-]+))\s*$/i.exec(
      clause,
    );
    if (!m) {
      throw invalidArgument(
        `unsupported schedule list query "${clause.trim()}": use <attribute> = 'value', != or STARTS_WITH, joined with AND`,
      );
    }
    const [, field = '', op = '', q1, q2, bare] = m;
    const expected = q1 ?? q2 ?? bare ?? '';
    const compare = (actual: string | undefined): boolean => {
      if (op.toUpperCase() === 'STARTS_WITH') return actual !== undefined && actual.startsWith(expected);
      return op === '=' ? actual === expected : actual !== expected;
    };
    return (rec: ScheduleRecord): boolean => {
      if (field === 'ScheduleId' || field === 'WorkflowId') return compare(rec.scheduleId);
      if (field === 'TemporalSchedulePaused') return compare(String(rec.schedule.state?.paused === true));
      return compare(searchAttributeText(rec.searchAttributes?.indexedFields?.[field] ?? undefined));
    };
  });
  return (rec) => clauses.every((clause) => clause(rec));
}
