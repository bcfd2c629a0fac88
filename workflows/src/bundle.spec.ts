import { resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const quiet = { logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } };

describe('workflow bundle', () => {
  it('bundles every registered workflow with the Temporal bundler', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: resolve(__dirname, 'index.ts'),
      ...quiet,
    });
    expect(code).toContain('pingWorkflow');
  });

  it('refuses workflow code that imports a Node built-in', async () => {
    const broken = resolve(__dirname, '../../test/fixtures/workflow-determinism/imports-fs.ts');
    await expect(bundleWorkflowCode({ workflowsPath: broken, ...quiet })).rejects.toThrow(
      /importing the following disallowed modules[\s\S]*'fs'/,
    );
  });
});
