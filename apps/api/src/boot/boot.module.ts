import type { Server } from 'node:http';
import { type DynamicModule, Inject, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import {
  createBootConfigRepository,
  type BootConfigRepository,
  type ClusterRepository,
  type MachineRepository,
  type SecretStore,
} from '@plinth/db';
import type { Logger } from '@plinth/logger';
import {
  createBootService,
  createInstallConfigService,
  createTemplateEnvironment,
  type BootService,
} from '@plinth/templates';
import { CLUSTERS, DATA_SOURCE, LOGGER, MACHINES, SECRET_STORE } from '../infrastructure/tokens';
import {
  BOOT_CONFIGS,
  BOOT_OPTIONS,
  BOOT_SERVICE,
  INSTALL_CONFIGS,
  type BootModuleOptions,
} from './boot-options';
import { installBootFastLane } from './boot-fast-lane';
import { BootController } from './boot.controller';
import { TemplatesController } from './templates.controller';

/**
 * The boot provisioner: public `/boot/*` endpoints for netbooting machines and installers (their
 * one-time tokens are the credentials) and `GET /templates/render` (masked previews, `read` scope).
 *
 * Needs from the API's global infrastructure: DATA_SOURCE, LOGGER, MACHINES, CLUSTERS, SECRET_STORE.
 * Exports INSTALL_CONFIGS (an `InstallConfigService`) for features that show masked renders.
 * At bootstrap it puts the two netboot GETs on a fast lane ahead of Express (see boot-fast-lane.ts).
 */
@Module({})
export class BootModule implements OnApplicationBootstrap {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(BOOT_SERVICE) private readonly boot: BootService,
    @Inject(BOOT_OPTIONS) private readonly options: BootModuleOptions,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.fastLane === false) return;
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server) installBootFastLane(server, this.boot, this.log);
  }

  static register(options: BootModuleOptions): DynamicModule {
    const environment = createTemplateEnvironment();
    const publicBaseUrl = options.publicBaseUrl.replace(/\/$/, '');
    return {
      module: BootModule,
      controllers: [BootController, TemplatesController],
      providers: [
        { provide: BOOT_OPTIONS, useValue: { ...options, publicBaseUrl } },
        {
          provide: BOOT_CONFIGS,
          inject: [DATA_SOURCE],
          useFactory: (dataSource: DataSource) => createBootConfigRepository(dataSource, options.secretKey),
        },
        {
          provide: BOOT_SERVICE,
          inject: [BOOT_CONFIGS, LOGGER],
          useFactory: (configs: BootConfigRepository, logger: Logger) => {
            const log = logger.child({ component: 'boot' });
            return createBootService({
              configs,
              publicBaseUrl,
              environment,
              ...(options.onInstallerCallback ? { hook: options.onInstallerCallback } : {}),
              ...(options.configCacheTtlMs !== undefined
                ? { configCacheTtlMs: options.configCacheTtlMs }
                : {}),
              onError: (error, what) => log.error({ err: error }, `${what} failed`),
            });
          },
        },
        {
          provide: INSTALL_CONFIGS,
          inject: [BOOT_CONFIGS, MACHINES, CLUSTERS, SECRET_STORE],
          useFactory: (
            configs: BootConfigRepository,
            machines: MachineRepository,
            clusters: ClusterRepository,
            secrets: SecretStore,
          ) =>
            createInstallConfigService({
              configs,
              machines,
              clusters,
              revealSecret: (ref) => secrets.reveal(ref),
              publicBaseUrl,
              environment,
              ...(options.tokenTtlMs !== undefined ? { tokenTtlMs: options.tokenTtlMs } : {}),
              ...(options.globalParams ? { globalParams: options.globalParams } : {}),
            }),
        },
      ],
      exports: [INSTALL_CONFIGS],
    };
  }
}
