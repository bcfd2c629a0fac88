import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServerHandle } from '@plinth/devserver';
import { ensureSearchAttributes } from '@plinth/stack';
import { createPlinthWorker } from '@plinth/worker';
import { startTestApi, type TestApi } from '../testing/test-api';
import type { RunView } from './runs.service';
import type { RunEvent } from './history-events';

import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';

const examples = resolve(__dirname, '../../../../examples');
const BMC_PASSWORD = 'lab-bmc-password-7f3a9c';

/** Reads a server-sent-events response until `until` returns true or the stream ends. */
async function readEvents(
  response: Response,
  until: (event: { id?: string; event: string; data: string }) => boolean,
): Promise<{ id?: string; event: string; data: string }[]> {
  const seen: { id?: string; event: string; data: string }[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return seen;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith(':')) continue;
      const fields = Object.fromEntries(
        block
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      const message = { id: fields['id'], event: fields['event'] ?? 'message', data: fields['data'] ?? '' };
      seen.push(message);
      if (until(message)) {
        await reader.cancel();
        return seen;
      }
    }
  }
}

/**
 * With PLINTH_CAPTURE_HISTORIES=1, saves the histories of this suite's runs as replay fixtures
 * (workflows/test/histories, protobuf-encoded `History`), so later workflow changes are checked against them.
 */
async function captureHistories(runIds: string[]): Promise<void> {
  if (process.env['PLINTH_CAPTURE_HISTORIES'] !== '1' || !historyReader.current) return;
  const dir = resolve(__dirname, '../../../../workflows/test/histories');
  mkdirSync(dir, { recursive: true });
  for (const [index, runId] of runIds.entries()) {
    const name = `deploy-cluster-v1-${index === 0 ? 'approved' : 'canceled'}.binpb`;
    writeFileSync(resolve(dir, name), await historyReader.current(runId));
  }
}
const historyReader: { current?: (runId: string) => Promise<Uint8Array> } = {};

