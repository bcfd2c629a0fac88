/**
 * Resilience: garbage requests never crash or wedge the server; a worker that dies holding a
 * task is recovered by task timeouts; patched() keeps old runs on their branch across a deploy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { DefaultLogger, Worker, bundleWorkflowCode } from '@temporalio/worker';
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
const SERVICE = '/temporal.api.workflowservice.v1.WorkflowService/';
const FUZZED_METHODS = [
  'StartWorkflowExecution',
  'SignalWorkflowExecution',
  'QueryWorkflow',
  'RespondWorkflowTaskCompleted',
  'RespondActivityTaskCompleted',
];

/** Sends raw bytes to a method and returns the gRPC status code. */
function rawCall(client: grpc.Client, method: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      SERVICE + method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      { deadline: Date.now() + 5_000 },
      (err) => resolve(err ? (err.code ?? grpc.status.UNKNOWN) : grpc.status.OK),
    );
  });
}

/** A random value of a random shape, for structured fuzzing through the typed client. */
function junk(depth = 0): unknown {
  const pick = Math.floor(Math.random() * (depth > 2 ? 5 : 8));
  switch (pick) {
    case 0:
      return randomUUID();
    case 1:
      return Math.floor(Math.random() * 2 ** 31) * (Math.random() < 0.5 ? -1 : 1);
    case 2:
      return '';
    case 3:
      return null;
    case 4:
      return randomBytes(Math.floor(Math.random() * 32));
    case 5:
      return { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: randomBytes(8) }] };
    case 6:
      return { name: junk(depth + 1), workflowId: junk(depth + 1), runId: junk(depth + 1) };
    default:
      return [junk(depth + 1)];
  }
}

