import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validateInventory } from '@plinth/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LAB_READY_LINE } from './lab-command';

const CLI = resolve(__dirname, '../bin/plinth.js');

/** Runs `plinth lab up …` as an operator would, in a fresh PLINTH_HOME; resolves its output once ready. */
function startCli(
  args: string[],
  home: string,
): { child: ChildProcess; ready: Promise<string>; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [CLI, 'lab', 'up', ...args], {
    env: { ...process.env, PLINTH_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const ready = new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.includes(LAB_READY_LINE)) {
        clearTimeout(timer);
        resolveReady(output);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`plinth lab up exited with ${code} before it was ready:\n${output}`));
    });
  });
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => output };
}

async function ipmiSimsUsing(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith('ipmi_sim\0') && cmdline.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}

describe('plinth lab up', () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'plinth-lab-cli-'));
  });
  afterAll(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('prints every machine, serves Redfish and the control API, writes credentials and inventory, and stops cleanly on Ctrl-C', async () => {
    const exportFile = join(home, 'exported', 'lab-inventory.yaml');
    // Networks of its own so that another lab (or a developer's) on the default 127.1/127.2 does not collide.
    const cli = startCli(
      [
        '--machines',
        '6',
        '--ipmi',
        '1',
        '--control-port',
        '0',
        '--bmc-net',
        '127.101',
        '--ssh-net',
        '127.102',
        '--export',
        exportFile,
      ],
      home,
    );
    try {
      const output = await cli.ready;
      const rows = output.split('\n').filter((line) => /^\s+lab-(cp|w)-\d+\s/.test(line));
      expect(rows.map((row) => row.trim().split(/\s+/).slice(0, 3))).toEqual([
        ['lab-cp-1', 'redfish+http://127.101.0.1:8000', 'secret/lab-bmc'],
        ['lab-cp-2', 'redfish+http://127.101.0.2:8000', 'secret/lab-bmc'],
        ['lab-cp-3', 'redfish+http://127.101.0.3:8000', 'secret/lab-bmc'],
        ['lab-w-1', 'redfish+http://127.101.0.4:8000', 'secret/lab-bmc'],
        ['lab-w-2', 'redfish+http://127.101.0.5:8000', 'secret/lab-bmc'],
        ['lab-w-3', 'ipmi://127.101.0.6:8000', 'secret/lab-bmc'],
      ]);
      expect(rows[0]).toMatch(/52:54:00:00:00:04\s+127\.102\.0\.1:2222\s+control/);

      const credentialsFile = join(home, 'lab', 'bmc-credentials');
      expect((await stat(credentialsFile)).mode & 0o777).toBe(0o600);
      const [username, password] = (await readFile(credentialsFile, 'utf8')).trim().split(':');
      expect(username).toBe('admin');
      expect(output).not.toContain(password);
      expect(output).toContain(`"username:password" is in ${credentialsFile}`);
      expect(output).toContain('http://127.0.0.1:3000/secrets');

      const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      const system = await fetch('http://127.101.0.1:8000/redfish/v1/Systems/1', {
        headers: { authorization },
        signal: AbortSignal.timeout(5_000),
      });
      expect(system.status).toBe(200);
      expect(await system.json()).toMatchObject({ PowerState: 'Off' });

      const controlUrl = /Control API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
      const health = await fetch(`${controlUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
      expect(await health.json()).toEqual({ status: 'ok', machines: 6 });

      const inventory = parse(await readFile(exportFile, 'utf8')) as unknown;
      const validation = validateInventory(inventory);
      expect(validation.ok ? [] : validation.problems).toEqual([]);
      expect((inventory as { machines: Array<{ bmc: { address: string } }> }).machines[5]?.bmc.address).toBe(
        'ipmi://127.101.0.6:8000',
      );
      expect(await ipmiSimsUsing(home)).toHaveLength(1);
    } finally {
      cli.child.kill('SIGINT');
    }
    expect(await cli.exited).toBe(0);
    expect(cli.output()).toContain('Stopped every BMC and host.');
    expect(await ipmiSimsUsing(home)).toEqual([]);
  });

  it('refuses a bad flag with a message and exit code 1', async () => {
    const cli = startCli(['--machines', 'many'], home);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toContain('--machines must be a whole number, got "many"');
  });
});
