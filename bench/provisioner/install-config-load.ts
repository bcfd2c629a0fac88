/**
 * Boot provisioner benchmark (not a test): prints figures.
 *  1. Rendering alone (nunjucks, in process): install configs rendered per second, p50/p99.
 *  2. Render-and-store as the activity does it (params, secrets, render twice, encrypt, upsert)
 *     for 1,000 machines: per second.
 *  3. 1,000 concurrent clients — one keep-alive connection and one machine (its own token) each —
 *     GET their install config (`/boot/configs/<token>/user-data`) from the API, running as its own
 *     process:
 *       a. open loop at a target rate (default 3,000/s): latency measured from each request's
 *          scheduled time, so a stalled server cannot hide its backlog (no coordinated omission);
 *       b. closed loop, every client back to back: the most the server answers; latency here is
 *          queueing (1,000 in flight), by Little's law ≈ 1,000 / throughput.
 *     Both with the in-memory config cache (default) and without it (every request reads PostgreSQL).
 * Run: node -r @swc-node/register bench/provisioner/install-config-load.ts [clients=1000] [rate=3000] [seconds=10]
 * DATABASE_URL to use a PostgreSQL server; otherwise an embedded one in a temporary folder.
 * Bounded: every phase has a fixed duration; the server process and the database are stopped at the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createDataSource,
  findFreePort,
  parseSecretKey,
  runMigrations,
  startEmbeddedPostgres,
} from '@plinth/db';
import {
  buildInstallContext,
  createBootService,
  createInstallConfigService,
  createTemplateEnvironment,
  renderInstall,
} from '@plinth/templates';
import {
  configTokenIn,
  GOLDEN_ENDPOINTS,
  INSTALL_CASES,
  KEYS,
  seedBootScenario,
} from '@plinth/templates/testing';

const CLIENTS = Number(process.argv[2] ?? 1000);
const RATE = Number(process.argv[3] ?? 3000);
const SECONDS = Number(process.argv[4] ?? 10);

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;
const summary = (latencies: number[]): string => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return `p50 ${fmt(percentile(sorted, 50))}, p99 ${fmt(percentile(sorted, 99))}, max ${fmt(sorted.at(-1) ?? 0)}`;
};

/** CPU time (user + system) of a process in ms, from /proc (Linux; 100 ticks/s). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function renderOnly(): void {
  const environment = createTemplateEnvironment();
  const contexts = INSTALL_CASES.map((entry) => buildInstallContext(entry.subject, GOLDEN_ENDPOINTS));
  for (const context of contexts) renderInstall(environment, context);
  const latencies: number[] = [];
  const until = performance.now() + 2000;
  let count = 0;
  while (performance.now() < until) {
    const start = performance.now();
    renderInstall(environment, contexts[count % contexts.length]!);
    latencies.push(performance.now() - start);
    count += 1;
  }
  console.log(
    `1. render only (in process, ${INSTALL_CASES.length} configs in turn): ${(count / 2).toFixed(0)} install configs/s; ${summary(latencies)}`,
  );
}

interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  latencies: number[];
  seconds: number;
}

/**
 * One client: its own keep-alive connection, one request at a time (a real installer does not
 * pipeline). A minimal HTTP/1.1 reader (status line, Content-Length), because Node's http client
 * costs more CPU per request than the server being measured and would bench itself.
 */
class BootClient {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly queue: { scheduledAt: number; done: (ok: boolean, at: number) => void }[] = [];
  private busy = false;
  private readonly request: Buffer;

