/** Workflows for the dev server benchmark. */
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';

const { echo } = proxyActivities<{ echo(value: string): Promise<string> }>({ startToCloseTimeout: '30s' });

export async function oneActivity(value: string): Promise<string> {
  return echo(value);
}

export async function benchChild(i: number): Promise<number> {
  return i;
}

export async function benchParent(count: number): Promise<number> {
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      executeChild(benchChild, { args: [i], workflowId: `${workflowInfo().workflowId}-${i}` }),
    ),
  );
  return results.reduce((a, b) => a + b, 0);
}
