/**
 * Conformance: the real @temporalio/worker and @temporalio/client against the dev server.
 * Every scenario runs on its own task queue; histories are replayed to prove they are well formed.
 */
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { TerminatedFailure, CancelledFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, eventTypeNames, type TestEnv, uniqueTaskQueue } from './helpers';

let env: TestEnv;

beforeAll(async () => {
  env = await createTestEnv();
});

afterAll(async () => {
  await env?.close();
});

const tq = uniqueTaskQueue;

async function replay(workflowId: string): Promise<void> {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory({ workflowBundle: env.bundle }, history, workflowId);
}

describe('activities', () => {
  it('retries until success: attempt 3 seen, exactly one ActivityTaskStarted in history', async () => {
    const taskQueue = tq('retry');
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('retryWorkflow', {
        taskQueue,
        workflowId: `retry-${taskQueue}`,
        args: [3],
      }),
    );
    expect(result).toBe(3);
    const names = eventTypeNames(await env.client.workflow.getHandle(`retry-${taskQueue}`).fetchHistory());
    expect(names.filter((n) => n === 'ActivityTaskStarted')).toHaveLength(1);
    expect(names).toContain('ActivityTaskCompleted');
    await replay(`retry-${taskQueue}`);
  });

  it('does not retry a non-retryable failure', async () => {
    const taskQueue = tq('nonretry');
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('nonRetryableWorkflow', { taskQueue, workflowId: `nonretry-${taskQueue}` }),
    );
    expect(result).toBe('Permanent:permanent failure');
    const history = await env.client.workflow.getHandle(`nonretry-${taskQueue}`).fetchHistory();
    const failed = history.events?.find((e) => e.activityTaskFailedEventAttributes);
    expect(failed?.activityTaskFailedEventAttributes?.retryState).toBe(2 /* NON_RETRYABLE_FAILURE */);
    const started = history.events?.find((e) => e.activityTaskStartedEventAttributes);
    expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(1);
  });

  it('times out an attempt at start-to-close and succeeds on the retry', async () => {
    const taskQueue = tq('st2c');
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('startToCloseWorkflow', { taskQueue, workflowId: `st2c-${taskQueue}` }),
    );
    expect(result).toBe(2);
    await replay(`st2c-${taskQueue}`);
  });

  it('times out on missed heartbeats and carries heartbeat details to the next attempt', async () => {
    const taskQueue = tq('heartbeat');
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('heartbeatWorkflow', { taskQueue, workflowId: `hb-${taskQueue}` }),
    );
    expect(result).toEqual({ attempt: 2, details: { progress: 42 } });
  });

  it('cancels a running activity through heartbeats', async () => {
    const taskQueue = tq('actcancel');
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('activityCancelWorkflow', {
        taskQueue,
        workflowId: `actcancel-${taskQueue}`,
      }),
    );
    expect(result).toBe('activity cancelled');
    const names = eventTypeNames(
      await env.client.workflow.getHandle(`actcancel-${taskQueue}`).fetchHistory(),
    );
    expect(names).toEqual(
      expect.arrayContaining(['ActivityTaskCancelRequested', 'ActivityTaskStarted', 'ActivityTaskCanceled']),
    );
    await replay(`actcancel-${taskQueue}`);
  });

  it('runs local activities with retries recorded as markers', async () => {
    const taskQueue = tq('local');
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('localActivityWorkflow', { taskQueue, workflowId: `local-${taskQueue}` }),
    );
    expect(result).toEqual(['one', '3']);
    const names = eventTypeNames(await env.client.workflow.getHandle(`local-${taskQueue}`).fetchHistory());
    expect(names.filter((n) => n === 'MarkerRecorded')).toHaveLength(2);
    await replay(`local-${taskQueue}`);
  });
});

