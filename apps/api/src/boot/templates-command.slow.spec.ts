import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@plinth/testing';
import { KEYS, PASSWORD_HASH, seedBootScenario } from '@plinth/templates/testing';
import { startBootTestApi, type BootTestApi } from './testing/boot-test-api';

/**
 * `plinth templates render` (apps/cli/src/templates-command.ts) as a process, against the API's
 * preview endpoint. The command is loaded by path in a small launcher, the way bin/plinth.js loads
 * the CLI (a static import here would make the API depend on the CLI, whose tests use the API).
 */
const run = promisify(execFile);
const command = resolve(__dirname, '../../../cli/src/templates-command.ts');
let db: TestDatabase;
let api: BootTestApi;
let launcherDir: string;
let launcher: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const scenario = await seedBootScenario(db.dataSource, {
    family: 'debian',
    version: '12',
    machines: [{ name: 'cli-1', bootMac: '52:54:00:30:00:01', params: { passwordHash: 'secret/pw' } }],
    sshPublicKeys: [KEYS.ops],
  });
  await scenario.secrets.put('pw', PASSWORD_HASH);
  api = await startBootTestApi(db, { secretKey: scenario.secretKey });
  launcherDir = mkdtempSync(join(tmpdir(), 'plinth-cli-'));
  launcher = join(launcherDir, 'plinth.js');
  writeFileSync(
    launcher,
    [
      `process.env.SWC_NODE_PROJECT ??= ${JSON.stringify(resolve(__dirname, '../../../../tsconfig.json'))};`,
      `require(${JSON.stringify(require.resolve('@swc-node/register'))});`,
      `const { Command } = require(${JSON.stringify(require.resolve('commander'))});`,
      `const { registerTemplatesCommand } = require(${JSON.stringify(command)});`,
      `const program = new Command('plinth');`,
      'registerTemplatesCommand(program);',
      'program.parseAsync(process.argv);',
    ].join('\n'),
  );
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
  if (launcherDir) rmSync(launcherDir, { recursive: true, force: true });
});

const plinth = (...args: string[]) =>
  run(process.execPath, [launcher, 'templates', 'render', ...args, '--api', api.url], {
    env: { ...process.env, PLINTH_TOKEN: api.adminToken },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );

describe('plinth templates render', () => {
  it('prints every file with secrets and tokens masked', async () => {
    const { code, stdout } = await plinth('--machine', 'cli-1');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^# cli-1 \(control-plane\) in cluster boot-test: preseed\n# masked as \*\*\*\*\*\*\*\*: boot tokens, secret\/ops-keys, secret\/pw\n/,
    );
    expect(stdout).toContain('\n==> boot.ipxe <==\n#!ipxe\n');
    expect(stdout).toContain('\n==> preseed.cfg <==\n# Plinth preseed for cli-1');
    expect(stdout).toContain('d-i passwd/user-password-crypted password ********');
    expect(stdout).not.toContain(PASSWORD_HASH);
    expect(stdout).not.toContain(KEYS.ops.split(' ')[1]);
  });

  it('prints one file with --file, and says which exist when it is not one of them', async () => {
    const one = await plinth('--machine', 'cli-1', '--file', 'boot.ipxe');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('==> boot.ipxe <==');
    expect(one.stdout).not.toContain('preseed.cfg <==');
    const none = await plinth('--machine', 'cli-1', '--cluster', 'boot-test', '--file', 'user-data');
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toBe(
      'cli-1 has no file "user-data"; its preseed install has: boot.ipxe, preseed.cfg\n',
    );
  });

  it('explains API refusals and exits 1', async () => {
    const missing = await plinth('--machine', 'ghost');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404 NOT_FOUND: No machine is named "ghost".');
    const unauthorised = await plinth('--machine', 'cli-1', '--token', 'plt_wrong');
    expect(unauthorised.code).toBe(1);
    expect(unauthorised.stderr).toContain('401 UNAUTHENTICATED');
  });
});
