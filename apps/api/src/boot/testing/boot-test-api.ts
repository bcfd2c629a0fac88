import type { INestApplication } from '@nestjs/common';
import { Connection } from '@temporalio/client';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '@plinth/config';
import { createApiTokenRepository, findFreePort, type SecretKey } from '@plinth/db';
import type { DataSource } from 'typeorm';
import { createApiApp } from '../../api-app';
import type { BootModuleOptions } from '../boot-options';

/** The whole API (as `createApiApp` builds it) with boot options chosen by the test. */
export interface BootTestApi {
  app: INestApplication;
  url: string;
  /** An admin API token (for `/templates/render`). */
  adminToken: string;
  logLines: string[];
  close(): Promise<void>;
}

/**
 * Serves the API over `db` on 127.0.0.1 (`port`: a free one by default) with the given boot
 * options. The caller owns the database. `publicBaseUrl` defaults to `http://127.0.0.1:<port>`.
 * Temporal is not needed by the boot endpoints: the API points at an address nobody serves.
 */
export async function startBootTestApi(
  db: { dataSource: DataSource },
  options: Omit<BootModuleOptions, 'secretKey' | 'publicBaseUrl'> & {
    secretKey: SecretKey;
    publicBaseUrl?: string;
    port?: number;
    /** Keep log lines in `logLines` (default) or drop them (load runs). */
    logSink?: 'memory' | 'discard';
  },
): Promise<BootTestApi> {
  const logLines: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (options.logSink !== 'discard') logLines.push(chunk.toString());
        done();
      },
    }),
  );
  const tokens = createApiTokenRepository(db.dataSource);
  const adminToken =
    (await tokens.createBootstrapTokenIfNone()) ??
    (await tokens.create('boot-test-admin', ['admin', 'read', 'write'])).token;
  // The public base URL goes into rendered configs, so the port is chosen before the app is built.
  const port = options.port ?? (await findFreePort());
  const { port: _port, logSink: _logSink, secretKey, publicBaseUrl, ...boot } = options;
  const temporal = Connection.lazy({ address: '127.0.0.1:1' });
  const app = await createApiApp({
    config: loadConfig({
      PLINTH_API_PORT: String(port),
      ...(publicBaseUrl ? { PLINTH_PUBLIC_URL: publicBaseUrl } : {}),
    }),
    dataSource: db.dataSource,
    temporal,
    logger,
    secretKey,
    boot,
  });
  await app.listen(port, '127.0.0.1');
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    adminToken,
    logLines,
    async close() {
      await app.close();
      await temporal.close();
    },
  };
}