describe('timers and signals', () => {
  it('fires timers and cancels a timer', async () => {
    const taskQueue = tq('timers');
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('timersWorkflow', { taskQueue, workflowId: `timers-${taskQueue}` }),
    );
    expect(result).toEqual(['short timer fired', 'long timer cancelled']);
    const names = eventTypeNames(await env.client.workflow.getHandle(`timers-${taskQueue}`).fetchHistory());
    expect(names).toEqual(expect.arrayContaining(['TimerStarted', 'TimerFired', 'TimerCanceled']));
    await replay(`timers-${taskQueue}`);
  });

  it('delivers every signal of a concurrent burst', async () => {
    const taskQueue = tq('burst');
    const count = 50;
    const result = await env.withWorker(taskQueue, async () => {
      const handle = await env.client.workflow.start('signalsWorkflow', {
        taskQueue,
        workflowId: `burst-${taskQueue}`,
        args: [count],
      });
      await Promise.all(Array.from({ length: count }, (_, i) => handle.signal('add', i + 1)));
      return handle.result();
    });
    expect(result).toBe((count * (count + 1)) / 2);
    await replay(`burst-${taskQueue}`);
  });

  it('does not lose a signal that arrives while the workflow completes (UnhandledCommand)', async () => {
    const taskQueue = tq('race');
    // Signals land while the activity result is processed, i.e. while the completing WFT is in
    // flight: the close command must be rejected and the signal seen by a new task.
    const results = await env.withWorker(taskQueue, () =>
      Promise.all(
        Array.from({ length: 5 }, async (_, i) => {
          const handle = await env.client.workflow.start('signalRaceWorkflow', {
            taskQueue,
            workflowId: `race-${taskQueue}-${i}`,
          });
          await handle.signal('add', 1);
          const spam = (async () => {
            for (let k = 0; k < 20; k++) {
              try {
                await handle.signal('add', 1);
              } catch {
                return; // closed
              }
            }
          })();
          const [total] = await Promise.all([handle.result(), spam]);
          const history = await handle.fetchHistory();
          const signalled = eventTypeNames(history).filter((n) => n === 'WorkflowExecutionSignaled').length;
          return { total, signalled };
        }),
      ),
    );
    for (const { total, signalled } of results) expect(total).toBe(signalled);
    await replay(`race-${taskQueue}-0`);
  });

  it('signals another workflow from a workflow', async () => {
    const taskQueue = tq('external');
    const result = await env.withWorker(taskQueue, async () => {
      const target = await env.client.workflow.start('queryableWorkflow', {
        taskQueue,
        workflowId: `target-${taskQueue}`,
      });
      await env.client.workflow.execute('externalSignalWorkflow', {
        taskQueue,
        workflowId: `sender-${taskQueue}`,
        args: [target.workflowId],
      });
      return target.result();
    });
    expect(result).toBe(5);
    await replay(`sender-${taskQueue}`);
  });

  it('cancels another workflow from a workflow', async () => {
    const taskQueue = tq('extcancel');
    const error = await env.withWorker(taskQueue, async () => {
      const target = await env.client.workflow.start('cancellableWorkflow', {
        taskQueue,
        workflowId: `victim-${taskQueue}`,
      });
      expect(
        await env.client.workflow.execute('externalCancelWorkflow', {
          taskQueue,
          workflowId: `canceller-${taskQueue}`,
          args: [target.workflowId],
        }),
      ).toBe('cancel requested');
      return target.result().catch((err: unknown) => err);
    });
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const names = eventTypeNames(
      await env.client.workflow.getHandle(`canceller-${taskQueue}`).fetchHistory(),
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'RequestCancelExternalWorkflowExecutionInitiated',
        'ExternalWorkflowExecutionCancelRequested',
      ]),
    );
    await replay(`canceller-${taskQueue}`);
  });

  it('signal-with-start starts once and signals the running workflow after', async () => {
    const taskQueue = tq('sws');
    const workflowId = `sws-${taskQueue}`;
    const result = await env.withWorker(taskQueue, async () => {
      const a = await env.client.workflow.signalWithStart('signalsWorkflow', {
        taskQueue,
        workflowId,
        args: [2],
        signal: 'add',
        signalArgs: [10],
      });
      const b = await env.client.workflow.signalWithStart('signalsWorkflow', {
        taskQueue,
        workflowId,
        args: [2],
        signal: 'add',
        signalArgs: [5],
      });
      expect(b.signaledRunId).toBe(a.signaledRunId);
      return a.result();
    });
    expect(result).toBe(15);
  });
});

