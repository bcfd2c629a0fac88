/**
 * Conformance for visibility (list, count, custom search attributes) and schedules, with the
 * server started the way the SDK's test kit starts a real one: TestWorkflowEnvironment.createLocal
 * spawning the `plinth-devserver` executable with `--search-attribute` flags.
 */
import path from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  DefaultLogger,
  Worker,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConformanceActivities } from './fixtures/activities';
import { WORKFLOWS_PATH, quietRuntime, uniqueTaskQueue } from './helpers';

const BIN = path.resolve(__dirname, '../bin/plinth-devserver.js');
const devPriority = defineSearchAttributeKey('DevPriority', SearchAttributeType.INT);
const devStage = defineSearchAttributeKey('DevStage', SearchAttributeType.KEYWORD);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  quietRuntime();
  [env, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: BIN },
        searchAttributes: [devPriority, devStage],
      },
    }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') }),
  ]);
});

afterAll(async () => {
  await env?.teardown();
});

const tq = uniqueTaskQueue;

async function withWorker<T>(taskQueue: string, body: () => Promise<T>): Promise<T> {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createConformanceActivities(),
  });
  return worker.runUntil(body);
}

async function listIds(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of env.client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

describe('visibility', () => {
  it('lists with filters and ORDER BY, and counts grouped by ExecutionStatus', async () => {
    const taskQueue = tq('list');
    await withWorker(taskQueue, async () => {
      for (const id of ['a', 'b', 'c']) {
        await env.client.workflow.execute('quickWorkflow', {
          taskQueue,
          workflowId: `${taskQueue}-${id}`,
          args: [id],
        });
      }
      await env.client.workflow.start('blockingWorkflow', { taskQueue, workflowId: `${taskQueue}-open` });
      await env.client.workflow
        .execute('failingWorkflow', { taskQueue, workflowId: `${taskQueue}-failed` })
        .catch(() => undefined);
    });
    const mine = `TaskQueue = '${taskQueue}'`;
    expect(await listIds(`${mine} AND WorkflowType = 'quickWorkflow' ORDER BY StartTime ASC`)).toEqual(
      ['a', 'b', 'c'].map((id) => `${taskQueue}-${id}`),
    );
    expect(await listIds(`${mine} AND WorkflowType = 'quickWorkflow' ORDER BY StartTime DESC`)).toEqual(
      ['c', 'b', 'a'].map((id) => `${taskQueue}-${id}`),
    );
    expect(await listIds(`${mine} AND ExecutionStatus = 'Running'`)).toEqual([`${taskQueue}-open`]);
    expect(await listIds(`${mine} AND WorkflowId STARTS_WITH '${taskQueue}-a'`)).toEqual([`${taskQueue}-a`]);

    const counted = await env.client.workflow.count(`${mine} GROUP BY ExecutionStatus`);
    expect(counted.count).toBe(5);
    const byStatus = Object.fromEntries(counted.groups.map((g) => [String(g.groupValues[0]), g.count]));
    expect(byStatus).toEqual({ Completed: 3, Running: 1, Failed: 1 });

    await expect(env.client.workflow.count('NoSuchAttribute = 1')).rejects.toThrow();
    await env.client.workflow.getHandle(`${taskQueue}-open`).terminate();
  });

  it('filters on custom search attributes registered with --search-attribute', async () => {
    const taskQueue = tq('sa');
    await withWorker(taskQueue, async () => {
      const handles = await Promise.all(
        [
          { id: 'low', priority: 1, stage: 'deploy' },
          { id: 'high', priority: 5, stage: 'deploy' },
          { id: 'other', priority: 9, stage: 'wipe' },
        ].map(({ id, priority, stage }) =>
          env.client.workflow.start('searchAttributesWorkflow', {
            taskQueue,
            workflowId: `${taskQueue}-${id}`,
            args: [stage],
            typedSearchAttributes: [{ key: devPriority, value: priority }],
          }),
        ),
      );
      // The upsert happens in the first workflow task; wait for it to be visible.
      for (let i = 0; i < 100; i++) {
        if (
          (await env.client.workflow.count(`TaskQueue = '${taskQueue}' AND DevStage IS NOT NULL`)).count === 3
        )
          break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await listIds(`TaskQueue = '${taskQueue}' AND DevStage = 'deploy' AND DevPriority > 3`)).toEqual(
        [`${taskQueue}-high`],
      );
      const described = await handles[0]!.describe();
      expect(described.typedSearchAttributes.get(devPriority)).toBe(1);
      expect(described.typedSearchAttributes.get(devStage)).toBe('deploy');
      await Promise.all(handles.map((h) => h.signal('finish')));
      await Promise.all(handles.map((h) => h.result()));
    });
    const history = await env.client.workflow.getHandle(`${taskQueue}-low`).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, `${taskQueue}-low`);
  });
});

describe('schedules', () => {
  it('fires on an interval, triggers immediately, pauses and deletes', async () => {
    const taskQueue = tq('schedule');
    const scheduleId = `sched-${taskQueue}`;
    await withWorker(taskQueue, async () => {
      const handle = await env.client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1s' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'quickWorkflow',
          args: ['scheduled'],
          taskQueue,
          workflowId: `${scheduleId}-wf`,
        },
      });
      const waitForActions = async (n: number): Promise<number> => {
        for (let i = 0; i < 100; i++) {
          const d = await handle.describe();
          if (d.info.numActionsTaken >= n) return d.info.numActionsTaken;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`schedule took fewer than ${n} actions`);
      };
      await waitForActions(2);
      const described = await handle.describe();
      const recent = described.info.recentActions.at(-1);
      expect(recent?.action.workflow.workflowId).toMatch(
        new RegExp(`^${scheduleId}-wf-\\d{4}-\\d{2}-\\d{2}T`),
      );
      expect(await env.client.workflow.getHandle(recent!.action.workflow.workflowId).result()).toBe(
        'scheduled',
      );

      await handle.pause('hold');
      const paused = await handle.describe();
      expect(paused.state.paused).toBe(true);
      const before = paused.info.numActionsTaken;
      await handle.trigger();
      await waitForActions(before + 1);
      await new Promise((r) => setTimeout(r, 2_000));
      // Paused: only the manual trigger ran.
      expect((await handle.describe()).info.numActionsTaken).toBe(before + 1);

      await handle.delete();
      await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    });
  });
});
