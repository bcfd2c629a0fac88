import 'reflect-metadata';
import { type DynamicModule, type INestApplication, Module, ValidationPipe } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Connection } from '@temporalio/client';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import { PLINTH_VERSION, publicApiUrl, type PlinthConfig } from '@plinth/config';
import {
  createApiTokenRepository,
  createAuditLog,
  createClusterRepository,
  createMachineRepository,
  createRunRepository,
  createSecretStore,
  type SecretKey,
} from '@plinth/db';
import type { Logger } from '@plinth/logger';
import { AuditInterceptor } from './auth/audit.interceptor';
import { BootModule } from './boot/boot.module';
import type { BootModuleOptions } from './boot/boot-options';
import { AuthGuard } from './auth/auth.guard';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { PinoNestLogger } from './common/pino-nest-logger';
import { HealthModule } from './health/health.module';
import {
  API_TOKENS,
  AUDIT_LOG,
  CLUSTERS,
  DATA_SOURCE,
  LOGGER,
  MACHINES,
  PLINTH_CONFIG,
  RUNS,
  SECRET_STORE,
  TEMPORAL_CONNECTION,
} from './infrastructure/tokens';
import { ClustersController } from './clusters/clusters.controller';
import { RunsController } from './runs/runs.controller';
import { RunsService } from './runs/runs.service';
import { MachinesController } from './machines/machines.controller';
import { SchemasController } from './schemas/schemas.controller';
import { SecretsController } from './secrets/secrets.controller';
import { CSV_CONTENT_TYPES, YAML_CONTENT_TYPES } from './common/spec-body';
import { TokensController } from './tokens/tokens.controller';

/** What the API is built from; the caller owns their lifecycles (the API closes none of them). */
export interface ApiDependencies {
  config: PlinthConfig;
  dataSource: DataSource;
  temporal: Connection;
  logger: Logger;
  /** Encrypts secrets at rest (see loadSecretKey). */
  secretKey: SecretKey;
  /** Boot provisioner options beyond the defaults (media folder, token lifetime, installer-callback hook). */
  boot?: Partial<Omit<BootModuleOptions, 'secretKey'>>;
}

@Module({})
class InfrastructureModule {
  static with(deps: ApiDependencies): DynamicModule {
    const providers = [
      { provide: PLINTH_CONFIG, useValue: deps.config },
      { provide: DATA_SOURCE, useValue: deps.dataSource },
      { provide: TEMPORAL_CONNECTION, useValue: deps.temporal },
      { provide: LOGGER, useValue: deps.logger },
      { provide: API_TOKENS, useValue: createApiTokenRepository(deps.dataSource) },
      { provide: AUDIT_LOG, useValue: createAuditLog(deps.dataSource) },
      { provide: MACHINES, useValue: createMachineRepository(deps.dataSource) },
      { provide: CLUSTERS, useValue: createClusterRepository(deps.dataSource) },
      { provide: RUNS, useValue: createRunRepository(deps.dataSource) },
      { provide: SECRET_STORE, useValue: createSecretStore(deps.dataSource, deps.secretKey) },
    ];
    // Every infrastructure provider is available to every feature module.
    return {
      module: InfrastructureModule,
      global: true,
      providers,
      exports: providers.map((p) => p.provide),
    };
  }
}

/**
 * Builds the NestJS application (not listening yet): validation, error rendering, request logs,
 * and the OpenAPI document at /docs (JSON at /docs-json).
 */
export async function createApiApp(deps: ApiDependencies): Promise<INestApplication> {
  @Module({
    imports: [
      InfrastructureModule.with(deps),
      HealthModule,
      BootModule.register({
        secretKey: deps.secretKey,
        publicBaseUrl: publicApiUrl(deps.config),
        ...deps.boot,
      }),
    ],
    controllers: [
      SecretsController,
      TokensController,
      MachinesController,
      ClustersController,
      RunsController,
      SchemasController,
    ],
    providers: [
      RunsService,
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
    ],
  })
  class ApiModule {}

  const app = await NestFactory.create<NestExpressApplication>(ApiModule, {
    logger: new PinoNestLogger(deps.logger.child({ component: 'nest' })),
  });
  // JSON (the default parser, 100 kB), and YAML and CSV documents as text, both bounded: larger bodies get 413.
  app.useBodyParser('text', { type: [...YAML_CONTENT_TYPES, ...CSV_CONTENT_TYPES], limit: '1mb' });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new ApiExceptionFilter(deps.logger));
  app.use(requestLog(deps.logger));

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Plinth API')
      .setDescription('Launch and inspect cluster builds on physical servers.')
      .setVersion(PLINTH_VERSION)
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'API token (plt_…); `npm start` prints the first one',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}

function requestLog(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.on('finish', () => {
      log.info(
        {
          method: req.method,
          // Boot config paths carry one-time tokens: never log them.
          path: req.path.replace(/^\/boot\/configs\/[^/]+/, '/boot/configs/<token>'),
          status: res.statusCode,
          durationMs: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    next();
  };
}
