import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './embedded-postgres-server';

const isAlive = (pid: number): boolean =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-pg-spec-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('startEmbeddedPostgres', () => {
  it('starts a real PostgreSQL on loopback, keeps data across restarts and stops with no process left', async () => {
    const baseDir = tempDir();
    const first = await startEmbeddedPostgres({ baseDir });
    expect(first.url).toMatch(/^postgres:\/\/plinth:[^@]+@127\.0\.0\.1:\d+\/postgres$/);
    expect(statSync(join(baseDir, 'password')).mode & 0o777).toBe(0o600);
    await first.ensureDatabase('kept');
    await first.ensureDatabase('kept'); // idempotent
    const client = new Client({ connectionString: first.urlFor('kept') });
    await client.connect();
    await client.query('CREATE TABLE t (v int); INSERT INTO t VALUES (42)');
    await client.end();
    await first.stop();
    expect(isAlive(first.pid)).toBe(false);

    const second = await startEmbeddedPostgres({ baseDir });
    const again = new Client({ connectionString: second.urlFor('kept') });
    await again.connect();
    expect((await again.query('SELECT v FROM t')).rows).toEqual([{ v: 42 }]);
    await again.end();
    await second.stop();
    await second.stop(); // safe twice
    expect(isAlive(second.pid)).toBe(false);
  });

  it('stops a postmaster orphaned by a killed process before starting again', async () => {
    const baseDir = tempDir();
    const orphan = await startEmbeddedPostgres({ baseDir });
    // Simulate the owning process dying without stopping PostgreSQL: just start again on the same folder.
    const next = await startEmbeddedPostgres({ baseDir });
    expect(isAlive(orphan.pid)).toBe(false);
    expect(next.pid).not.toBe(orphan.pid);
    await next.stop();
  });

  it.runIf(userInfo().uid === 0)('runs as an unprivileged user too', () => {
    const baseDir = tempDir();
    chownSync(baseDir, 65534, 65534);
    const script = `require('./libs/db/src').startEmbeddedPostgres({ baseDir: ${JSON.stringify(join(baseDir, 'pg'))} })
      .then(async (pg) => { console.log('READY ' + pg.pid); await pg.stop(); console.log('STOPPED'); })
      .catch((e) => { console.error(e); process.exit(1); });`;
    const result = spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        process.execPath,
        '-r',
        '@swc-node/register',
        '-e',
        script,
      ],
      {
        cwd: resolve(__dirname, '../../../..'),
        encoding: 'utf8',
        env: { ...process.env, HOME: baseDir, SWC_NODE_CACHE: 'false' },
      },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/READY \d+\nSTOPPED/);
    const pid = Number(/READY (\d+)/.exec(result.stdout)?.[1]);
    expect(isAlive(pid)).toBe(false);
  });
});
