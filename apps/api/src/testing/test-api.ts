import type { INestApplication } from '@nestjs/common';
import { Connection } from '@temporalio/client';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '@plinth/config';
import { createApiTokenRepository, findFreePort, parseSecretKey, type SecretKey } from '@plinth/db';
import { createTestDatabase, type TestDatabase } from '@plinth/testing';
import { createApiApp } from '../api-app';

/** An API on loopback over its own test database, with tokens of each scope and captured logs. */
export interface TestApi {
  url: string;
  db: TestDatabase;
  tokens: Record<'read' | 'write' | 'admin', string>;
  /** The key the API encrypts secrets with (a worker in the same test needs it too). */
  secretKey: SecretKey;
  /** Every log line the API wrote. */
  logLines: string[];
  /** fetch with an optional bearer token; objects are sent as JSON, strings as-is with `contentType`. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; contentType?: string },
  ): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestApi(options: { temporalAddress?: string } = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const repo = createApiTokenRepository(db.dataSource);
  const tokens = {
    admin: (await repo.createBootstrapTokenIfNone())!,
    read: (await repo.create('reader', ['read'])).token,
    write: (await repo.create('writer', ['write'])).token,
  };
  const temporalAddress = options.temporalAddress ?? '127.0.0.1:1';
  const temporal = Connection.lazy({ address: temporalAddress });
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  // A known port before the app is built: the boot provisioner writes the API's URL into configs.
  const port = await findFreePort();
  const secretKey = parseSecretKey(Buffer.alloc(32, 3).toString('base64'), 'test');
  const app: INestApplication = await createApiApp({
    config: loadConfig({ PLINTH_API_PORT: String(port), TEMPORAL_ADDRESS: temporalAddress }),
    dataSource: db.dataSource,
    temporal,
    logger: pino({ level: 'trace' }, sink),
    secretKey,
  });
  await app.listen(port, '127.0.0.1');
  const url = await app.getUrl();
  return {
    url,
    db,
    tokens,
    secretKey,
    logLines,
    call(method, path, { token, body, contentType } = {}) {
      const raw = typeof body === 'string';
      return fetch(`${url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': contentType ?? 'application/json' } : {}),
        },
        body: body === undefined ? undefined : raw ? (body as string) : JSON.stringify(body),
      });
    },
    async close() {
      await app.close();
      await temporal.close();
      await db.drop();
    },
  };
}
