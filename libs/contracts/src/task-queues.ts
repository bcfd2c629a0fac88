/** Temporal task queues Plinth's workers poll. Workflows and the API must use these constants. */
export const TASK_QUEUES = {
  /** Deployment and upgrade workflows, and the activities they run. */
  deploy: 'plinth-deploy',
} as const;

export type TaskQueue = (typeof TASK_QUEUES)[keyof typeof TASK_QUEUES];
