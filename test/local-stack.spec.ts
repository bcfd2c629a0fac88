import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { startDevServer } from '@plinth/devserver';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const home = mkdtempSync(join(tmpdir(), 'plinth-up-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const env = {
  ...process.env,
  PLINTH_HOME: home,
  PLINTH_API_PORT: '0',
  TEMPORAL_ADDRESS: '',
  DATABASE_URL: '',
};
const cli = ['-r', '@swc-node/register', join(root, 'apps/cli/src/main.ts')];

/** A live, non-zombie process. */
const isAlive = (pid: number): boolean =>
  existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

function pidsFrom(output: string): number[] {
  const line = /Processes\s+(.*)/.exec(output)?.[1] ?? '';
  return [...line.matchAll(/=(\d+)/g)].map((m) => Number(m[1]));
}

/** Starts `plinth up` and resolves once it says it is running (or has exited). */
async function startRunning(): Promise<{
  child: ChildProcess;
  exited: Promise<number | null>;
  output: () => string;
}> {
  const child = spawn(process.execPath, [...cli, 'up'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + 90_000;
  while (!output.includes('Press Ctrl-C') && child.exitCode === null && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  return { child, exited, output: () => output };
}

describe('plinth up (the stack behind npm start)', () => {
  it('brings up PostgreSQL, Temporal, API and worker, self-checks, and with --exit leaves nothing running', () => {
    const result = spawnSync(process.execPath, [...cli, 'up', '--exit'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.stderr).not.toMatch(/✗/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/✓ PostgreSQL embedded on 127\.0\.0\.1:\d+/);
    expect(result.stdout).toContain("✓ Temporal (Plinth's built-in dev server)");
    expect(result.stdout).toMatch(/✓ API healthy at http:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toMatch(/✓ Worker \S+ ran a ping workflow/);
    // First start on a fresh home: one admin token, printed once and saved with mode 0600.
    const token = /^\s+(plt_\S+)$/m.exec(result.stdout)?.[1];
    expect(token).toBeDefined();
    expect(readFileSync(join(home, 'admin-token'), 'utf8').trim()).toBe(token);
    expect(statSync(join(home, 'admin-token')).mode & 0o777).toBe(0o600);
    const pids = pidsFrom(result.stdout);
    expect(pids).toHaveLength(4);
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('keeps running until Ctrl-C, then stops every process it started', async () => {
    const { child, exited, output: read } = await startRunning();
    const output = read();
    expect(output).toContain('Press Ctrl-C');
    expect(output).not.toContain('plt_'); // the token is shown on the first start only
    const pids = pidsFrom(output);
    expect(pids.filter(isAlive)).toHaveLength(4);
    const apiUrl = /API\s+(http:\S+)/.exec(output)?.[1];
    const health = (await (await fetch(`${apiUrl}/healthz`)).json()) as { status: string };
    expect(health.status).toBe('ok');

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(read()).toContain('Stopped everything.');
    expect(pids.filter(isAlive)).toEqual([]);
  });

  it('after the runner is killed with SIGKILL, its children stop and the next start clears the database', async () => {
    const { child, output: read } = await startRunning();
    const output = read();
    const pids = Object.fromEntries(
      [.../Processes\s+(.*)/.exec(output)![1]!.matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]),
    );
    child.kill('SIGKILL');
    const supervised = [pids.api!, pids.worker!, pids.temporal!];
    const gone = Date.now() + 20_000;
    while (supervised.some(isAlive) && Date.now() < gone) await new Promise((r) => setTimeout(r, 250));
    expect(supervised.filter(isAlive)).toEqual([]);

    // PostgreSQL cannot watch its parent; the next start finds the orphan through postmaster.pid and stops it.
    expect(isAlive(pids.postgres!)).toBe(true);
    const next = spawnSync(process.execPath, [...cli, 'up', '--exit'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(next.status).toBe(0);
    expect(isAlive(pids.postgres!)).toBe(false);
    expect(pidsFrom(next.stdout).filter(isAlive)).toEqual([]);
  });

  it('prefers a `temporal` CLI on PATH, started as `temporal server start-dev` with a UI port', () => {
    // A stand-in CLI that records its arguments and runs the built-in server with them.
    const bin = join(home, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'temporal'),
      `#!/bin/sh\necho "$@" > ${join(home, 'temporal-args')}\nexec ${process.execPath} ${join(root, 'apps/devserver/bin/plinth-devserver.js')} "$@"\n`,
      { mode: 0o755 },
    );
    const result = spawnSync(process.execPath, [...cli, 'up', '--exit'], {
      cwd: root,
      env: { ...env, PATH: `${bin}:${process.env.PATH}` },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('✓ Temporal (`temporal server start-dev` from PATH)');
    expect(result.stdout).toMatch(/Temporal\s+127\.0\.0\.1:\d+\s+\(UI http:\/\/127\.0\.0\.1:\d+\)/);
    expect(readFileSync(join(home, 'temporal-args'), 'utf8')).toMatch(/^server start-dev .*--ui-port \d+/);
  });

  it('uses TEMPORAL_ADDRESS as given and starts no Temporal of its own', async () => {
    const server = await startDevServer({ logLevel: 'error' });
    try {
      // Asynchronously: the server runs in this process and must keep answering meanwhile.
      const child = spawn(process.execPath, [...cli, 'up', '--exit'], {
        cwd: root,
        env: { ...env, TEMPORAL_ADDRESS: server.address },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const status = await new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const result = { status, stdout };
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`✓ Temporal (TEMPORAL_ADDRESS) at ${server.address}`);
      expect(result.stdout).not.toMatch(/temporal=\d+/);
    } finally {
      await server.stop();
    }
  });

  it('refuses a bad variable by name and starts nothing', () => {
    const result = spawnSync(process.execPath, [...cli, 'up', '--exit'], {
      cwd: root,
      env: { ...env, PLINTH_API_PORT: 'not-a-port' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PLINTH_API_PORT: must be an integer port number');
    expect(result.stdout).not.toContain('✓ PostgreSQL');
  });
});