describe('queries', () => {
  it('answers queries on running and closed workflows', async () => {
    const taskQueue = tq('query');
    const workflowId = `query-${taskQueue}`;
    const { running, closed } = await env.withWorker(taskQueue, async () => {
      const handle = await env.client.workflow.start('queryableWorkflow', { taskQueue, workflowId });
      await handle.signal('add', 4);
      await handle.signal('add', 3);
      const running = await handle.query<number>('total');
      await handle.signal('finish');
      await handle.result();
      const closed = await handle.query<number>('total');
      return { running, closed };
    });
    expect(running).toBe(7);
    expect(closed).toBe(7);
  });

  it('rejects an unknown query type with an error', async () => {
    const taskQueue = tq('badquery');
    await env.withWorker(taskQueue, async () => {
      const handle = await env.client.workflow.start('queryableWorkflow', {
        taskQueue,
        workflowId: `badquery-${taskQueue}`,
      });
      await expect(handle.query('nope')).rejects.toThrow(/nope/);
      await handle.signal('finish');
      await handle.result();
    });
  });
});

describe('children and continue-as-new', () => {
  it('returns a child result', async () => {
    const taskQueue = tq('child');
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('parentWorkflow', {
        taskQueue,
        workflowId: `parent-${taskQueue}`,
        args: ['succeed'],
      }),
    );
    expect(result).toBe('child:x');
    await replay(`parent-${taskQueue}`);
  });

  it('reports a child failure to the parent', async () => {
    const taskQueue = tq('childfail');
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('parentWorkflow', {
        taskQueue,
        workflowId: `parentf-${taskQueue}`,
        args: ['fail'],
      }),
    );
    expect(result).toBe('caught ChildError: child failed: x');
    await replay(`parentf-${taskQueue}`);
  });

  it('terminates a child when the parent closes (parent close policy TERMINATE)', async () => {
    const taskQueue = tq('pcp');
    const childId = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('abandoningParentWorkflow', { taskQueue, workflowId: `pcp-${taskQueue}` }),
    );
    const description = await env.client.workflow.getHandle(childId).describe();
    expect(description.status.name).toBe('TERMINATED');
  });

  it('follows a continue-as-new chain to its result', async () => {
    const taskQueue = tq('can');
    const workflowId = `can-${taskQueue}`;
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('continueAsNewWorkflow', { taskQueue, workflowId, args: [4, 0] }),
    );
    expect(result).toBe(10);
    const runs = await env.client.workflow.count(`WorkflowId = '${workflowId}'`);
    expect(runs.count).toBe(5);
    await replay(workflowId);
  });
});

