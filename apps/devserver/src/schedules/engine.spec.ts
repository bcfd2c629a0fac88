import { status as grpcStatus } from '@grpc/grpc-js';
import * as helpers from '@temporalio/client/lib/schedule-helpers';
import { temporal } from '@temporalio/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../errors';
import { ScheduleEngine } from './engine';
import type { ScheduledStartResult, ScheduledWorkflowPort } from './ports';
import { int64ToNumber, msToDuration, msToTimestamp, protoToMs, toLong } from './proto-time';

type StartRequest = temporal.api.workflowservice.v1.IStartWorkflowExecutionRequest;
type SearchAttributes = temporal.api.common.v1.ISearchAttributes;
type CreateRequest = temporal.api.workflowservice.v1.ICreateScheduleRequest;

const Overlap = temporal.api.enums.v1.ScheduleOverlapPolicy;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;
const NS = 'default';

interface FakeRun {
  workflowId: string;
  runId: string;
  request: StartRequest;
  extra: SearchAttributes;
  status: number;
  listeners: Set<(status: number) => void>;
}

/** In-memory stand-in for the workflow store: runs stay open until the test closes them. */
class FakePort implements ScheduledWorkflowPort {
  readonly runs: FakeRun[] = [];
  readonly cancelRequests: string[] = [];
  failNextStart = false;

  startWorkflow(_ns: string, request: StartRequest, extra: SearchAttributes): Promise<ScheduledStartResult> {
    const workflowId = request.workflowId ?? '';
    if (this.failNextStart) {
      this.failNextStart = false;
      return Promise.reject(new Error('store refused'));
    }
    if (
      this.runs.some(
        (r) => r.workflowId === workflowId && r.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
      )
    ) {
      return Promise.reject(new Error(`workflow ${workflowId} already running`));
    }
    const run: FakeRun = {
      workflowId,
      runId: `run-${this.runs.length + 1}`,
      request,
      extra,
      status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
      listeners: new Set(),
    };
    this.runs.push(run);
    return Promise.resolve({ workflowId, runId: run.runId });
  }

