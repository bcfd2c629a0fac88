/**
 * RequestCancelActivityTask for an activity that finished while the workflow task was in flight:
 * the real server records ActivityTaskCancelRequested and then the buffered result, and sdk-core's
 * replay depends on that order. Driven with raw task polls so the race is deterministic.
 */
import Long from 'long';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, eventTypeNames, uniqueTaskQueue, type TestEnv } from './helpers';

const { CommandType, WorkflowTaskFailedCause } = temporal.api.enums.v1;

describe('cancelling an activity whose result is buffered', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  }, 60_000);
  afterAll(async () => env?.close());

  const poll = (taskQueue: string) =>
    env.client.workflowService.pollWorkflowTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      identity: 'raw',
    });

  async function startWithOneActivity(taskQueue: string, workflowId: string) {
    await env.client.workflow.start('echoWorkflow', { taskQueue, workflowId, args: ['x'] });
    const first = await poll(taskQueue);
    await env.client.workflowService.respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: first.taskToken,
      identity: 'raw',
      commands: [
        {
          commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
          scheduleActivityTaskCommandAttributes: {
            activityId: '1',
            activityType: { name: 'noop' },
            taskQueue: { name: taskQueue },
            startToCloseTimeout: { seconds: Long.fromNumber(10) },
          },
        },
      ],
    });
    const history = await env.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
    });
    const scheduled = history.history!.events!.find(
      (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
    )!;
    return Number(scheduled.eventId);
  }

  it('records ActivityTaskCancelRequested before the buffered completion', async () => {
    const taskQueue = uniqueTaskQueue('cancel-buffered');
    const workflowId = `cancel-buffered-${taskQueue}`;
    const scheduledEventId = await startWithOneActivity(taskQueue, workflowId);
    // A signal schedules a second workflow task; take it and keep it in flight.
    await env.client.workflow.getHandle(workflowId).signal('unblock');
    const second = await poll(taskQueue);
    const activity = await env.client.workflowService.pollActivityTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      identity: 'raw',
    });
    await env.client.workflowService.respondActivityTaskCompleted({
      namespace: 'default',
      taskToken: activity.taskToken,
      identity: 'raw',
    });
    await env.client.workflowService.respondWorkflowTaskCompleted({
      namespace: 'default',
      taskToken: second.taskToken,
      identity: 'raw',
      commands: [
        {
          commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
          requestCancelActivityTaskCommandAttributes: { scheduledEventId: Long.fromNumber(scheduledEventId) },
        },
      ],
    });
    const history = await env.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
    });
    const names = eventTypeNames(history.history!);
    const afterSecondTask = names.slice(names.lastIndexOf('WorkflowTaskCompleted') + 1);
    expect(afterSecondTask.slice(0, 3)).toEqual([
      'ActivityTaskCancelRequested',
      'ActivityTaskStarted',
      'ActivityTaskCompleted',
    ]);
    await env.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('fails the workflow task when the scheduled event id names no activity', async () => {
    const taskQueue = uniqueTaskQueue('cancel-unknown');
    const workflowId = `cancel-unknown-${taskQueue}`;
    await startWithOneActivity(taskQueue, workflowId);
    await env.client.workflow.getHandle(workflowId).signal('unblock');
    const second = await poll(taskQueue);
    await env.client.workflowService
      .respondWorkflowTaskCompleted({
        namespace: 'default',
        taskToken: second.taskToken,
        identity: 'raw',
        commands: [
          {
            commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
            requestCancelActivityTaskCommandAttributes: { scheduledEventId: Long.fromNumber(999) },
          },
        ],
      })
      .catch(() => undefined);
    const history = await env.client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
    });
    const failed = history.history!.events!.find(
      (e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    );
    expect(failed?.workflowTaskFailedEventAttributes?.cause).toBe(
      WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
    );
    await env.client.workflow.getHandle(workflowId).terminate('test done');
  });
});
