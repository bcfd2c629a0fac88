import { Context } from '@temporalio/activity';
import { RoleError, toApplicationFailure, type ProvisionActivities } from '@plinth/contracts';
import type { BootConfigRepository } from '@plinth/db';
import type { Logger } from '@plinth/logger';
import type { InstallConfigService } from '@plinth/templates';

/** What the provisioning activities are built from; the worker app builds the real ones. */
export interface ProvisionActivityDeps {
  /** Renders and stores install configs (`createInstallConfigService` over the database and secret store). */
  installConfigs: Pick<InstallConfigService, 'renderAndStore'>;
  configs: Pick<BootConfigRepository, 'find'>;
  logger?: Logger;
}

/**
 * Builds the {@link ProvisionActivities}. Thin: the service renders and stores; the activity
 * heartbeats, honours cancellation (nothing is stored once cancelled), logs ids and hashes only,
 * and turns role errors into Temporal failures with their code and retryability.
 */
export const createProvisionActivities = (deps: ProvisionActivityDeps): ProvisionActivities => ({
  async renderInstallConfig(input) {
    const context = activityContext();
    const log = deps.logger?.child({
      runId: input.runId,
      machineId: input.machineId,
      role: 'provision-os',
      attempt: context?.info.attempt,
    });
    context?.heartbeat({ step: 'render' });
    try {
      const rendered = await deps.installConfigs.renderAndStore(
        input,
        context ? { signal: context.cancellationSignal } : {},
      );
      log?.info(
        {
          configId: rendered.configId,
          sha256: rendered.sha256,
          installer: rendered.installer,
          reused: rendered.reused,
        },
        'install config rendered',
      );
      return rendered;
    } catch (error) {
      throw asFailure(error);
    }
  },

  async installerReport({ configId }) {
    const record = await deps.configs.find(configId);
    if (!record?.callbackReport || !record.callbackUsedAt) return { reported: false };
    return { reported: true, report: record.callbackReport, reportedAt: record.callbackUsedAt.toISOString() };
  },
});

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

function asFailure(error: unknown): unknown {
  return error instanceof RoleError ? toApplicationFailure(error) : error;
}
