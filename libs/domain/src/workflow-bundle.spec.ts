import { resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';

const quiet = { logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } };

describe('libs/domain inside workflow code', () => {
  it('bundles with the Temporal workflow bundler (no Node built-ins, yaml included)', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: resolve(__dirname, 'fixtures/workflow-using-domain.ts'),
      ...quiet,
    });
    expect(code).toContain('validateSpecWorkflow');
    expect(code).toContain('must be between');
  });
});
