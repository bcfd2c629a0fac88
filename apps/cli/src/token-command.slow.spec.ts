import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '@plinth/api/testing';

const run = promisify(execFile);
const plinth = resolve(__dirname, '../bin/plinth.js');

describe('plinth token create', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api?.close());

  it('issues a token through the API that then works with its scopes', async () => {
    const { stdout } = await run(process.execPath, [
      plinth,
      'token',
      'create',
      '--name',
      'ci',
      '--scopes',
      'read,write',
      '--api',
      api.url,
      '--token',
      api.tokens.admin,
    ]);
    expect(stdout).toContain('Created token "ci" with scopes [read, write]');
    const token = stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^plt_/);
    expect((await api.call('GET', '/machines', { token })).status).toBe(200);
    expect((await api.call('POST', '/tokens', { token, body: { name: 'x', scopes: ['read'] } })).status).toBe(
      403,
    );
  });

  it('explains a refused request and exits non-zero', async () => {
    const failed = await run(process.execPath, [
      plinth,
      'token',
      'create',
      '--name',
      'ci',
      '--scopes',
      'root',
      '--api',
      api.url,
      '--token',
      api.tokens.admin,
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('400 VALIDATION_FAILED');
    expect((failed as { stderr: string }).stderr).toContain('each scope must be one of read, write, admin');

    const wrongToken = await run(process.execPath, [
      plinth,
      'token',
      'create',
      '--name',
      'ci',
      '--api',
      api.url,
      '--token',
      api.tokens.write,
    ]).catch((error: { code: number; stderr: string }) => error);
    expect((wrongToken as { stderr: string }).stderr).toContain('403 FORBIDDEN');

    const noApi = await run(
      process.execPath,
      [plinth, 'token', 'create', '--name', 'ci', '--api', 'http://127.0.0.1:1', '--token', 'x'],
      {
        env: { ...process.env, PLINTH_HOME: '/nonexistent' },
      },
    ).catch((error: { code: number; stderr: string }) => error);
    expect((noApi as { stderr: string }).stderr).toContain(
      'cannot reach the Plinth API at http://127.0.0.1:1',
    );
  });
});