describe('fuzzing', () => {
  it('answers garbage with client errors, never INTERNAL, and keeps working', async () => {
    const taskQueue = tq('fuzz');
    const raw = new grpc.Client(env.server.address, grpc.credentials.createInsecure());
    const codes = new Map<number, number>();
    const note = (code: number): void => {
      codes.set(code, (codes.get(code) ?? 0) + 1);
    };
    try {
      // Random bytes: most do not decode; those that do are nonsense messages.
      for (const method of FUZZED_METHODS) {
        for (let i = 0; i < 60; i++)
          note(await rawCall(raw, method, randomBytes(Math.floor(Math.random() * 200))));
      }
      // Structured junk through the typed client: valid encodings, absurd content.
      const service = env.client.workflowService as unknown as Record<
        string,
        (req: unknown) => Promise<unknown>
      >;
      const methods = [
        'startWorkflowExecution',
        'signalWorkflowExecution',
        'queryWorkflow',
        'respondWorkflowTaskCompleted',
        'respondActivityTaskCompleted',
      ];
      const fields = [
        'namespace',
        'workflowId',
        'workflowType',
        'taskQueue',
        'input',
        'execution',
        'workflowExecution',
        'signalName',
        'query',
        'taskToken',
        'commands',
        'result',
        'identity',
        'requestId',
      ];
      for (let i = 0; i < 200; i++) {
        const method = methods[i % methods.length]!;
        const request: Record<string, unknown> = {
          namespace: Math.random() < 0.7 ? 'default' : randomUUID(),
        };
        for (const field of fields) if (Math.random() < 0.4) request[field] = junk();
        if (method === 'respondWorkflowTaskCompleted' && Math.random() < 0.5) {
          request.commands = [
            { commandType: Math.floor(Math.random() * 20), startTimerCommandAttributes: { timerId: junk() } },
          ];
        }
        try {
          await service[method]!.call(env.client.workflowService, request);
          note(grpc.status.OK);
        } catch (err) {
          const code = (err as { code?: number }).code;
          // Encoding errors happen in the client before anything is sent.
          note(typeof code === 'number' ? code : -1);
        }
      }
    } finally {
      raw.close();
    }
    expect(codes.get(grpc.status.INTERNAL) ?? 0).toBe(0);
    expect(codes.get(grpc.status.UNKNOWN) ?? 0).toBe(0);
    expect(codes.get(grpc.status.INVALID_ARGUMENT) ?? 0).toBeGreaterThan(0);

    const result = await env.withWorker(taskQueue, () =>
      env.client.workflow.execute('echoWorkflow', {
        taskQueue,
        workflowId: `after-fuzz-${taskQueue}`,
        args: ['still alive'],
      }),
    );
    expect(result).toBe('still alive');
  });

  it('names the method in UNIMPLEMENTED and NOT_FOUND for an unknown namespace', async () => {
    await expect(
      env.client.workflowService.resetWorkflowExecution({ namespace: 'default' }),
    ).rejects.toMatchObject({
      code: grpc.status.UNIMPLEMENTED,
      details: 'ResetWorkflowExecution is unimplemented',
    });
    await expect(env.client.workflowService.describeNamespace({ namespace: 'nope' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
    });
  });
});

describe('lost workers', () => {
  it('times out a workflow task held by a vanished poller; a live worker then completes the run', async () => {
    const taskQueue = tq('lostwft');
    const workflowId = `lostwft-${taskQueue}`;
    await env.client.workflow.start('echoWorkflow', {
      taskQueue,
      workflowId,
      args: ['recovered'],
      workflowTaskTimeout: '1s',
    });
    // Take the workflow task with a raw poll and never answer it, like a worker that crashed.
    const stolen = await env.client.workflowService.pollWorkflowTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      identity: 'doomed',
    });
    expect(stolen.taskToken?.length).toBeGreaterThan(0);
    const result = await env.withWorker(taskQueue, () => env.client.workflow.getHandle(workflowId).result());
    expect(result).toBe('recovered');
    const names = eventTypeNames(await env.client.workflow.getHandle(workflowId).fetchHistory());
    expect(names).toContain('WorkflowTaskTimedOut');
    // The stale token is rejected once the task has moved on.
    await expect(
      env.client.workflowService.respondWorkflowTaskCompleted({
        namespace: 'default',
        taskToken: stolen.taskToken,
        commands: [],
      }),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it('recovers an activity whose worker process was SIGKILLed mid-attempt', async () => {
    const taskQueue = tq('killed');
    const workflowId = `killed-${taskQueue}`;
    const workflowsPath = path.resolve(__dirname, 'fixtures/kill-workflows.ts');
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '-r',
        '@swc-node/register',
        path.resolve(__dirname, 'fixtures/kill-worker.ts'),
        env.server.address,
        taskQueue,
        workflowsPath,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines: string[] = [];
    const waitFor = (line: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (lines.includes(line)) resolve();
        };
        child.stdout!.on('data', (chunk: Buffer) => {
          lines.push(...chunk.toString().split('\n').filter(Boolean));
          check();
        });
        child.on('exit', () => reject(new Error(`worker exited before "${line}"`)));
        check();
      });
    const holding = waitFor('holding');
    try {
      const handle = await env.client.workflow.start('survivorWorkflow', {
        taskQueue,
        workflowId,
        args: ['survived'],
      });
      await holding;
      child.kill('SIGKILL');
      const bundle = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') });
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: bundle,
        activities: { echo: async (value: string) => value },
      });
      const result = await worker.runUntil(handle.result());
      expect(result).toBe('survived');
      const history = await handle.fetchHistory();
      const started = history.events?.find((e) => e.activityTaskStartedEventAttributes);
      expect(started?.activityTaskStartedEventAttributes?.attempt).toBe(2);
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, workflowId);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('versioning', () => {
  it('keeps a v1 run on its branch after a deploy of patched() v2; new runs take v2', async () => {
    const taskQueue = tq('patch');
    const [v1, v2] = await Promise.all(
      ['patch-v1.ts', 'patch-v2.ts'].map((f) =>
        bundleWorkflowCode({
          workflowsPath: path.resolve(__dirname, 'fixtures', f),
          logger: new DefaultLogger('ERROR'),
        }),
      ),
    );
    const worker = (bundle: typeof v1) =>
      Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle!, activities: {} });
    const oldRun = await env.client.workflow.start('patchedWorkflow', {
      taskQueue,
      workflowId: `old-${taskQueue}`,
    });
    const w1 = await worker(v1);
    await w1.runUntil(async () => {
      // Wait for v1 to complete its first workflow task.
      for (let i = 0; i < 100; i++) {
        const names = eventTypeNames(await oldRun.fetchHistory());
        if (names.includes('WorkflowTaskCompleted')) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('v1 never completed a workflow task');
    });
    const w2 = await worker(v2);
    const results = await w2.runUntil(async () => {
      const newRun = await env.client.workflow.start('patchedWorkflow', {
        taskQueue,
        workflowId: `new-${taskQueue}`,
      });
      await Promise.all([oldRun.signal('finish'), newRun.signal('finish')]);
      return Promise.all([oldRun.result(), newRun.result()]);
    });
    expect(results).toEqual(['v1', 'v2']);
    for (const workflowId of [`old-${taskQueue}`, `new-${taskQueue}`]) {
      const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: v2 }, history, workflowId);
    }
  });
});
