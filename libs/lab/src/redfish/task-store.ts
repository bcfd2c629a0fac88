import type { JsonObject } from './json';
import { collection } from './odata';
import { toRedfishError, type RedfishError } from './redfish-error';

export const TASKS_PATH = '/redfish/v1/TaskService/Tasks';
/** Task monitors are opaque URIs to clients; the lab keeps them beside the tasks, as iDRAC does. */
export const TASK_MONITORS_PATH = '/redfish/v1/TaskService/TaskMonitors';

/** What a finished long operation answers at its task monitor. */
export type TaskOutcome = { kind: 'created'; location: string } | { kind: 'deleted' };

export type TaskState = 'Running' | 'Completed' | 'Exception' | 'Cancelled';

/** The request that started a task, echoed in the Task's `Payload` as the schema describes. */
export interface TaskRequest {
  name: string;
  httpOperation: 'POST' | 'DELETE' | 'PATCH';
  targetUri: string;
  jsonBody?: JsonObject;
}

export interface RedfishTask {
  id: string;
  request: TaskRequest;
  state: TaskState;
  startedAt: Date;
  durationMs: number;
  endedAt: Date | undefined;
  outcome: TaskOutcome | undefined;
  error: RedfishError | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Long operations of one BMC behind TaskMonitors: the work runs when the task's time is up (a
 * timer exists only while a task runs), and the outcome stays readable at the monitor afterwards.
 */
export class TaskStore {
  private readonly tasks = new Map<string, RedfishTask>();
  private nextId = 1;

  /** Finished tasks kept for reading; the oldest are forgotten beyond this, as a real BMC's job queue does. */
  constructor(private readonly retained = 64) {}

  /** Starts a task whose `work` runs after `durationMs`; `work` returns the outcome or throws to fail the task. */
  start(request: TaskRequest, durationMs: number, work: () => TaskOutcome): RedfishTask {
    const task: RedfishTask = {
      id: String(this.nextId++),
      request,
      state: 'Running',
      startedAt: new Date(),
      durationMs,
      endedAt: undefined,
      outcome: undefined,
      error: undefined,
      timer: undefined,
    };
    task.timer = setTimeout(() => {
      task.timer = undefined;
      try {
        task.outcome = work();
        task.state = 'Completed';
      } catch (error) {
        task.error = toRedfishError(error);
        task.state = 'Exception';
      }
      task.endedAt = new Date();
    }, durationMs);
    this.tasks.set(task.id, task);
    this.forgetOldest();
    return task;
  }

  get(id: string): RedfishTask | undefined {
    return this.tasks.get(id);
  }

  /** Running tasks whose request targets `uri` (to refuse a second delete of the same volume). */
  runningFor(uri: string): RedfishTask[] {
    return [...this.tasks.values()].filter(
      (task) => task.state === 'Running' && task.request.targetUri === uri,
    );
  }

  /** Stops every running task (the BMC is shutting down); their work never happens. */
  cancelAll(): void {
    for (const task of this.tasks.values()) {
      if (!task.timer) continue;
      clearTimeout(task.timer);
      task.timer = undefined;
      task.state = 'Cancelled';
      task.endedAt = new Date();
    }
  }

  monitorPath(task: RedfishTask): string {
    return `${TASK_MONITORS_PATH}/${task.id}`;
  }

  collectionDocument(): JsonObject {
    const members = [...this.tasks.keys()].map((id) => `${TASKS_PATH}/${id}`);
    return collection('TaskCollection', 'Task Collection', TASKS_PATH, members);
  }

  taskDocument(task: RedfishTask): JsonObject {
    const elapsed = Date.now() - task.startedAt.getTime();
    const percent =
      task.state === 'Running'
        ? Math.min(99, Math.floor((elapsed / Math.max(1, task.durationMs)) * 100))
        : 100;
    const doc: JsonObject = {
      '@odata.type': '#Task.v1_7_4.Task',
      '@odata.id': `${TASKS_PATH}/${task.id}`,
      Id: task.id,
      Name: task.request.name,
      TaskState: task.state,
      TaskStatus: task.state === 'Exception' ? 'Critical' : task.state === 'Cancelled' ? 'Warning' : 'OK',
      PercentComplete: percent,
      StartTime: task.startedAt.toISOString(),
      TaskMonitor: this.monitorPath(task),
      Payload: {
        HttpOperation: task.request.httpOperation,
        TargetUri: task.request.targetUri,
        HttpHeaders: [],
        JsonBody: task.request.jsonBody ? JSON.stringify(task.request.jsonBody) : '',
      },
      Messages: this.messages(task),
    };
    if (task.endedAt) doc['EndTime'] = task.endedAt.toISOString();
    return doc;
  }

  private messages(task: RedfishTask): JsonObject[] {
    switch (task.state) {
      case 'Running':
        return [
          {
            MessageId: 'TaskEvent.1.0.TaskStarted',
            Message: `The task with Id '${task.id}' has started.`,
            MessageArgs: [task.id],
            Severity: 'OK',
          },
        ];
      case 'Completed':
        return [
          {
            MessageId: 'TaskEvent.1.0.TaskCompletedOK',
            Message: `The task with Id '${task.id}' has completed.`,
            MessageArgs: [task.id],
            Severity: 'OK',
          },
        ];
      case 'Cancelled':
        return [
          {
            MessageId: 'TaskEvent.1.0.TaskCancelled',
            Message: `The task with Id '${task.id}' has been cancelled.`,
            MessageArgs: [task.id],
            Severity: 'Warning',
          },
        ];
      case 'Exception': {
        const error = task.error;
        return [
          {
            MessageId: 'TaskEvent.1.0.TaskAborted',
            Message: `The task with Id '${task.id}' has been aborted.`,
            MessageArgs: [task.id],
            Severity: 'Critical',
          },
          ...(error
            ? [
                {
                  MessageId: error.messageId,
                  Message: error.message,
                  MessageArgs: error.details.args ?? [],
                  Severity: 'Critical',
                },
              ]
            : []),
        ];
      }
    }
  }

  private forgetOldest(): void {
    if (this.tasks.size <= this.retained) return;
    for (const [id, task] of this.tasks) {
      if (this.tasks.size <= this.retained) return;
      if (task.state !== 'Running') this.tasks.delete(id);
    }
  }
}