describe('cancel, terminate, id policies', () => {
  it('cancels a workflow, which runs cleanup and ends canceled', async () => {
    const taskQueue = tq('cancel');
    const workflowId = `cancel-${taskQueue}`;
    const error = await env.withWorker(taskQueue, async () => {
      const handle = await env.client.workflow.start('cancellableWorkflow', { taskQueue, workflowId });
      await handle.query('__stack_trace').catch(() => undefined); // wait for the first WFT
      await handle.cancel();
      return handle.result().catch((err: unknown) => err);
    });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const names = eventTypeNames(await env.client.workflow.getHandle(workflowId).fetchHistory());
    expect(names).toEqual(
      expect.arrayContaining([
        'WorkflowExecutionCancelRequested',
        'ActivityTaskCompleted',
        'WorkflowExecutionCanceled',
      ]),
    );
    await replay(workflowId);
  });

  it('terminates a workflow', async () => {
    const taskQueue = tq('terminate');
    const workflowId = `terminate-${taskQueue}`;
    const error = await env.withWorker(taskQueue, async () => {
      const handle = await env.client.workflow.start('blockingWorkflow', { taskQueue, workflowId });
      await handle.terminate('enough');
      return handle.result().catch((err: unknown) => err);
    });
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(TerminatedFailure);
    expect((await env.client.workflow.getHandle(workflowId).describe()).status.name).toBe('TERMINATED');
  });

  it('applies id conflict and reuse policies', async () => {
    const taskQueue = tq('idpolicy');
    const workflowId = `idpolicy-${taskQueue}`;
    await env.withWorker(taskQueue, async () => {
      const first = await env.client.workflow.start('blockingWorkflow', { taskQueue, workflowId });
      await expect(
        env.client.workflow.start('blockingWorkflow', { taskQueue, workflowId }),
      ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      const existing = await env.client.workflow.start('blockingWorkflow', {
        taskQueue,
        workflowId,
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      expect(existing.firstExecutionRunId).toBe(first.firstExecutionRunId);
      const replaced = await env.client.workflow.start('blockingWorkflow', {
        taskQueue,
        workflowId,
        workflowIdConflictPolicy: 'TERMINATE_EXISTING',
      });
      expect(replaced.firstExecutionRunId).not.toBe(first.firstExecutionRunId);
      expect(
        (await env.client.workflow.getHandle(workflowId, first.firstExecutionRunId).describe()).status.name,
      ).toBe('TERMINATED');
      await replaced.terminate();

      const doneId = `${workflowId}-done`;
      await env.client.workflow.execute('quickWorkflow', { taskQueue, workflowId: doneId, args: ['a'] });
      await expect(
        env.client.workflow.start('quickWorkflow', {
          taskQueue,
          workflowId: doneId,
          args: ['b'],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
      ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      await expect(
        env.client.workflow.start('quickWorkflow', {
          taskQueue,
          workflowId: doneId,
          args: ['b'],
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        }),
      ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      expect(
        await env.client.workflow.execute('quickWorkflow', { taskQueue, workflowId: doneId, args: ['c'] }),
      ).toBe('c');
    });
  });

  it('retries a failed workflow per its retry policy and follows the runs to the result', async () => {
    const taskQueue = tq('wfretry');
    const workflowId = `wfretry-${taskQueue}`;
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('retriedWorkflow', {
        taskQueue,
        workflowId,
        args: [3],
        retry: { initialInterval: '100ms', maximumAttempts: 5 },
      }),
    );
    expect(result).toBe(3);
    const counted = await env.client.workflow.count(`WorkflowId = '${workflowId}' GROUP BY ExecutionStatus`);
    expect(Object.fromEntries(counted.groups.map((g) => [String(g.groupValues[0]), g.count]))).toEqual({
      Failed: 2,
      Completed: 1,
    });
  });

  it('runs a cron workflow again at each cron time until terminated', async () => {
    const taskQueue = tq('cron');
    const workflowId = `cron-${taskQueue}`;
    await env.withWorker(taskQueue, async () => {
      await env.client.workflow.start('quickWorkflow', {
        taskQueue,
        workflowId,
        args: ['tick'],
        cronSchedule: '@every 1s',
      });
      let completed = 0;
      for (let i = 0; i < 100 && completed < 2; i++) {
        completed = (
          await env.client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'Completed'`)
        ).count;
        if (completed < 2) await new Promise((r) => setTimeout(r, 100));
      }
      expect(completed).toBeGreaterThanOrEqual(2);
      await env.client.workflow.getHandle(workflowId).terminate('stop the cron');
    });
    // Terminating the current run ends the chain: nothing is running any more.
    expect(
      (await env.client.workflow.count(`WorkflowId = '${workflowId}' AND ExecutionStatus = 'Running'`)).count,
    ).toBe(0);
  });

  it('holds the first workflow task for startDelay', async () => {
    const taskQueue = tq('delay');
    const started = Date.now();
    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('quickWorkflow', {
        taskQueue,
        workflowId: `delay-${taskQueue}`,
        args: ['late'],
        startDelay: '1s',
      }),
    );
    expect(result).toBe('late');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('times out a workflow run', async () => {
    const taskQueue = tq('runtimeout');
    const error = await env.withWorker(taskQueue, () =>
      env.client.workflow
        .execute('blockingWorkflow', { taskQueue, workflowId: `rt-${taskQueue}`, workflowRunTimeout: '1s' })
        .catch((err: unknown) => err),
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((await env.client.workflow.getHandle(`rt-${taskQueue}`).describe()).status.name).toBe('TIMED_OUT');
  });
});

describe('updates', () => {
  it('accepts an update, returns its result, and rejects an invalid one', async () => {
    const taskQueue = tq('update');
    const workflowId = `update-${taskQueue}`;
    const outcome = await env.withWorker(taskQueue, async () => {
      const handle = await env.client.workflow.start('updatableWorkflow', { taskQueue, workflowId });
      const first = await handle.executeUpdate<number, [number]>('setValue', { args: [7] });
      const started = await handle.startUpdate<number, [number]>('setValue', {
        args: [9],
        waitForStage: 'ACCEPTED',
      });
      const second = await started.result();
      const rejected = await handle.executeUpdate('setValue', { args: [-1] }).catch((err: unknown) => err);
      await handle.signal('finish');
      return { first, second, rejected, result: await handle.result() };
    });
    expect(outcome.first).toBe(0);
    expect(outcome.second).toBe(7);
    expect(outcome.rejected).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(outcome.result).toBe(9);
    const names = eventTypeNames(await env.client.workflow.getHandle(workflowId).fetchHistory());
    expect(names.filter((n) => n === 'WorkflowExecutionUpdateAccepted')).toHaveLength(2);
    expect(names.filter((n) => n === 'WorkflowExecutionUpdateCompleted')).toHaveLength(2);
    await replay(workflowId);
  });
});

describe('update-with-start', () => {
  it('starts the workflow and applies the update in one call, then reuses the run', async () => {
    const taskQueue = tq('uws');
    const workflowId = `uws-${taskQueue}`;
    const { first, second, result } = await env.withWorker(taskQueue, async () => {
      const startOp = () =>
        new WithStartWorkflowOperation('updatableWorkflow', {
          taskQueue,
          workflowId,
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
      const op1 = startOp();
      const first: number = await env.client.workflow.executeUpdateWithStart('setValue', {
        args: [3],
        startWorkflowOperation: op1,
      });
      const op2 = startOp();
      const second: number = await env.client.workflow.executeUpdateWithStart('setValue', {
        args: [4],
        startWorkflowOperation: op2,
      });
      const runOf = async (op: typeof op1) => (await (await op.workflowHandle()).describe()).runId;
      expect(await runOf(op2)).toBe(await runOf(op1));
      const handle = await op1.workflowHandle();
      await handle.signal('finish');
      return { first, second, result: await handle.result() };
    });
    expect([first, second, result]).toEqual([0, 3, 4]);
  });
});

describe('describe and history', () => {
  it('keeps the memo and reports a pending child', async () => {
    const taskQueue = tq('memo');
    const workflowId = `memo-${taskQueue}`;
    await env.withWorker(taskQueue, async () => {
      const handle = await env.client.workflow.start('abandoningParentWorkflow', {
        taskQueue,
        workflowId,
        memo: { owner: 'plinth', attempt: 2 },
      });
      await handle.result();
      expect((await handle.describe()).memo).toEqual({ owner: 'plinth', attempt: 2 });
    });
    // A parent blocked on its child lists it as pending.
    const blockedParent = `blocked-${taskQueue}`;
    await env.withWorker(taskQueue, async () => {
      await env.client.workflow.start('parentWorkflow', {
        taskQueue,
        workflowId: blockedParent,
        args: ['block'],
      });
      let children: Array<{ workflowId?: string | null }> = [];
      for (let i = 0; i < 100 && children.length === 0; i++) {
        const raw = await env.client.workflowService.describeWorkflowExecution({
          namespace: 'default',
          execution: { workflowId: blockedParent },
        });
        children = raw.pendingChildren ?? [];
        if (children.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(children.map((c) => c.workflowId)).toEqual([`${blockedParent}-child`]);
      await env.client.workflow.getHandle(blockedParent).terminate();
    });
    expect((await env.client.workflow.getHandle(`${blockedParent}-child`).describe()).status.name).toBe(
      'TERMINATED',
    );
  });

  it('describes pending activities and children, and pages history', async () => {
    const taskQueue = tq('describe');
    const workflowId = `describe-${taskQueue}`;
    await env.withWorker(taskQueue, async () => {
      const handle = await env.client.workflow.start('activityCancelWorkflow', { taskQueue, workflowId });
      let pending = 0;
      for (let i = 0; i < 50 && pending === 0; i++) {
        const raw = await env.client.workflowService.describeWorkflowExecution({
          namespace: 'default',
          execution: { workflowId },
        });
        pending = raw.pendingActivities?.length ?? 0;
        if (pending === 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(pending).toBe(1);
      await handle.result();
    });
    const full = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const pages: number[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await env.client.workflowService.getWorkflowExecutionHistory({
        namespace: 'default',
        execution: { workflowId },
        maximumPageSize: 3,
        nextPageToken,
      });
      pages.push(page.history?.events?.length ?? 0);
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(full.events?.length);
    expect(pages.length).toBeGreaterThan(1);
  });
});
