/** What the worker reports about itself: lets a workflow prove the worker, its activities and Temporal are wired. */
export interface WorkerIdentity {
  /** Temporal identity of the worker process that ran the activity (`<pid>@<host>` by default). */
  workerIdentity: string;
  /** Plinth version the worker runs. */
  plinthVersion: string;
}

/**
 * Activities about the worker itself. Contract: read-only, no side effects, safe to retry at will.
 */
export interface SystemActivities {
  /** Echoes `message` and names the worker that answered. */
  ping(message: string): Promise<WorkerIdentity & { message: string }>;
}
