import { proxyActivities } from '@temporalio/workflow';
import type { SystemActivities, WorkerIdentity } from '@plinth/contracts';

const { ping } = proxyActivities<SystemActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/**
 * Round trip through Temporal and a worker: proves a deployment of Plinth can run workflows
 * and activities. Used by the stack runner's self-check and by tests.
 */
export async function pingWorkflow(message: string): Promise<WorkerIdentity & { message: string }> {
  return ping(message);
}