describe('runs API against the dev server and a real worker', () => {
  let temporal: DevServerHandle;
  let api: TestApi;
  let worker: Worker;
  let workerRun: Promise<void>;
  const bodies: string[] = [];

  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; token?: string } = {},
  ) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token ?? api.tokens.write}`,
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    bodies.push(text);
    return {
      status: response.status,
      headers: response.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  };
  const run = async (id: string): Promise<RunView> =>
    (await call('GET', `/runs/${id}`)).body as unknown as RunView;
  const eventually = async <T>(
    read: () => Promise<T>,
    ok: (value: T) => boolean,
    what: string,
  ): Promise<T> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await read();
      if (ok(value)) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // Another suite in this process installed the runtime first.
    }
    temporal = await startDevServer({ logLevel: 'error' });
    await ensureSearchAttributes(temporal.address, 'default');
    api = await startTestApi({ temporalAddress: temporal.address });
    ({ worker } = await createPlinthWorker({
      temporalAddress: temporal.address,
      namespace: 'default',
      dataSource: api.db.dataSource,
      secretKey: api.secretKey,
      publicBaseUrl: api.url,
    }));
    workerRun = worker.run();
    historyReader.current = async (runId) => {
      const row = (await api.db.dataSource.query('SELECT workflow_id FROM runs WHERE id = $1', [runId])) as {
        workflow_id: string;
      }[];
      const connection = await Connection.connect({ address: temporal.address });
      const history = await new Client({ connection }).workflow.getHandle(row[0]!.workflow_id).fetchHistory();
      await connection.close();
      return proto.api.history.v1.History.encode(history).finish();
    };
    await call('POST', '/secrets', { body: { name: 'lab-bmc', value: `admin:${BMC_PASSWORD}` } });
    for (const file of ['inventory.yaml', 'cluster.yaml']) {
      const response = await fetch(
        `${api.url}/${file === 'inventory.yaml' ? 'machines/import' : 'clusters'}`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${api.tokens.write}`, 'content-type': 'application/yaml' },
          body: readFileSync(`${examples}/${file}`, 'utf8'),
        },
      );
      expect(response.status).toBe(201);
    }
  }, 60_000);

  afterAll(async () => {
    worker?.shutdown();
    await workerRun;
    await api?.close();
    await temporal?.stop();
  });

  let firstRunId = '';

  it('launches a deployment once per Idempotency-Key and refuses a second active run', async () => {
    const first = await call('POST', '/clusters/lab-1/deployments', {
      headers: { 'idempotency-key': 'launch-1' },
    });
    expect(first.status).toBe(201);
    firstRunId = String(first.body['id']);
    expect(first.headers.get('location')).toBe(`/runs/${firstRunId}`);
    expect(first.body).toMatchObject({
      cluster: { name: 'lab-1' },
      revision: 1,
      kind: 'deploy',
      requestedBy: 'writer',
    });
    expect((first.body['workflow'] as { id: string }).id).toMatch(/^deploy\/[0-9a-f-]{36}\/1$/);
    expect((first.body['workflow'] as { runId: string }).runId).toMatch(/^[0-9a-f-]{36}$/);

    const again = await call('POST', '/clusters/lab-1/deployments', {
      headers: { 'idempotency-key': 'launch-1' },
    });
    expect(again.status).toBe(200);
    expect(again.body['id']).toBe(firstRunId);

    const other = await call('POST', '/clusters/lab-1/deployments');
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: 'RUN_ACTIVE', details: { runId: firstRunId } });

    expect((await call('POST', '/clusters/nope/deployments')).body['code']).toBe('CLUSTER_NOT_FOUND');
    const badKey = await call('POST', '/clusters/lab-1/deployments', {
      headers: { 'idempotency-key': 'has space' },
    });
    expect(badKey.status).toBe(400);
    expect(badKey.body['code']).toBe('INVALID_IDEMPOTENCY_KEY');
  });

  it('shows per-machine progress and stops at the approval gate', async () => {
    const waiting = await eventually(
      () => run(firstRunId),
      (view) => view.progress?.phase === 'awaiting-approval',
      'the before-openstack gate',
    );
    expect(waiting.status).toBe('running');
    expect(waiting.startedAt).not.toBeNull();
    expect(waiting.progress).toMatchObject({ source: 'workflow', awaitingApproval: 'before-openstack' });
    expect(waiting.progress!.machines.map((m) => m.name).sort()).toEqual([
      'lab-cp-1',
      'lab-cp-2',
      'lab-cp-3',
      'lab-w-1',
      'lab-w-2',
      'lab-w-3',
    ]);
    const machine = waiting.progress!.machines[0]!;
    expect(machine.steps.discover).toMatchObject({ status: 'skipped' });
    expect(machine.steps.discover.errorMessage).toContain('no role implementations');
    // The database read model was written by the workflow's activities.
    const steps = await api.db.dataSource.query(
      'SELECT count(*)::int AS n FROM run_machine_states WHERE run_id = $1',
      [firstRunId],
    );
    expect(steps[0].n).toBe(24);
  });

  it('pauses and resumes, refuses retrying a machine that did not fail, and checks gates', async () => {
    expect((await call('POST', `/runs/${firstRunId}/pause`, { body: { reason: 'rack work' } })).status).toBe(
      202,
    );
    await eventually(
      () => run(firstRunId),
      (view) => view.progress?.paused === true,
      'paused',
    );
    expect((await run(firstRunId)).progress?.message).toBe('paused by writer: rack work');
    expect((await call('POST', `/runs/${firstRunId}/resume`)).status).toBe(202);
    await eventually(
      () => run(firstRunId),
      (view) => view.progress?.paused === false,
      'resumed',
    );

    const retry = await call('POST', `/runs/${firstRunId}/machines/lab-w-1/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body['code']).toBe('MACHINE_NOT_FAILED');
    expect((await call('POST', `/runs/${firstRunId}/machines/nope/retry`)).body['code']).toBe(
      'MACHINE_NOT_IN_RUN',
    );

    const wrongGate = await call('POST', `/runs/${firstRunId}/approve`, {
      body: { gate: 'before-kubernetes' },
    });
    expect(wrongGate.status).toBe(409);
    expect(wrongGate.body['code']).toBe('NO_SUCH_GATE');
    const badGate = await call('POST', `/runs/${firstRunId}/approve`, { body: { gate: 'yes' } });
    expect(badGate.status).toBe(400);
    expect(JSON.stringify(badGate.body)).toContain('gate must be one of');
    expect(
      (await call('POST', `/runs/${firstRunId}/approve`, { body: {}, token: api.tokens.read })).status,
    ).toBe(403);
  });

  it('streams the history live over SSE until the run ends, after approval', async () => {
    const stream = await fetch(`${api.url}/runs/${firstRunId}/events`, {
      headers: { authorization: `Bearer ${api.tokens.read}`, accept: 'text/event-stream' },
    });
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const collected = readEvents(stream, (message) => message.event === 'end');
    expect(
      (await call('POST', `/runs/${firstRunId}/approve`, { body: { gate: 'before-openstack' } })).status,
    ).toBe(202);
    const messages = await collected;
    const history = messages.filter((m) => m.event === 'history').map((m) => JSON.parse(m.data) as RunEvent);
    expect(history[0]).toMatchObject({
      id: 1,
      type: 'WorkflowExecutionStarted',
      summary: 'workflow deployCluster started',
    });
    expect(history.map((e) => e.id)).toEqual(history.map((_, index) => index + 1));
    expect(
      history.some((e) => e.type === 'WorkflowExecutionSignaled' && e.summary === 'signal approve received'),
    ).toBe(true);
    expect(history.at(-1)?.type).toBe('WorkflowExecutionCompleted');
    expect(messages.at(-1)?.event).toBe('end');

    // Resuming from Last-Event-ID sends only what came after it.
    const resumed = await fetch(`${api.url}/runs/${firstRunId}/events`, {
      headers: {
        authorization: `Bearer ${api.tokens.read}`,
        accept: 'text/event-stream',
        'last-event-id': String(history.length - 2),
      },
    });
    const tail = (await readEvents(resumed, (m) => m.event === 'end')).filter((m) => m.event === 'history');
    expect(tail.map((m) => Number(m.id))).toEqual([history.length - 1, history.length]);
  });

  it('records the end in the database and pages through the decoded history', async () => {
    const done = await eventually(
      () => run(firstRunId),
      (view) => view.status === 'succeeded',
      'succeeded',
    );
    expect(done.finishedAt).not.toBeNull();
    expect(done.workflow.runId).toMatch(/[0-9a-f-]{36}/);

    const listed = await call('GET', '/runs?cluster=lab-1&status=succeeded,failed&kind=deploy');
    expect((listed.body as unknown as RunView[]).map((r) => r.id)).toEqual([firstRunId]);
    expect((await call('GET', '/runs?cluster=lab-1&status=running')).body).toEqual([]);
    expect((await call('GET', '/runs?cluster=unknown')).body).toEqual([]);

    const ids: number[] = [];
    let token: string | undefined;
    do {
      const page = await call(
        'GET',
        `/runs/${firstRunId}/events?pageSize=7${token ? `&pageToken=${token}` : ''}`,
      );
      expect(page.status).toBe(200);
      const events = page.body['events'] as RunEvent[];
      expect(events.length).toBeLessThanOrEqual(7);
      ids.push(...events.map((e) => e.id));
      token = page.body['nextPageToken'] as string | undefined;
    } while (token);
    expect(ids).toEqual(ids.map((_, index) => index + 1));
    const page = await call('GET', `/runs/${firstRunId}/events?pageSize=1000`);
    const scheduled = (page.body['events'] as RunEvent[]).find((e) => e.type === 'ActivityTaskScheduled');
    expect(scheduled?.summary).toBe('activity recordRunStatus scheduled');
    expect((scheduled?.attributes['input'] as unknown[])[0]).toMatchObject({
      runId: firstRunId,
      status: 'running',
    });

    const ended = await call('POST', `/runs/${firstRunId}/pause`, { body: {} });
    expect(ended.status).toBe(409);
    expect(ended.body['code']).toBe('RUN_ENDED');
  });

  it('cancels a run: the workflow ends canceled and the database says so', async () => {
    const launched = await call('POST', '/clusters/lab-1/deployments');
    expect(launched.status).toBe(201);
    const id = String(launched.body['id']);
    expect((launched.body['workflow'] as { id: string }).id).toMatch(/\/2$/);
    await eventually(
      () => run(id),
      (view) => view.progress?.phase === 'awaiting-approval',
      'the gate',
    );
    expect((await call('POST', `/runs/${id}/cancel`)).status).toBe(202);
    const canceled = await eventually(
      () => run(id),
      (view) => view.status === 'canceled',
      'canceled',
    );
    expect(canceled.finishedAt).not.toBeNull();
    const rows = await api.db.dataSource.query('SELECT status FROM runs WHERE id = $1', [id]);
    expect(rows[0].status).toBe('canceled');
    await captureHistories([String(firstRunId), id]);
  });

  it('answers bad run requests with 400/404 naming the problem', async () => {
    expect((await call('GET', '/runs/00000000-0000-0000-0000-000000000000')).body['code']).toBe(
      'RUN_NOT_FOUND',
    );
    expect((await call('GET', '/runs/not-a-uuid')).status).toBe(404);
    const badStatus = await call('GET', '/runs?status=bogus');
    expect(badStatus.status).toBe(400);
    expect(JSON.stringify(badStatus.body)).toContain('status must be a comma-separated list');
    expect((await call('GET', '/runs?limit=0')).status).toBe(400);
    expect((await call('GET', `/runs/${firstRunId}/events?pageSize=abc`)).status).toBe(400);
    expect((await call('GET', `/runs/${firstRunId}/events?pageToken=%%%`)).status).toBe(400);
  });

  it('never shows the BMC password in a response, a log line or the workflow history', async () => {
    const history = await call('GET', `/runs/${firstRunId}/events?pageSize=1000`);
    expect(JSON.stringify(history.body)).not.toContain(BMC_PASSWORD);
    for (const body of bodies) expect(body).not.toContain(BMC_PASSWORD);
    for (const line of api.logLines) expect(line).not.toContain(BMC_PASSWORD);
  });

  it('refuses deleting a cluster or a machine while a run uses them, and deletes them after', async () => {
    const launched = await call('POST', '/clusters/lab-1/deployments');
    const id = String(launched.body['id']);
    const cluster = await call('DELETE', '/clusters/lab-1');
    expect(cluster.status).toBe(409);
    expect(cluster.body).toMatchObject({ code: 'RUN_ACTIVE', details: { runId: id } });
    const machine = await call('DELETE', '/machines/lab-w-1');
    expect(machine.status).toBe(409);
    expect(machine.body).toMatchObject({ code: 'MACHINE_IN_USE', details: { runId: id } });

    expect((await call('POST', `/runs/${id}/cancel`)).status).toBe(202);
    await eventually(
      () => run(id),
      (view) => view.status === 'canceled',
      'canceled',
    );
    expect((await call('DELETE', '/machines/lab-w-1')).status).toBe(204);
    expect((await call('DELETE', '/clusters/lab-1')).status).toBe(204);
    expect((await call('GET', `/runs/${id}`)).status).toBe(404);
    expect((await call('GET', '/clusters/lab-1')).status).toBe(404);
    expect((await call('DELETE', '/clusters/lab-1')).status).toBe(404);
  });
});
