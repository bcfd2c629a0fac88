import 'reflect-metadata';
import { type INestApplication, Module, ValidationPipe } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Writable } from 'node:stream';
import pino from 'pino';
import {
  createApiTokenRepository,
  createAuditLog,
  createClusterRepository,
  createMachineRepository,
  createSecretStore,
  findFreePort,
  type SecretKey,
} from '@plinth/db';
import type { DataSource } from 'typeorm';
import { AuditInterceptor } from '../../auth/audit.interceptor';
import { AuthGuard } from '../../auth/auth.guard';
import { ApiExceptionFilter } from '../../common/api-exception.filter';
import {
  API_TOKENS,
  AUDIT_LOG,
  CLUSTERS,
  DATA_SOURCE,
  LOGGER,
  MACHINES,
  SECRET_STORE,
} from '../../infrastructure/tokens';
import type { BootModuleOptions } from '../boot-options';
import { BootModule } from '../boot.module';

/** The boot module in an API built like `createApiApp` builds it (auth guard, audit, errors, request log). */
export interface BootTestApi {
  app: INestApplication;
  url: string;
  /** An admin API token (for `/templates/render`). */
  adminToken: string;
  logLines: string[];
  close(): Promise<void>;
}

/**
 * Serves `BootModule.register(options)` over `db` on 127.0.0.1 (`port`: a free one by default).
 * The caller owns the database. `publicBaseUrl` defaults to `http://127.0.0.1:<port>`.
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
  // The public base URL goes into rendered configs, so the port is chosen before the module is built.
  const port = options.port ?? (await findFreePort());
  const { port: _port, logSink: _logSink, ...moduleOptions } = options;
  const boot: BootModuleOptions = {
    ...moduleOptions,
    publicBaseUrl: options.publicBaseUrl ?? `http://127.0.0.1:${port}`,
  };

  const providers = [
    { provide: DATA_SOURCE, useValue: db.dataSource },
    { provide: LOGGER, useValue: logger },
    { provide: API_TOKENS, useValue: tokens },
    { provide: AUDIT_LOG, useValue: createAuditLog(db.dataSource) },
    { provide: MACHINES, useValue: createMachineRepository(db.dataSource) },
    { provide: CLUSTERS, useValue: createClusterRepository(db.dataSource) },
    { provide: SECRET_STORE, useValue: createSecretStore(db.dataSource, options.secretKey) },
  ];
  @Module({ providers, exports: providers.map((provider) => provider.provide) })
  class TestInfrastructure {}
  const infrastructure = { module: TestInfrastructure, global: true };

  @Module({
    imports: [infrastructure, BootModule.register(boot)],
    providers: [
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
    ],
  })
  class BootTestModule {}

  const app = await NestFactory.create<NestExpressApplication>(BootTestModule, { logger: false });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new ApiExceptionFilter(logger));
  // The same request log as createApiApp: method, path, status.
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.on('finish', () =>
      logger.info({ method: req.method, path: req.path, status: res.statusCode }, 'request'),
    );
    next();
  });
  await app.listen(port, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    url,
    adminToken,
    logLines,
    async close() {
      await app.close();
    },
  };
}
