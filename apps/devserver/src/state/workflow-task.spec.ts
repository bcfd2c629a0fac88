/**
 * The workflow-task state machine and activity lifecycle, driven through the transport-independent
 * handler table (no gRPC, no SDK): event buffering, UnhandledCommand, WFT timeout, stale tokens,
 * lazy ActivityTaskStarted and retries.
 */
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workflowServiceHandlers, type HandlerTable } from '../handlers';
import { temporal } from '../proto';
import { TaskQueue } from '../task-queue';
import { msToProto } from '../time';
import { normalizeActivityTimeouts } from './activity';
import { WorkflowStore } from './store';

const EventType = temporal.api.enums.v1.EventType;
const CommandType = temporal.api.enums.v1.CommandType;

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

let store: WorkflowStore;
let api: HandlerTable;
const ctx = () => ({ signal: new AbortController().signal });

beforeEach(() => {
  store = new WorkflowStore(silent);
  store.addNamespace('default');
  api = workflowServiceHandlers(store, { longPollTimeoutMs: 200, taskPollTimeoutMs: 200 }, undefined);
});

afterEach(() => store.stop());

type PollWft = temporal.api.workflowservice.v1.IPollWorkflowTaskQueueResponse;
type PollActivity = temporal.api.workflowservice.v1.IPollActivityTaskQueueResponse;

async function start(workflowId: string, extra: object = {}): Promise<string> {
  const res = (await api.StartWorkflowExecution!(
    {
      namespace: 'default',
      workflowId,
      workflowType: { name: 'wf' },
      taskQueue: { name: 'tq' },
      requestId: workflowId,
      ...extra,
    },
    ctx(),
  )) as { runId: string };
  return res.runId;
}

const pollWft = async (): Promise<PollWft> =>
  (await api.PollWorkflowTaskQueue!(
    { namespace: 'default', taskQueue: { name: 'tq' }, identity: 'test' },
    ctx(),
  )) as PollWft;
const pollActivity = async (): Promise<PollActivity> =>
  (await api.PollActivityTaskQueue!(
    { namespace: 'default', taskQueue: { name: 'tq' }, identity: 'test' },
    ctx(),
  )) as PollActivity;
const complete = (taskToken: Uint8Array | null | undefined, commands: object[] = [], extra: object = {}) =>
  api.RespondWorkflowTaskCompleted!(
    { namespace: 'default', taskToken, commands, identity: 'test', ...extra },
    ctx(),
  );
const signal = (workflowId: string) =>
  api.SignalWorkflowExecution!(
    { namespace: 'default', workflowExecution: { workflowId }, signalName: 's', identity: 'test' },
    ctx(),
  );

function types(workflowId: string): string[] {
  const run = store.findRun('default', workflowId);
  return run.history.events.map((e) => (EventType[e.eventType ?? 0] ?? '?').replace('EVENT_TYPE_', ''));
}

const completeWorkflow = {
  commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  completeWorkflowExecutionCommandAttributes: {},
};

