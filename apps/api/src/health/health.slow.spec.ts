import type { INestApplication } from '@nestjs/common';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@plinth/config';
import { startDevServer, type DevServerHandle } from '@plinth/devserver';
import { createLogger } from '@plinth/logger';
import { createTestDatabase, type TestDatabase } from '@plinth/testing';
import { parseSecretKey } from '@plinth/db';
import { createApiApp } from '../api-app';
import type { HealthResponseDto } from './dto/health-response.dto';

type HealthBody = HealthResponseDto;

describe('GET /healthz', () => {
  let db: TestDatabase;
  let temporalServer: DevServerHandle;
  const apps: INestApplication[] = [];
  const connections: Connection[] = [];

  async function startApi(temporalAddress: string): Promise<string> {
    const config = loadConfig({ TEMPORAL_ADDRESS: temporalAddress, PLINTH_API_PORT: '0' });
    const temporal = Connection.lazy({ address: temporalAddress });
    connections.push(temporal);
    const app = await createApiApp({
      config,
      dataSource: db.dataSource,
      temporal,
      logger: createLogger({ name: 'test', level: 'silent' }),
      secretKey: parseSecretKey(Buffer.alloc(32, 7).toString('base64'), 'test'),
    });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return app.getUrl();
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    temporalServer = await startDevServer({ logLevel: 'error' });
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const c of connections) await c.close();
    await temporalServer.stop();
    await db.drop();
  });

  it('answers 200 with timings when PostgreSQL and Temporal are reachable', async () => {
    const url = await startApi(temporalServer.address);
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as HealthBody;
    expect(body.status).toBe('ok');
    expect(body.checks.database).toMatchObject({ ok: true, pendingMigrations: [] });
    expect(body.checks.database.instanceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.checks.database.latencyMs).toBeGreaterThan(0);
    expect(body.checks.temporal).toMatchObject({
      ok: true,
      address: temporalServer.address,
      namespace: 'default',
    });
    expect(body.checks.temporal.latencyMs).toBeGreaterThan(0);
  });

  it('answers 503 and says which dependency is down', async () => {
    const url = await startApi('127.0.0.1:1');
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as HealthBody;
    expect(body.status).toBe('degraded');
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.temporal.ok).toBe(false);
    expect(body.checks.temporal.error).toMatch(/^Temporal did not answer/);
  });

  it('publishes the OpenAPI document at /docs and errors as { code, message }', async () => {
    const url = await startApi(temporalServer.address);
    const spec = (await (await fetch(`${url}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toContain('/healthz');
    expect((await fetch(`${url}/docs`)).status).toBe(200);
    const missing = await fetch(`${url}/no-such-thing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: 'NOT_FOUND', message: 'Cannot GET /no-such-thing' });
  });
});