  isRunning(_ns: string, workflowId: string, runId: string): boolean {
    return this.find(workflowId, runId)?.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  requestCancel(_ns: string, workflowId: string): Promise<void> {
    this.cancelRequests.push(workflowId);
    return Promise.resolve();
  }

  terminate(_ns: string, workflowId: string, runId: string): Promise<void> {
    this.close(workflowId, Status.WORKFLOW_EXECUTION_STATUS_TERMINATED, runId);
    return Promise.resolve();
  }

  onClose(_ns: string, workflowId: string, runId: string, listener: (status: number) => void): () => void {
    const run = this.find(workflowId, runId);
    if (!run || run.status !== Status.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      listener(run?.status ?? Status.WORKFLOW_EXECUTION_STATUS_COMPLETED);
      return () => undefined;
    }
    run.listeners.add(listener);
    return () => run.listeners.delete(listener);
  }

  /** Closes the open run of `workflowId` (or a given run) and notifies listeners. */
  close(
    workflowId: string,
    status: number = Status.WORKFLOW_EXECUTION_STATUS_COMPLETED,
    runId?: string,
  ): void {
    const run = this.runs.find(
      (r) =>
        r.workflowId === workflowId &&
        (runId === undefined || r.runId === runId) &&
        r.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
    );
    if (!run) throw new Error(`no open run for ${workflowId}`);
    run.status = status;
    for (const listener of [...run.listeners]) listener(status);
    run.listeners.clear();
  }

  closeAll(): void {
    for (const run of this.runs)
      if (run.status === Status.WORKFLOW_EXECUTION_STATUS_RUNNING) this.close(run.workflowId);
  }

  ids(): string[] {
    return this.runs.map((r) => r.workflowId);
  }

  private find(workflowId: string, runId: string): FakeRun | undefined {
    return this.runs.find((r) => r.workflowId === workflowId && r.runId === runId);
  }
}

const T0 = Date.parse('2024-01-01T00:00:30Z');
const MINUTE = 60_000;

interface Harness {
  port: FakePort;
  engine: ScheduleEngine;
  clock: { now: number };
  /** Moves the fake clock and processes due actions. */
  advanceTo(iso: string): Promise<void>;
}

const engines: ScheduleEngine[] = [];
afterEach(() => {
  for (const e of engines.splice(0)) e.close();
});

function harness(): Harness {
  const port = new FakePort();
  const clock = { now: T0 };
  const engine = new ScheduleEngine(port, { now: () => clock.now });
  engines.push(engine);
  return {
    port,
    engine,
    clock,
    async advanceTo(iso: string) {
      clock.now = Date.parse(iso);
      await engine.processDue();
    },
  };
}

function createRequest(
  scheduleId: string,
  options: {
    overlap?: temporal.api.enums.v1.ScheduleOverlapPolicy;
    paused?: boolean;
    remainingActions?: number;
    catchupWindowMs?: number;
    spec?: temporal.api.schedule.v1.IScheduleSpec;
    pauseOnFailure?: boolean;
  } = {},
): CreateRequest {
  return {
    namespace: NS,
    scheduleId,
    requestId: 'req-1',
    schedule: {
      spec: options.spec ?? { interval: [{ interval: msToDuration(MINUTE) }] },
      action: {
        startWorkflow: { workflowId: 'wf', workflowType: { name: 'noop' }, taskQueue: { name: 'q' } },
      },
      policies: {
        overlapPolicy: options.overlap ?? null,
        catchupWindow: options.catchupWindowMs !== undefined ? msToDuration(options.catchupWindowMs) : null,
        pauseOnFailure: options.pauseOnFailure ?? false,
      },
      state: {
        paused: options.paused ?? false,
        notes: options.paused ? 'created paused' : '',
        limitedActions: options.remainingActions !== undefined,
        remainingActions: options.remainingActions !== undefined ? toLong(options.remainingActions) : null,
      },
    },
    memo: {
      fields: { owner: { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"ops"') } },
    },
    searchAttributes: {
      indexedFields: {
        Team: {
          metadata: { encoding: Buffer.from('json/plain'), type: Buffer.from('Keyword') },
          data: Buffer.from('"infra"'),
        },
      },
    },
  };
}

async function describeInfo(h: Harness, scheduleId = 's1') {
  const res = await h.engine.describeSchedule(NS, { namespace: NS, scheduleId });
  const info = res.info ?? {};
  return {
    res,
    info,
    actionCount: int64ToNumber(info.actionCount),
    overlapSkipped: int64ToNumber(info.overlapSkipped),
    bufferSize: int64ToNumber(info.bufferSize),
    missed: int64ToNumber(info.missedCatchupWindow),
    future: (info.futureActionTimes ?? []).map((ts) => new Date(protoToMs(ts) ?? 0).toISOString()),
  };
}

async function expectCode(promise: Promise<unknown>, code: grpcStatus, fragment: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceError);
  expect((err as ServiceError).code).toBe(code);
  expect((err as ServiceError).message).toContain(fragment);
}

describe('ScheduleEngine actions', () => {
  it('starts workflows at nominal times with the timestamped id and scheduling search attributes', async () => {
    const h = harness();
    await h.engine.createSchedule(NS, createRequest('s1'));
    await h.advanceTo('2024-01-01T00:00:59Z');
    expect(h.port.runs).toHaveLength(0);
    await h.advanceTo('2024-01-01T00:01:00Z');
    expect(h.port.ids()).toEqual(['wf-2024-01-01T00:01:00Z']);
    const run = h.port.runs[0];
    expect(run?.request.workflowType?.name).toBe('noop');
    expect(run?.request.taskQueue?.name).toBe('q');
    expect(run?.request.identity).toBe('temporal-scheduler-default-s1');
    const fields = run?.extra.indexedFields ?? {};
    const byId = fields['TemporalScheduledById'];
    const startTime = fields['TemporalScheduledStartTime'];
    expect(Buffer.from(byId?.metadata?.['encoding'] ?? []).toString()).toBe('json/plain');
    expect(Buffer.from(byId?.metadata?.['type'] ?? []).toString()).toBe('Keyword');
    expect(JSON.parse(Buffer.from(byId?.data ?? []).toString())).toBe('s1');
    expect(Buffer.from(startTime?.metadata?.['type'] ?? []).toString()).toBe('Datetime');
    expect(JSON.parse(Buffer.from(startTime?.data ?? []).toString())).toBe('2024-01-01T00:01:00.000Z');

    const { info, actionCount, future } = await describeInfo(h);
    expect(actionCount).toBe(1);
    expect(info.runningWorkflows).toEqual([{ workflowId: 'wf-2024-01-01T00:01:00Z', runId: 'run-1' }]);
    expect(info.recentActions).toHaveLength(1);
    expect(protoToMs(info.recentActions?.[0]?.scheduleTime)).toBe(Date.parse('2024-01-01T00:01:00Z'));
    expect(protoToMs(info.recentActions?.[0]?.actualTime)).toBe(Date.parse('2024-01-01T00:01:00Z'));
    expect(info.recentActions?.[0]?.startWorkflowResult).toEqual({
      workflowId: 'wf-2024-01-01T00:01:00Z',
      runId: 'run-1',
    });
    expect(future).toHaveLength(10);
    expect(future[0]).toBe('2024-01-01T00:02:00.000Z');
    expect(future[9]).toBe('2024-01-01T00:11:00.000Z');
  });

  it('SKIP (the default) skips starts while the previous run is open', async () => {
    const h = harness();
    await h.engine.createSchedule(NS, createRequest('s1'));
    await h.advanceTo('2024-01-01T00:01:00Z');
    await h.advanceTo('2024-01-01T00:03:00Z');
    expect(h.port.runs).toHaveLength(1);
    expect((await describeInfo(h)).overlapSkipped).toBe(2);
    h.port.close('wf-2024-01-01T00:01:00Z');
    await h.advanceTo('2024-01-01T00:04:00Z');
    expect(h.port.ids()).toEqual(['wf-2024-01-01T00:01:00Z', 'wf-2024-01-01T00:04:00Z']);
    expect((await describeInfo(h)).res.schedule?.policies?.overlapPolicy).toBe(
      Overlap.SCHEDULE_OVERLAP_POLICY_SKIP,
    );
  });

  it('BUFFER_ONE keeps one start and runs it when the open run closes', async () => {
    const h = harness();
    await h.engine.createSchedule(
      NS,
      createRequest('s1', { overlap: Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE }),
    );
    await h.advanceTo('2024-01-01T00:01:00Z');
    await h.advanceTo('2024-01-01T00:03:00Z');
    let d = await describeInfo(h);
    expect(h.port.runs).toHaveLength(1);
    expect(d.bufferSize).toBe(1);
    // Temporal counts the extra overlapping start as skipped (buffer.go), not as bufferDropped.
    expect(d.overlapSkipped).toBe(1);
    h.port.close('wf-2024-01-01T00:01:00Z');
    await h.engine.processDue(); // lets the close-triggered pass finish
    expect(h.port.ids()).toEqual(['wf-2024-01-01T00:01:00Z', 'wf-2024-01-01T00:02:00Z']);
    d = await describeInfo(h);
    expect(d.bufferSize).toBe(0);
    expect(d.actionCount).toBe(2);
  });

  it('BUFFER_ALL runs every overlapping start in turn', async () => {
    const h = harness();
    await h.engine.createSchedule(
      NS,
      createRequest('s1', { overlap: Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL }),
    );
    await h.advanceTo('2024-01-01T00:03:00Z');
    expect(h.port.runs).toHaveLength(1);
    expect((await describeInfo(h)).bufferSize).toBe(2);
    h.port.close('wf-2024-01-01T00:01:00Z');
    await h.engine.processDue();
    h.port.close('wf-2024-01-01T00:02:00Z');
    await h.engine.processDue();
    expect(h.port.ids()).toEqual([
      'wf-2024-01-01T00:01:00Z',
      'wf-2024-01-01T00:02:00Z',
      'wf-2024-01-01T00:03:00Z',
    ]);
  });

  it('ALLOW_ALL starts every time and does not track overlapping runs', async () => {
    const h = harness();
    await h.engine.createSchedule(
      NS,
      createRequest('s1', { overlap: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL }),
    );
    await h.advanceTo('2024-01-01T00:01:00Z');
    await h.advanceTo('2024-01-01T00:02:00Z');
    await h.advanceTo('2024-01-01T00:03:00Z');
    expect(h.port.ids()).toEqual([
      'wf-2024-01-01T00:01:00Z',
      'wf-2024-01-01T00:02:00Z',
      'wf-2024-01-01T00:03:00Z',
    ]);
    const d = await describeInfo(h);
    expect(d.overlapSkipped).toBe(0);
    expect(d.info.runningWorkflows).toEqual([]);
  });

  it('TERMINATE_OTHER terminates the open run and starts the new one; CANCEL_OTHER requests cancellation', async () => {
    const h = harness();
    await h.engine.createSchedule(
      NS,
      createRequest('s1', { overlap: Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER }),
    );
    await h.advanceTo('2024-01-01T00:01:00Z');
    await h.advanceTo('2024-01-01T00:02:00Z');
    expect(h.port.runs.map((r) => [r.workflowId, r.status])).toEqual([
      ['wf-2024-01-01T00:01:00Z', Status.WORKFLOW_EXECUTION_STATUS_TERMINATED],
      ['wf-2024-01-01T00:02:00Z', Status.WORKFLOW_EXECUTION_STATUS_RUNNING],
    ]);

    const c = harness();
    await c.engine.createSchedule(
      NS,
      createRequest('s1', { overlap: Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER }),
    );
    await c.advanceTo('2024-01-01T00:01:00Z');
    await c.advanceTo('2024-01-01T00:02:00Z');
    expect(c.port.cancelRequests).toEqual(['wf-2024-01-01T00:01:00Z']);
    expect(c.port.runs).toHaveLength(1);
    c.port.close('wf-2024-01-01T00:01:00Z', Status.WORKFLOW_EXECUTION_STATUS_CANCELED);
    await c.engine.processDue();
    expect(c.port.ids()).toEqual(['wf-2024-01-01T00:01:00Z', 'wf-2024-01-01T00:02:00Z']);
  });

  it('counts actions older than the catchup window as missed', async () => {
    const h = harness();
    await h.engine.createSchedule(NS, createRequest('s1', { catchupWindowMs: 10_000 }));
    await h.advanceTo('2024-01-01T00:05:05Z');
    expect(h.port.ids()).toEqual(['wf-2024-01-01T00:05:00Z']);
    expect((await describeInfo(h)).missed).toBe(4);
  });

  it('keeps the last 10 recent actions', async () => {
    const h = harness();
    await h.engine.createSchedule(
      NS,
      createRequest('s1', { overlap: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL }),
    );
    await h.advanceTo('2024-01-01T00:12:00Z');
    const d = await describeInfo(h);
    expect(d.actionCount).toBe(12);
    expect(d.info.recentActions).toHaveLength(10);
    expect(d.info.recentActions?.[0]?.startWorkflowResult?.workflowId).toBe('wf-2024-01-01T00:03:00Z');
    expect(d.info.recentActions?.[9]?.startWorkflowResult?.workflowId).toBe('wf-2024-01-01T00:12:00Z');
  });

  it('keeps the original workflow id when the policy asks for it', async () => {
    const h = harness();
    const req = createRequest('s1');
    req.schedule!.policies!.keepOriginalWorkflowId = true;
    await h.engine.createSchedule(NS, req);
    await h.advanceTo('2024-01-01T00:01:00Z');
    expect(h.port.ids()).toEqual(['wf']);
  });

  it('drops a start the store refuses and carries on', async () => {
    const failures: string[] = [];
    const port = new FakePort();
    const clock = { now: T0 };
    const engine = new ScheduleEngine(port, {
      now: () => clock.now,
      onStartFailure: (_e, ctx) => failures.push(ctx.workflowId),
    });
    engines.push(engine);
    await engine.createSchedule(
      NS,
      createRequest('s1', { overlap: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL }),
    );
    port.failNextStart = true;
    clock.now = Date.parse('2024-01-01T00:02:00Z');
    await engine.processDue();
    expect(failures).toEqual(['wf-2024-01-01T00:01:00Z']);
    expect(port.ids()).toEqual(['wf-2024-01-01T00:02:00Z']);
  });
});

describe('ScheduleEngine state: pause, trigger, limits', () => {
  it('does not fire while paused, skips the paused time, and resumes on unpause', async () => {
    const h = harness();
    await h.engine.createSchedule(NS, createRequest('s1'));
    const before = (await describeInfo(h)).res.conflictToken;
    await h.engine.patchSchedule(NS, { namespace: NS, scheduleId: 's1', patch: { pause: 'maintenance' } });
    let d = await describeInfo(h);
    expect(d.res.schedule?.state).toMatchObject({ paused: true, notes: 'maintenance' });
    expect(Buffer.from(d.res.conflictToken ?? []).equals(Buffer.from(before ?? []))).toBe(false);
    await h.advanceTo('2024-01-01T00:05:30Z');
    expect(h.port.runs).toHaveLength(0);
    await h.engine.patchSchedule(NS, { namespace: NS, scheduleId: 's1', patch: { unpause: 'back' } });
    d = await describeInfo(h);
    expect(d.res.schedule?.state).toMatchObject({ paused: false, notes: 'back' });
    expect(h.port.runs).toHaveLength(0); // 00:01..00:05 were skipped, not caught up
    await h.advanceTo('2024-01-01T00:06:00Z');
    expect(h.port.ids()).toEqual(['wf-2024-01-01T00:06:00Z']);
  });

  it('triggers immediately even while paused, with the trigger time in the id', async () => {
    const h = harness();
    await h.engine.createSchedule(NS, createRequest('s1', { paused: true }));
    h.clock.now = Date.parse('2024-01-01T00:00:45.250Z');
    await h.engine.patchSchedule(NS, {
      namespace: NS,
      scheduleId: 's1',
      patch: { triggerImmediately: { overlapPolicy: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL } },
    });
    expect(h.port.ids()).toEqual(['wf-2024-01-01T00:00:45Z']);
    expect(h.port.runs[0]?.request.workflowIdReusePolicy).toBe(
      temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
    );
    expect((await describeInfo(h)).actionCount).toBe(1);
  });

  it('applies an initial patch on create (trigger immediately)', async () => {
    const h = harness();
    const req = createRequest('s1');
    req.initialPatch = { triggerImmediately: { overlapPolicy: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL } };
    await h.engine.createSchedule(NS, req);
    expect(h.port.ids()).toEqual(['wf-2024-01-01T00:00:30Z']);
  });

  it('stops after remainingActions and limits futureActionTimes to them', async () => {
    const h = harness();
    await h.engine.createSchedule(
      NS,
      createRequest('s1', { remainingActions: 2, overlap: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL }),
    );
    expect((await describeInfo(h)).future).toEqual(['2024-01-01T00:01:00.000Z', '2024-01-01T00:02:00.000Z']);
    await h.advanceTo('2024-01-01T00:01:00Z');
    let d = await describeInfo(h);
    expect(int64ToNumber(d.res.schedule?.state?.remainingActions)).toBe(1);
    expect(d.future).toEqual(['2024-01-01T00:02:00.000Z']);
    await h.advanceTo('2024-01-01T00:05:00Z');
    d = await describeInfo(h);
    expect(h.port.ids()).toEqual(['wf-2024-01-01T00:01:00Z', 'wf-2024-01-01T00:02:00Z']);
    expect(int64ToNumber(d.res.schedule?.state?.remainingActions)).toBe(0);
    expect(d.res.schedule?.state?.limitedActions).toBe(true);
    expect(d.future).toEqual([]);
    // Manual triggers are not limited.
    await h.engine.patchSchedule(NS, { namespace: NS, scheduleId: 's1', patch: { triggerImmediately: {} } });
    expect(h.port.runs).toHaveLength(3);
  });

  it('backfills a past range, start inclusive', async () => {
    const h = harness();
    await h.engine.createSchedule(NS, createRequest('s1', { paused: true }));
    await h.engine.patchSchedule(NS, {
      namespace: NS,
      scheduleId: 's1',
      patch: {
        backfillRequest: [
          {
            startTime: msToTimestamp(Date.parse('2023-12-31T23:00:00Z')),
            endTime: msToTimestamp(Date.parse('2023-12-31T23:03:00Z')),
            overlapPolicy: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
          },
        ],
      },
    });
    expect(h.port.ids()).toEqual([
      'wf-2023-12-31T23:00:00Z',
      'wf-2023-12-31T23:01:00Z',
      'wf-2023-12-31T23:02:00Z',
      'wf-2023-12-31T23:03:00Z',
    ]);
  });

  it('pauses on failure when pauseOnFailure is set', async () => {
    const h = harness();
    await h.engine.createSchedule(NS, createRequest('s1', { pauseOnFailure: true }));
    await h.advanceTo('2024-01-01T00:01:00Z');
    h.port.close('wf-2024-01-01T00:01:00Z', Status.WORKFLOW_EXECUTION_STATUS_FAILED);
    const d = await describeInfo(h);
    expect(d.res.schedule?.state?.paused).toBe(true);
    expect(d.res.schedule?.state?.notes).toContain('wf-2024-01-01T00:01:00Z');
    expect(d.info.recentActions?.[0]?.startWorkflowStatus).toBe(Status.WORKFLOW_EXECUTION_STATUS_FAILED);
  });
});

describe('ScheduleEngine CRUD and validation', () => {
  it('stores memo, search attributes, canonical spec and resolved policies', async () => {
    const h = harness();
    await h.engine.createSchedule(
      NS,
      createRequest('s1', { spec: { cronString: ['CRON_TZ=Europe/Paris 0 9 * * *'] } }),
    );
    const { res, future } = await describeInfo(h);
    expect(res.memo).toEqual(createRequest('s1').memo);
    expect(res.searchAttributes).toEqual(createRequest('s1').searchAttributes);
    expect(res.schedule?.spec?.cronString).toEqual([]);
    expect(res.schedule?.spec?.structuredCalendar).toHaveLength(1);
    expect(res.schedule?.spec?.timezoneName).toBe('Europe/Paris');
    expect(protoToMs(res.schedule?.policies?.catchupWindow)).toBe(365 * 86_400_000);
    expect(protoToMs(res.info?.createTime)).toBe(T0);
    expect(future[0]).toBe('2024-01-01T08:00:00.000Z');
  });

  it('rejects a duplicate id, unknown ids and incomplete requests', async () => {
    const h = harness();
    await h.engine.createSchedule(NS, createRequest('s1'));
    await expectCode(h.engine.createSchedule(NS, createRequest('s1')), grpcStatus.ALREADY_EXISTS, 's1');
    const missing = { namespace: NS, scheduleId: 'nope' };
    await expectCode(h.engine.describeSchedule(NS, missing), grpcStatus.NOT_FOUND, 'schedule not found');
    await expectCode(
      h.engine.updateSchedule(NS, { ...missing, schedule: createRequest('x').schedule }),
      grpcStatus.NOT_FOUND,
      'schedule not found',
    );
    await expectCode(
      h.engine.patchSchedule(NS, { ...missing, patch: { pause: 'x' } }),
      grpcStatus.NOT_FOUND,
      'schedule not found',
    );
    await expectCode(h.engine.deleteSchedule(NS, missing), grpcStatus.NOT_FOUND, 'schedule not found');
    // Same id in another namespace is a different schedule.
    await expectCode(
      h.engine.describeSchedule('other', { namespace: 'other', scheduleId: 's1' }),
      grpcStatus.NOT_FOUND,
      'schedule not found',
    );

    await expectCode(
      h.engine.createSchedule(NS, { ...createRequest('s2'), scheduleId: '' }),
      grpcStatus.INVALID_ARGUMENT,
      'scheduleId',
    );
    const noType = createRequest('s2');
    noType.schedule!.action!.startWorkflow!.workflowType = null;
    await expectCode(
      h.engine.createSchedule(NS, noType),
      grpcStatus.INVALID_ARGUMENT,
      'startWorkflow.workflowType',
    );
    const noQueue = createRequest('s2');
    noQueue.schedule!.action!.startWorkflow!.taskQueue = { name: '' };
    await expectCode(
      h.engine.createSchedule(NS, noQueue),
      grpcStatus.INVALID_ARGUMENT,
      'startWorkflow.taskQueue',
    );
    await expectCode(
      h.engine.createSchedule(NS, createRequest('s2', { spec: { cronString: ['not a cron'] } })),
      grpcStatus.INVALID_ARGUMENT,
      'Invalid schedule spec',
    );
    await expectCode(
      h.engine.createSchedule(
        NS,
        createRequest('s2', { spec: { cronString: ['0 0 * * *'], timezoneName: 'Nowhere/Land' } }),
      ),
      grpcStatus.INVALID_ARGUMENT,
      'Nowhere/Land',
    );
  });

  it('checks the conflict token on update and applies the new schedule', async () => {
    const h = harness();
    const created = await h.engine.createSchedule(NS, createRequest('s1'));
    await h.engine.patchSchedule(NS, { namespace: NS, scheduleId: 's1', patch: { pause: 'p' } });
    const hourly = createRequest('s1', { spec: { cronString: ['@hourly'] } }).schedule;
    await expectCode(
      h.engine.updateSchedule(NS, {
        namespace: NS,
        scheduleId: 's1',
        schedule: hourly,
        conflictToken: created.conflictToken ?? null,
      }),
      grpcStatus.FAILED_PRECONDITION,
      'conflict token',
    );
    const current = (await describeInfo(h)).res.conflictToken;
    h.clock.now = Date.parse('2024-01-01T00:10:00Z');
    await h.engine.updateSchedule(NS, {
      namespace: NS,
      scheduleId: 's1',
      schedule: hourly,
      conflictToken: current ?? null,
    });
    const d = await describeInfo(h);
    expect(protoToMs(d.info.updateTime)).toBe(Date.parse('2024-01-01T00:10:00Z'));
    expect(d.res.schedule?.state?.paused).toBe(false);
    expect(d.future[0]).toBe('2024-01-01T01:00:00.000Z');
    // Without a token the update is unconditional (the TS client sends none).
    await h.engine.updateSchedule(NS, { namespace: NS, scheduleId: 's1', schedule: hourly });
  });

  it('deletes a schedule so it no longer fires', async () => {
    const h = harness();
    await h.engine.createSchedule(NS, createRequest('s1'));
    await h.engine.deleteSchedule(NS, { namespace: NS, scheduleId: 's1' });
    await h.advanceTo('2024-01-01T00:05:00Z');
    expect(h.port.runs).toHaveLength(0);
    await h.engine.createSchedule(NS, createRequest('s1')); // the id is free again
  });

  it('lists with paging and a simple query, and counts', async () => {
    const h = harness();
    for (const id of ['c', 'a', 'b'])
      await h.engine.createSchedule(NS, createRequest(id, { paused: id === 'b' }));
    const first = await h.engine.listSchedules(NS, { namespace: NS, maximumPageSize: 2 });
    expect(first.schedules?.map((s) => s.scheduleId)).toEqual(['a', 'b']);
    expect(first.nextPageToken?.length).toBeGreaterThan(0);
    const second = await h.engine.listSchedules(NS, {
      namespace: NS,
      maximumPageSize: 2,
      nextPageToken: first.nextPageToken ?? null,
    });
    expect(second.schedules?.map((s) => s.scheduleId)).toEqual(['c']);
    expect(second.nextPageToken ?? null).toBeNull();
    const entry = first.schedules?.[0];
    expect(entry?.info?.workflowType?.name).toBe('noop');
    expect(entry?.info?.futureActionTimes).toHaveLength(5);
    expect(first.schedules?.[1]?.info).toMatchObject({ paused: true, notes: 'created paused' });

    const paused = await h.engine.listSchedules(NS, {
      namespace: NS,
      query: 'TemporalSchedulePaused = true',
    });
    expect(paused.schedules?.map((s) => s.scheduleId)).toEqual(['b']);
    const byAttr = await h.engine.listSchedules(NS, {
      namespace: NS,
      query: `Team = 'infra' AND ScheduleId != 'a'`,
    });
    expect(byAttr.schedules?.map((s) => s.scheduleId)).toEqual(['b', 'c']);
    expect(int64ToNumber((await h.engine.countSchedules(NS, { namespace: NS })).count)).toBe(3);
    expect(int64ToNumber((await h.engine.countSchedules('other', { namespace: 'other' })).count)).toBe(0);
    await expectCode(
      h.engine.listSchedules(NS, { namespace: NS, query: 'Team LIKE x' }),
      grpcStatus.INVALID_ARGUMENT,
      'unsupported',
    );
  });

  it('lists matching times in a range', async () => {
    const h = harness();
    await h.engine.createSchedule(NS, createRequest('s1', { spec: { cronString: ['0 */6 * * *'] } }));
    const res = await h.engine.listScheduleMatchingTimes(NS, {
      namespace: NS,
      scheduleId: 's1',
      startTime: msToTimestamp(Date.parse('2024-01-01T00:00:00Z')),
      endTime: msToTimestamp(Date.parse('2024-01-02T00:00:00Z')),
    });
    expect(res.startTime?.map((ts) => new Date(protoToMs(ts) ?? 0).toISOString())).toEqual([
      '2024-01-01T06:00:00.000Z',
      '2024-01-01T12:00:00.000Z',
      '2024-01-01T18:00:00.000Z',
      '2024-01-02T00:00:00.000Z',
    ]);
    await expectCode(
      h.engine.listScheduleMatchingTimes(NS, { namespace: NS, scheduleId: 's1' }),
      grpcStatus.INVALID_ARGUMENT,
      'startTime',
    );
  });
});

describe('ScheduleEngine with real timers', () => {
  it('fires on its own every second and stops after close()', async () => {
    const port = new FakePort();
    const engine = new ScheduleEngine(port);
    engines.push(engine);
    await engine.createSchedule(
      NS,
      createRequest('s1', {
        spec: { interval: [{ interval: msToDuration(1000) }] },
        overlap: Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1150));
    const started = port.runs.length;
    expect(started).toBeGreaterThanOrEqual(1);
    expect(started).toBeLessThanOrEqual(2);
    for (const id of port.ids()) expect(id).toMatch(/^wf-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    engine.close();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(port.runs.length).toBe(started);
    port.closeAll();
  });
});

describe('ScheduleEngine with requests encoded by the real TS client', () => {
  it('round-trips calendars, intervals and state through protobuf encoding', async () => {
    const wsv1 = temporal.api.workflowservice.v1;
    const calendars = [{ hour: [9, 17], minute: 30, dayOfWeek: ['MONDAY', 'FRIDAY'] as const }];
    const spec = helpers.encodeScheduleSpec({
      calendars: calendars.map((c) => ({ ...c, dayOfWeek: [...c.dayOfWeek] })),
      intervals: [{ every: '2h', offset: '15m' }],
      timezone: 'Europe/Paris',
    });
    const encoded = wsv1.CreateScheduleRequest.encode({
      ...createRequest('s1'),
      schedule: {
        spec,
        action: createRequest('s1').schedule?.action ?? null,
        policies: helpers.encodeSchedulePolicies({ overlap: 'BUFFER_ONE', catchupWindow: '1m' }),
        state: helpers.encodeScheduleState({ paused: false, remainingActions: 6 }),
      },
      initialPatch: { triggerImmediately: undefined, backfillRequest: undefined },
    }).finish();
    const h = harness();
    await h.engine.createSchedule(NS, wsv1.CreateScheduleRequest.decode(encoded));
    const res = wsv1.DescribeScheduleResponse.decode(
      wsv1.DescribeScheduleResponse.encode(
        await h.engine.describeSchedule(NS, { namespace: NS, scheduleId: 's1' }),
      ).finish(),
    );
    const decoded = helpers.decodeScheduleSpec(res.schedule?.spec ?? {});
    expect(decoded.calendars).toEqual([
      expect.objectContaining({
        hour: [
          { start: 9, end: 9, step: 1 },
          { start: 17, end: 17, step: 1 },
        ],
        minute: [{ start: 30, end: 30, step: 1 }],
        dayOfWeek: [
          { start: 'MONDAY', end: 'MONDAY', step: 1 },
          { start: 'FRIDAY', end: 'FRIDAY', step: 1 },
        ],
      }),
    ]);
    expect(decoded.intervals).toEqual([{ every: 7_200_000, offset: 900_000 }]);
    expect(decoded.timezone).toBe('Europe/Paris');
    expect(res.schedule?.state?.remainingActions?.toNumber()).toBe(6);
    expect(res.schedule?.policies?.overlapPolicy).toBe(Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE);
    // 2024-01-01 is a Monday: 09:30 Paris = 08:30Z; the interval fires at 00:15Z, 02:15Z, …;
    // six remaining actions limit the list to six times.
    const future = (res.info?.futureActionTimes ?? []).map((ts) =>
      new Date(protoToMs(ts) ?? 0).toISOString(),
    );
    expect(future).toEqual([
      '2024-01-01T00:15:00.000Z',
      '2024-01-01T02:15:00.000Z',
      '2024-01-01T04:15:00.000Z',
      '2024-01-01T06:15:00.000Z',
      '2024-01-01T08:15:00.000Z',
      '2024-01-01T08:30:00.000Z',
    ]);
    expect(res.conflictToken?.length).toBe(8);
  });
});