describe('workflow task state machine', () => {
  it('buffers a signal that arrives while a workflow task is started', async () => {
    await start('buffer');
    const task = await pollWft();
    await signal('buffer');
    // Nothing may be written between WorkflowTaskStarted and WorkflowTaskCompleted.
    expect(types('buffer')).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    await complete(task.taskToken);
    expect(types('buffer')).toEqual([
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const next = await pollWft();
    expect(Number(next.previousStartedEventId)).toBe(3);
    expect(next.history?.events?.at(-1)?.eventType).toBe(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
  });

  it('does not schedule a second task while one is scheduled', async () => {
    await start('single');
    await signal('single');
    await signal('single');
    expect(types('single').filter((t) => t === 'WORKFLOW_TASK_SCHEDULED')).toHaveLength(1);
  });

  it('rejects a close command with buffered events as UnhandledCommand and keeps the signal', async () => {
    await start('unhandled');
    const task = await pollWft();
    await signal('unhandled');
    await expect(complete(task.taskToken, [completeWorkflow])).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      message: 'UnhandledCommand',
    });
    const run = store.findRun('default', 'unhandled');
    expect(run.isRunning).toBe(true);
    expect(types('unhandled').slice(3)).toEqual([
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    expect(run.history.events[3]?.workflowTaskFailedEventAttributes?.cause).toBe(
      temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    );
    // The retry is immediate (attempt 1), and completing it closes the run.
    const retry = await pollWft();
    expect(retry.attempt).toBe(1);
    await complete(retry.taskToken, [completeWorkflow]);
    expect(run.isRunning).toBe(false);
  });

  it('times out a started task, rejects its stale token, and reschedules with attempt 2', async () => {
    await start('timeout', { workflowTaskTimeout: msToProto(50) });
    const task = await pollWft();
    await new Promise((r) => setTimeout(r, 120));
    expect(types('timeout').slice(3)).toEqual(['WORKFLOW_TASK_TIMED_OUT', 'WORKFLOW_TASK_SCHEDULED']);
    await expect(complete(task.taskToken)).rejects.toMatchObject({ code: status.NOT_FOUND });
    // Retries back off (1 s for attempt 2) so a crashing worker cannot spin the server.
    const before = Date.now();
    const retry = await store.workflowTaskQueue('default', 'tq').poll('test', 5_000);
    expect(retry?.attempt).toBe(2);
    expect(Date.now() - before).toBeGreaterThanOrEqual(800);
  });

  it('fails a task for an invalid command and records the cause', async () => {
    await start('invalid');
    const task = await pollWft();
    await expect(
      complete(task.taskToken, [
        {
          commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
          scheduleActivityTaskCommandAttributes: { activityId: '1', activityType: { name: 'a' } },
        },
      ]),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(types('invalid').slice(3)).toEqual(['WORKFLOW_TASK_FAILED', 'WORKFLOW_TASK_SCHEDULED']);
  });

  it('schedules a new task at once when forceCreateNewWorkflowTask is set', async () => {
    await start('force');
    const task = await pollWft();
    await complete(task.taskToken, [], { forceCreateNewWorkflowTask: true });
    expect(types('force').at(-1)).toBe('WORKFLOW_TASK_SCHEDULED');
  });
});

describe('activities', () => {
  const scheduleActivity = {
    commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
    scheduleActivityTaskCommandAttributes: {
      activityId: '1',
      activityType: { name: 'act' },
      taskQueue: { name: 'tq' },
      startToCloseTimeout: msToProto(5_000),
      retryPolicy: { initialInterval: msToProto(10), maximumAttempts: 3 },
    },
  };

  it('writes ActivityTaskStarted lazily, once, for the attempt that finished', async () => {
    await start('lazy');
    await complete((await pollWft()).taskToken, [scheduleActivity]);
    const first = await pollActivity();
    expect(first.attempt).toBe(1);
    expect(first.scheduleToCloseTimeout).toBeTruthy();
    expect(types('lazy').at(-1)).toBe('ACTIVITY_TASK_SCHEDULED');
    await api.RespondActivityTaskFailed!(
      {
        namespace: 'default',
        taskToken: first.taskToken,
        failure: { message: 'boom', applicationFailureInfo: { type: 'X' } },
      },
      ctx(),
    );
    expect(types('lazy').at(-1)).toBe('ACTIVITY_TASK_SCHEDULED');
    const second = await pollActivity();
    expect(second.attempt).toBe(2);
    // The first attempt's token is stale now.
    await expect(
      api.RespondActivityTaskCompleted!({ namespace: 'default', taskToken: first.taskToken }, ctx()),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
    await api.RespondActivityTaskCompleted!({ namespace: 'default', taskToken: second.taskToken }, ctx());
    expect(types('lazy').slice(-3)).toEqual([
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const started = store
      .findRun('default', 'lazy')
      .history.events.find((e) => e.activityTaskStartedEventAttributes);
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);
  });

  it('stops at maximumAttempts with ActivityTaskFailed', async () => {
    await start('maxattempts');
    await complete((await pollWft()).taskToken, [scheduleActivity]);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const task = await pollActivity();
      expect(task.attempt).toBe(attempt);
      await api.RespondActivityTaskFailed!(
        { namespace: 'default', taskToken: task.taskToken, failure: { message: 'boom' } },
        ctx(),
      );
    }
    const failed = store
      .findRun('default', 'maxattempts')
      .history.events.find((e) => e.activityTaskFailedEventAttributes);
    expect(failed?.activityTaskFailedEventAttributes?.retryState).toBe(
      temporal.api.enums.v1.RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED,
    );
  });

  const timedOut = (workflowId: string) =>
    store.findRun('default', workflowId).history.events.find((e) => e.activityTaskTimedOutEventAttributes)
      ?.activityTaskTimedOutEventAttributes;

  it('times out an activity nobody picks up (schedule-to-start), without a Started event', async () => {
    await start('s2s');
    const attrs = {
      ...scheduleActivity.scheduleActivityTaskCommandAttributes,
      taskQueue: { name: 'nobody-polls' },
      scheduleToStartTimeout: msToProto(50),
    };
    await complete((await pollWft()).taskToken, [
      { ...scheduleActivity, scheduleActivityTaskCommandAttributes: attrs },
    ]);
    await new Promise((r) => setTimeout(r, 120));
    expect(timedOut('s2s')?.failure?.timeoutFailureInfo?.timeoutType).toBe(
      temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
    );
    expect(Number(timedOut('s2s')?.startedEventId)).toBe(0);
    expect(types('s2s')).not.toContain('ACTIVITY_TASK_STARTED');
  });

  it('stops retrying at schedule-to-close with retry state TIMEOUT and the last failure', async () => {
    await start('s2c');
    const attrs = {
      ...scheduleActivity.scheduleActivityTaskCommandAttributes,
      scheduleToCloseTimeout: msToProto(150),
      retryPolicy: { initialInterval: msToProto(10), backoffCoefficient: 1 },
    };
    await complete((await pollWft()).taskToken, [
      { ...scheduleActivity, scheduleActivityTaskCommandAttributes: attrs },
    ]);
    const run = store.findRun('default', 's2c');
    const deadline = Date.now() + 2_000;
    while (run.activities.size > 0 && Date.now() < deadline) {
      const task = await store.activityTaskQueue('default', 'tq').poll('test', 100);
      if (task) {
        await api.RespondActivityTaskFailed!(
          {
            namespace: 'default',
            taskToken: task.taskToken,
            failure: { message: `attempt ${task.attempt}` },
          },
          ctx(),
        );
      }
    }
    // Either the next retry would start past the deadline (ActivityTaskFailed) or the deadline
    // passed while an attempt was queued (ActivityTaskTimedOut, last failure as the cause).
    const failed = run.history.events.find(
      (e) => e.activityTaskFailedEventAttributes,
    )?.activityTaskFailedEventAttributes;
    const timedOutAttrs = timedOut('s2c');
    const terminal = failed ?? timedOutAttrs;
    expect(terminal?.retryState).toBe(temporal.api.enums.v1.RetryState.RETRY_STATE_TIMEOUT);
    const lastFailure = failed ? failed.failure : timedOutAttrs?.failure?.cause;
    expect(lastFailure?.message).toMatch(/^attempt \d+$/);
    expect(types('s2c').filter((t) => t === 'ACTIVITY_TASK_STARTED').length).toBeLessThanOrEqual(1);
  });

  it('normalises timeouts as the real server does', () => {
    expect(normalizeActivityTimeouts({ startToCloseTimeout: msToProto(1000) }, 0)).toEqual({
      scheduleToCloseMs: 0,
      scheduleToStartMs: 0,
      startToCloseMs: 1000,
      heartbeatMs: 0,
    });
    expect(
      normalizeActivityTimeouts(
        {
          scheduleToCloseTimeout: msToProto(500),
          startToCloseTimeout: msToProto(1000),
          heartbeatTimeout: msToProto(2000),
        },
        0,
      ),
    ).toEqual({
      scheduleToCloseMs: 500,
      scheduleToStartMs: 500,
      startToCloseMs: 500,
      heartbeatMs: 500,
    });
    expect(typeof normalizeActivityTimeouts({}, 0)).toBe('string');
  });
});

describe('retention', () => {
  it('forgets runs closed longer ago than the retention period, never open ones', async () => {
    await start('closed');
    await start('open');
    await api.TerminateWorkflowExecution!(
      { namespace: 'default', workflowExecution: { workflowId: 'closed' }, reason: 'done' },
      ctx(),
    );
    expect(store.purgeClosedRuns(60_000)).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(store.purgeClosedRuns(10)).toBe(1);
    expect(() => store.findRun('default', 'closed')).toThrow(/not found/);
    expect(store.findRun('default', 'open').isRunning).toBe(true);
  });
});

describe('task queue', () => {
  it('never hands a task to a poll that was cancelled', async () => {
    const queue = new TaskQueue<string>();
    const controller = new AbortController();
    const cancelled = queue.poll('gone', 10_000, controller.signal);
    controller.abort();
    expect(await cancelled).toBeNull();
    let claims = 0;
    queue.push({ claim: () => (claims++, 'task') });
    expect(claims).toBe(0);
    expect(await queue.poll('live', 10)).toBe('task');
  });

  it('skips stale tasks', async () => {
    const queue = new TaskQueue<string>();
    queue.push({ claim: () => null });
    queue.push({ claim: () => 'fresh' });
    expect(await queue.poll('p', 10)).toBe('fresh');
  });
});
