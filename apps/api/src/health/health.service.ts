import { Inject, Injectable } from '@nestjs/common';
import type { Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { pendingMigrations } from '@plinth/db';

import { DATA_SOURCE, PLINTH_CONFIG, TEMPORAL_CONNECTION } from '../infrastructure/tokens';
import { PLINTH_VERSION, type PlinthConfig } from '@plinth/config';
import type { DatabaseCheckDto, HealthResponseDto, TemporalCheckDto } from './dto/health-response.dto';

/** A dependency that does not answer within this time counts as down. */
const CHECK_TIMEOUT_MS = 2_000;
const startedAt = Date.now();

@Injectable()
export class HealthService {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CONNECTION) private readonly temporal: Connection,
    @Inject(PLINTH_CONFIG) private readonly config: PlinthConfig,
  ) {}

  /** Checks PostgreSQL and Temporal concurrently, each bounded by {@link CHECK_TIMEOUT_MS}. */
  async check(): Promise<HealthResponseDto> {
    const [database, temporal] = await Promise.all([this.checkDatabase(), this.checkTemporal()]);
    return {
      status: database.ok && temporal.ok ? 'ok' : 'degraded',
      version: PLINTH_VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      checks: { database, temporal },
    };
  }

  private async checkDatabase(): Promise<DatabaseCheckDto> {
    const started = performance.now();
    try {
      const rows = await withTimeout(
        this.dataSource.query('SELECT id FROM plinth_instance LIMIT 1') as Promise<{ id: string }[]>,
        'PostgreSQL',
      );
      const pending = await pendingMigrations(this.dataSource);
      return { ok: true, latencyMs: elapsed(started), instanceId: rows[0]?.id, pendingMigrations: pending };
    } catch (error) {
      return { ok: false, latencyMs: elapsed(started), error: describe(error), pendingMigrations: [] };
    }
  }

  private async checkTemporal(): Promise<TemporalCheckDto> {
    const started = performance.now();
    const base = {
      address: this.config.TEMPORAL_ADDRESS ?? '(not configured)',
      namespace: this.config.TEMPORAL_NAMESPACE,
    };
    try {
      const info = await this.temporal.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
        this.temporal.workflowService.getSystemInfo({}),
      );
      return {
        ...base,
        ok: true,
        latencyMs: elapsed(started),
        serverVersion: info.serverVersion ?? undefined,
      };
    } catch (error) {
      return {
        ...base,
        ok: false,
        latencyMs: elapsed(started),
        error: `Temporal did not answer: ${describe(error)}`,
      };
    }
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
