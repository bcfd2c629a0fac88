/**
 * Dev server benchmark (not a test): prints figures.
 *  1. One-activity workflows, started-to-completed per second with one worker, p50/p99 latency.
 *  2. One parent with 1,000 concurrent children: wall time and server RSS.
 * Run: node -r @swc-node/register bench/devserver/throughput.ts [workflows=1000] [children=1000]
 * The server runs as its own process (the `plinth-devserver` bin), as in real use, so its RSS is
 * measured alone and it does not share an event loop with the worker.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { findFreePort } from '@plinth/db';

const WORKFLOWS = Number(process.argv[2] ?? 1000);
const CHILDREN = Number(process.argv[3] ?? 1000);
const CONCURRENCY = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** CPU time (user + system) a process has used, in ms, from /proc (Linux; 100 ticks/s). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Resident set size of a process, from /proc (Linux). */
function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const port = await findFreePort();
  // BENCH_NODE_ARGS (e.g. "--cpu-prof") lets the server be profiled under load.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const serverProcess = spawn(
    process.execPath,
    [
      ...nodeArgs,
      path.resolve(__dirname, '../../apps/devserver/bin/plinth-devserver.js'),
      'server',
      'start-dev',
      '--port',
      String(port),
      '--log-level',
      'error',
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve) => serverProcess.stdout!.once('data', () => resolve()));
  const server = { address: `127.0.0.1:${port}`, pid: serverProcess.pid! };
  console.log(`server RSS at start: ${mb(rssOf(server.pid))}`);
  const bundle = await bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, 'workflows/bench-workflows.ts'),
    logger: new DefaultLogger('ERROR'),
  });
  // sdk-core gzips every request by default; grpc-js then inflates each message on the server.
  // BENCH_GRPC_COMPRESSION=none measures the worker without it.
  const codec = process.env.BENCH_GRPC_COMPRESSION === 'none' ? 'none' : 'gzip';
  console.log(`worker gRPC compression: ${codec}`);
  const nativeConnection = await NativeConnection.connect({
    address: server.address,
    grpcCompression: { codec },
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: 'bench',
    workflowBundle: bundle,
    activities: { echo: async (v: string) => v },
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentActivityTaskExecutions: 100,
    workflowThreadPoolSize: Number(process.env.BENCH_WORKFLOW_THREADS ?? 2),
  });

  await worker.runUntil(async () => {
    // Warm-up, so the first isolate creation is not measured.
    await client.workflow.execute('oneActivity', { taskQueue: 'bench', workflowId: 'warmup', args: ['w'] });

    const latencies: number[] = [];
    let next = 0;
    const serverCpu0 = cpuMsOf(server.pid);
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < WORKFLOWS) {
          const i = next++;
          const start = Date.now();
          await client.workflow.execute('oneActivity', {
            taskQueue: 'bench',
            workflowId: `wf-${i}`,
            args: [String(i)],
          });
          latencies.push(Date.now() - start);
        }
      }),
    );
    const elapsed = (Date.now() - t0) / 1000;
    const serverCpuMs = cpuMsOf(server.pid) - serverCpu0;
    latencies.sort((a, b) => a - b);
    console.log(
      `one-activity workflows: ${WORKFLOWS} in ${elapsed.toFixed(2)} s = ${(WORKFLOWS / elapsed).toFixed(0)} workflows/s`,
    );
    console.log(
      `  latency start→completed: p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms (${CONCURRENCY} in flight)`,
    );
    console.log(
      `  server CPU ${(serverCpuMs / WORKFLOWS).toFixed(2)} ms per workflow (${((serverCpuMs / 1000 / elapsed) * 100).toFixed(0)}% of one core); the rest of the 2 cores went to the worker and client`,
    );

    const rssBefore = rssOf(server.pid);
    const c0 = Date.now();
    const sum = await client.workflow.execute('benchParent', {
      taskQueue: 'bench',
      workflowId: 'parent',
      args: [CHILDREN],
    });
    const childSeconds = (Date.now() - c0) / 1000;
    if (sum !== (CHILDREN * (CHILDREN - 1)) / 2) throw new Error(`wrong child sum ${sum}`);
    console.log(`parent with ${CHILDREN} concurrent children: ${childSeconds.toFixed(2)} s`);
    console.log(
      `  server RSS ${mb(rssOf(server.pid))} (before the parent: ${mb(rssBefore)}; all ${WORKFLOWS + CHILDREN + 2} runs kept in memory)`,
    );
  });
  await connection.close();
  await nativeConnection.close();
  serverProcess.kill('SIGTERM');
  await new Promise((resolve) => serverProcess.once('exit', resolve));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
