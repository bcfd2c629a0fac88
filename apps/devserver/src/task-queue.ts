/**
 * Task queues with long polling. A queue holds *dispatchable* tasks rather than responses: the
 * task is claimed (WorkflowTaskStarted written, activity attempt started) only at the moment it is
 * handed to a live poller. A stale task (run closed, WFT superseded) claims to `null` and is
 * skipped, and a poller whose call was cancelled is removed before it can be handed anything, so
 * tasks are never lost to a worker that went away.
 */

/** A queued task. `claim` returns the poll response, or null when the task is no longer valid. */
export interface Dispatchable<R> {
  claim(identity: string): R | null;
  /** True when claiming would return null; lets a queue nobody polls drop dead entries. */
  isStale?(): boolean;
}

/** Backlog size above which stale entries are swept out. */
const SWEEP_THRESHOLD = 256;

interface Waiter<R> {
  identity: string;
  resolve(response: R | null): void;
}

/** Long-poll queue keyed by one (namespace, task queue name, kind). */
export class TaskQueue<R> {
  private readonly tasks: Dispatchable<R>[] = [];
  private readonly waiters: Waiter<R>[] = [];
  /** Identities and times of recent pollers, for DescribeTaskQueue. */
  readonly pollers = new Map<string, number>();

  /** Adds a task; hands it straight to the oldest waiting poller when one exists. */
  push(task: Dispatchable<R>): void {
    while (this.waiters.length > 0) {
      const waiter = this.waiters.shift()!;
      const response = task.claim(waiter.identity);
      if (response === null) {
        // Stale task: the waiter stays first in line for the next task.
        this.waiters.unshift(waiter);
        return;
      }
      waiter.resolve(response);
      return;
    }
    this.tasks.push(task);
    // Tasks offered on two queues (sticky and normal) leave a stale copy behind; a sticky queue
    // whose worker died is never polled again, so sweep instead of growing forever.
    if (this.tasks.length > SWEEP_THRESHOLD && this.tasks.length % SWEEP_THRESHOLD === 1) {
      const live = this.tasks.filter((t) => !t.isStale?.());
      this.tasks.length = 0;
      this.tasks.push(...live);
    }
  }

  /**
   * Waits up to `timeoutMs` for a task. Resolves null on timeout or when `signal` aborts (the
   * caller went away); in both cases nothing was claimed.
   */
  poll(identity: string, timeoutMs: number, signal?: AbortSignal): Promise<R | null> {
    this.pollers.set(identity, Date.now());
    while (this.tasks.length > 0) {
      const response = this.tasks.shift()!.claim(identity);
      if (response !== null) return Promise.resolve(response);
    }
    if (signal?.aborted) return Promise.resolve(null);
    return new Promise<R | null>((resolve) => {
      const finish = (response: R | null): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(response);
      };
      const waiter: Waiter<R> = { identity, resolve: finish };
      const remove = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      const onAbort = (): void => {
        remove();
        finish(null);
      };
      // Unref: a pending long poll must not keep an embedding process alive after stop().
      const timer = setTimeout(onAbort, timeoutMs).unref();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Ends every waiting poll with an empty response (server shutdown). */
  drain(): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve(null);
  }

  get backlog(): number {
    return this.tasks.length;
  }
}

/** Creates queues on first use. */
export class TaskQueueRegistry<R> {
  private readonly queues = new Map<string, TaskQueue<R>>();

  get(namespace: string, name: string): TaskQueue<R> {
    const key = `${namespace}\u0000${name}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new TaskQueue<R>();
      this.queues.set(key, queue);
    }
    return queue;
  }

  find(namespace: string, name: string): TaskQueue<R> | undefined {
    return this.queues.get(`${namespace}\u0000${name}`);
  }

  drainAll(): void {
    for (const q of this.queues.values()) q.drain();
  }
}
