import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * Histories recorded by earlier versions of the workflows (workflows/test/histories, captured with
 * PLINTH_CAPTURE_HISTORIES=1 from the runs API suite) must replay against today's code: a change
 * that breaks them would break every run in flight during an upgrade.
 */
const dir = resolve(__dirname, '../test/histories');
const files = readdirSync(dir).filter((name) => name.endsWith('.binpb'));

describe('replaying recorded workflow histories', () => {
  let workflowBundle: { code: string };
  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // Installed by another suite in this process.
    }
    workflowBundle = await bundleWorkflowCode({
      workflowsPath: resolve(__dirname, 'index.ts'),
      logger: new DefaultLogger('ERROR'),
    });
  }, 60_000);

  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(resolve(dir, file)));
    await expect(Worker.runReplayHistory({ workflowBundle }, history, file)).resolves.toBeUndefined();
  });
});