  constructor(
    private readonly port: number,
    path: string,
  ) {
    this.request = Buffer.from(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: Cloud-Init/24.2\r\n\r\n`,
    );
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.port, '127.0.0.1', () => resolve());
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => this.read(chunk));
      this.socket = socket;
    });
  }

  /** Resolves with whether the answer was a 200 install config, and the latency from `scheduledAt`. */
  get(scheduledAt: number): Promise<{ ok: boolean; latencyMs: number }> {
    return new Promise((resolve) => {
      this.queue.push({ scheduledAt, done: (ok, at) => resolve({ ok, latencyMs: at - scheduledAt }) });
      this.send();
    });
  }

  close(): void {
    this.socket?.destroy();
  }

  private send(): void {
    if (this.busy || this.queue.length === 0) return;
    this.busy = true;
    this.socket?.write(this.request);
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length > 0 ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = this.buffer.subarray(0, headEnd).toString('latin1');
      const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (this.buffer.length < headEnd + 4 + length) return;
      const ok =
        head.startsWith('HTTP/1.1 200') &&
        this.buffer.subarray(headEnd + 4, headEnd + 17).toString() === '#cloud-config';
      this.buffer = this.buffer.subarray(headEnd + 4 + length);
      const item = this.queue.shift();
      this.busy = false;
      item?.done(ok, performance.now());
      this.send();
    }
  }
}

/** Drives the clients: open loop at `rate` (request i due at start + i/rate, on client i mod n) or closed loop. */
async function load(
  clients: BootClient[],
  mode: { kind: 'open'; rate: number } | { kind: 'closed' },
  seconds: number,
): Promise<LoadResult> {
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, latencies: [], seconds };
  const record = ({ ok, latencyMs }: { ok: boolean; latencyMs: number }): void => {
    if (ok) result.ok += 1;
    else result.failed += 1;
    result.latencies.push(latencyMs);
  };
  const started = performance.now();
  const deadline = started + seconds * 1000;
  if (mode.kind === 'closed') {
    await Promise.all(
      clients.map(async (client) => {
        while (performance.now() < deadline) {
          result.sent += 1;
          record(await client.get(performance.now()));
        }
      }),
    );
  } else {
    const total = Math.floor(mode.rate * seconds);
    const inFlight: Promise<void>[] = [];
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const now = performance.now();
        while (result.sent < total && started + (result.sent * 1000) / mode.rate <= now) {
          const scheduledAt = started + (result.sent * 1000) / mode.rate;
          inFlight.push(clients[result.sent % clients.length]!.get(scheduledAt).then(record));
          result.sent += 1;
        }
        if (result.sent >= total) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    await Promise.all(inFlight);
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

async function startServer(env: Record<string, string>): Promise<ChildProcess> {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof") lets the server be profiled under load.
  const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const server = spawn(
    process.execPath,
    [...nodeArgs, '-r', '@swc-node/register', path.resolve(__dirname, 'serve.ts')],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    server.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  return server;
}

async function stopServer(server: ChildProcess): Promise<void> {
  server.removeAllListeners('exit');
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  console.log(
    `boot provisioner benchmark: ${CLIENTS} clients, open loop at ${RATE}/s, ${SECONDS} s per phase`,
  );
  renderOnly();

  let pgDir: string | undefined;
  let stopPg: (() => Promise<void>) | undefined;
  let url = process.env['DATABASE_URL'];
  if (!url) {
    pgDir = mkdtempSync(path.join(tmpdir(), 'plinth-bench-pg-'));
    const pg = await startEmbeddedPostgres({ baseDir: pgDir });
    await pg.ensureDatabase('plinth_bench');
    url = pg.urlFor('plinth_bench');
    stopPg = () => pg.stop();
  }
  const dataSource = createDataSource(url, { poolSize: 10, applicationName: 'plinth-bench' });
  await dataSource.initialize();
  await runMigrations(dataSource);
  const secretKey = parseSecretKey(randomBytes(32).toString('base64'), 'bench');
  const port = await findFreePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  const hex = (value: number): string => value.toString(16).padStart(2, '0');
  const scenario = await seedBootScenario(dataSource, {
    name: `bench-${randomBytes(3).toString('hex')}`,
    family: 'ubuntu',
    version: '24.04',
    machines: Array.from({ length: CLIENTS }, (_, index) => ({
      name: `bench-${index}`,
      bootMac: `52:54:01:${hex(randomBytes(1)[0]!)}:${hex(index >> 8)}:${hex(index & 0xff)}`,
    })),
    sshPublicKeys: [KEYS.ops, KEYS.oncall],
    secretKey,
  });
  const renderer = createInstallConfigService({
    configs: scenario.configs,
    machines: scenario.machines,
    clusters: scenario.clusters,
    revealSecret: (ref) => scenario.secrets.reveal(ref),
    publicBaseUrl,
  });
  const machines = Object.values(scenario.machine);
  const renderStarted = performance.now();
  let nextMachine = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (nextMachine < machines.length) {
        const machine = machines[nextMachine++]!;
        await renderer.renderAndStore({ runId: scenario.runId, machineId: machine.id });
      }
    }),
  );
  const renderSeconds = (performance.now() - renderStarted) / 1000;
  console.log(
    `2. render and store (the activity's work, 8 at a time): ${machines.length} in ${renderSeconds.toFixed(1)} s = ${(machines.length / renderSeconds).toFixed(0)} configs/s`,
  );

  const progress = (line: string): void => void process.stderr.write(`  … ${line}\n`);
  progress('collecting tokens');
  const boot = createBootService({ configs: scenario.configs, publicBaseUrl });
  const paths: string[] = [];
  for (const machine of machines)
    paths.push(`/boot/configs/${configTokenIn(await boot.ipxeScript(machine.bootMac))}/user-data`);

  try {
    // BENCH_CACHE_TTLS (e.g. "2000,0") chooses the cache settings measured.
    const ttls = (process.env['BENCH_CACHE_TTLS'] ?? '2000,0').split(',').map(Number);
    for (const cacheTtlMs of ttls) {
      progress(`starting the API (cache ${cacheTtlMs} ms)`);
      const server = await startServer({
        BENCH_DB_URL: url,
        BENCH_SECRET_KEY: secretKey.key.toString('base64'),
        BENCH_PORT: String(port),
        BENCH_CACHE_TTL_MS: String(cacheTtlMs),
      });
      const clients = paths.map((clientPath) => new BootClient(port, clientPath));
      try {
        await Promise.all(clients.map((client) => client.open()));
        progress('warming up');
        const label =
          cacheTtlMs > 0
            ? `with the config cache (${cacheTtlMs} ms)`
            : 'without the cache (PostgreSQL on every request)';
        // Warm-up (JIT, connection pools), not measured.
        await load(clients, { kind: 'open', rate: Math.min(RATE, 1000) }, 2);
        await load(clients, { kind: 'open', rate: RATE }, 3);
        const cpu0 = cpuMsOf(server.pid!);
        const open = await load(clients, { kind: 'open', rate: RATE }, SECONDS);
        const cpuShare = (cpuMsOf(server.pid!) - cpu0) / 10 / open.seconds;
        console.log(
          `3a. ${label}, open loop at ${RATE}/s: ${(open.ok / open.seconds).toFixed(0)} configs/s served (${open.ok} ok, ${open.failed} failed); ${summary(open.latencies)}; API process ${cpuShare.toFixed(0)}% of a core`,
        );
        const closed = await load(clients, { kind: 'closed' }, Math.max(3, Math.round(SECONDS / 2)));
        console.log(
          `3b. ${label}, closed loop (${CLIENTS} in flight): ${(closed.ok / closed.seconds).toFixed(0)} configs/s (${closed.failed} failed); ${summary(closed.latencies)}`,
        );
      } finally {
        for (const client of clients) client.close();
        await stopServer(server);
      }
    }
  } finally {
    await dataSource.destroy();
    await stopPg?.();
    if (pgDir) rmSync(pgDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
