/**
 * Lab start-up benchmark (not a test): prints figures.
 *  1. In this process, labs of 10, 100 and 1,000 Redfish machines in turn: start time, RSS and
 *     RSS delta, then a sanity check (a few random BMCs answer with auth, one machine is
 *     power-cycled through its Redfish BMC and the control API counts exactly one cycle), then stop.
 *  2. A lab of 1,000 whose every machine netboots at once from a tiny provisioner in this process
 *     (PXE override, power on, iPXE, autoinstall, callback, sshd up): wall time and RSS with all
 *     1,000 SSH servers running — the lab under load, not only idle.
 *  3. `plinth lab up --machines 1000` as its own process, as an operator runs it: time from spawn
 *     until it prints that it is running, and its RSS then (the target: < 30 s, < 1.5 GiB).
 * Run: node -r @swc-node/register bench/lab/start.ts [sizes=10,100,1000] [installAll=1000] [cliMachines=1000]
 * Bounded: each step has a deadline, every lab is closed, the CLI is stopped with SIGINT.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLab, type Lab } from '@plinth/lab';

const SIZES = (process.argv[2] ?? '10,100,1000').split(',').map(Number);
const INSTALL_ALL = Number(process.argv[3] ?? 1000);
const CLI_MACHINES = Number(process.argv[4] ?? 1000);
/** Networks of their own, so a `plinth lab up` on the defaults (127.1/127.2) can keep running. */
const NETWORKS = { bmcNetwork: '127.201', sshNetwork: '127.202' };
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Resident set size of a process, from /proc (Linux). */
async function rssOf(pid: number): Promise<number> {
  const match = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

function settle(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function json(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function sanityCheck(lab: Lab): Promise<string> {
  const authorization = `Basic ${Buffer.from(`${lab.credentials.username}:${lab.credentials.password}`).toString('base64')}`;
  const picks = [...lab.machines].sort(() => Math.random() - 0.5).slice(0, 3);
  for (const entry of picks) {
    const system = await json(`${entry.bmc.url}/redfish/v1/Systems/1`, { headers: { authorization } });
    if (system.status !== 200) throw new Error(`${entry.name}: Systems/1 answered ${system.status}`);
  }
  const target = picks[0]!;
  const reset = await json(`${target.bmc.url}/redfish/v1/Systems/1/Actions/ComputerSystem.Reset`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ ResetType: 'PowerCycle' }),
  });
  if (reset.status >= 300) throw new Error(`${target.name}: PowerCycle answered ${reset.status}`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const view = (await json(`${lab.controlUrl}/machines/${target.name}`)).body as {
      power: string;
      counters: { powerCycles: number };
    };
    if (view.power === 'On' && view.counters.powerCycles === 1) break;
    if (Date.now() > deadline) throw new Error(`${target.name}: not power-cycled within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return `${picks.map((entry) => entry.name).join(', ')} answered; ${target.name} power-cycled once`;
}

async function inProcess(): Promise<void> {
  for (const machines of SIZES) {
    settle();
    const before = process.memoryUsage().rss;
    const started = performance.now();
    // Nothing listens on port 9: a power-cycled host fails its netboot at once instead of waiting.
    const lab = await startLab({ machines, ...NETWORKS, netbootUrl: 'http://127.0.0.1:9/boot/ipxe' });
    const seconds = (performance.now() - started) / 1000;
    const after = process.memoryUsage().rss;
    try {
      const sanity = await sanityCheck(lab);
      console.log(
        `${String(machines).padStart(5)} machines: started in ${seconds.toFixed(2)} s, RSS ${mib(after)} (+${mib(after - before)}); ${sanity}`,
      );
    } finally {
      await lab.close();
    }
  }
}

/** Serves every MAC the same iPXE script and an autoinstall naming that MAC; counts callbacks. */
async function startProvisioner(): Promise<{ base: string; callbacks: () => number; close: () => void }> {
  let base = '';
  let callbacks = 0;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://provisioner');
    const mac = url.searchParams.get('mac') ?? /\/seed\/([0-9a-f:]{17})\//.exec(url.pathname)?.[1] ?? '';
    if (url.pathname === '/boot/ipxe') {
      return void response.end(
        `#!ipxe\nkernel ${base}/vmlinuz autoinstall ds=nocloud-net;s=${base}/seed/${mac}/\ninitrd ${base}/initrd\nboot\n`,
      );
    }
    if (url.pathname.endsWith('/user-data')) {
      return void response.end(
        [
          '#cloud-config',
          'autoinstall:',
          '  version: 1',
          `  identity: { hostname: host-${mac.replace(/:/g, '')}, username: ubuntu }`,
          // A well-formed key nobody holds: the bench never logs in.
          '  ssh: { authorized-keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGvX5mJ2u2vS0J3y3fRk1O8l2m0Y3q9wVwq3fQd0x9aZ bench"] }',
          `  network: { version: 2, ethernets: { eno1: { match: { macaddress: "${mac}" }, addresses: [10.0.0.1/16] } } }`,
          `  late-commands: ["curl -fsS -X POST -d done ${base}/callback"]`,
          '',
        ].join('\n'),
      );
    }
    if (url.pathname === '/callback') {
      callbacks += 1;
      request.resume();
    }
    response.end('');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { base, callbacks: () => callbacks, close: () => void server.close() };
}

async function installAll(machines: number): Promise<void> {
  const provisioner = await startProvisioner();
  const lab = await startLab({ machines, ...NETWORKS, netbootUrl: `${provisioner.base}/boot/ipxe` });
  try {
    const started = performance.now();
    await Promise.all(
      lab.machines.map(async ({ machine }) => {
        machine.setBootOverride({ enabled: 'Once', target: 'Pxe' });
        await machine.reset('On');
      }),
    );
    await Promise.all(
      lab.machines.map(({ machine }) => machine.waitForPhase(['os-running', 'install-failed'], 120_000)),
    );
    const seconds = (performance.now() - started) / 1000;
    const running = lab.machines.filter(({ machine }) => machine.phase === 'os-running').length;
    const failure = lab.machines.find(({ machine }) => machine.phase !== 'os-running')?.machine.lastBootError;
    console.log(
      `${String(machines).padStart(5)} machines netbooted and installed at once in ${seconds.toFixed(1)} s ` +
        `(installMs ${lab.machines[0]?.machine.timings.installMs} ms each): ${running} with sshd up, ` +
        `${provisioner.callbacks()} callbacks, RSS ${mib(process.memoryUsage().rss)}${failure ? `; first failure: ${failure}` : ''}`,
    );
  } finally {
    await lab.close();
    provisioner.close();
  }
}

async function cli(machines: number): Promise<void> {
  const home = await mkdtemp(path.join(tmpdir(), 'plinth-lab-bench-'));
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      path.resolve(__dirname, '../../apps/cli/bin/plinth.js'),
      'lab',
      'up',
      '--machines',
      String(machines),
      '--bmc-net',
      NETWORKS.bmcNetwork,
      '--ssh-net',
      NETWORKS.sshNetwork,
    ],
    { env: { ...process.env, PLINTH_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    let tail = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('plinth lab up was not ready within 120 s')), 120_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        tail = (tail + chunk.toString('utf8')).slice(-4096);
        if (tail.includes('The lab is running.')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`plinth lab up exited with ${code}`)));
    });
    const seconds = (performance.now() - started) / 1000;
    const reported = /Started \d+ machines in ([\d.]+) s/.exec(tail)?.[1];
    console.log(
      `plinth lab up --machines ${machines}: running ${seconds.toFixed(1)} s after spawn (lab start ${reported} s, the rest is Node + TypeScript loading), RSS ${mib(await rssOf(child.pid!))}`,
    );
  } finally {
    child.kill('SIGINT');
    await new Promise((resolve) =>
      child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve),
    );
    await rm(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(
    `Node ${process.version}, ${SIZES.join(' / ')} Redfish machines in this process, then ${INSTALL_ALL} installing at once, then the CLI with ${CLI_MACHINES}`,
  );
  await inProcess();
  if (INSTALL_ALL > 0) await installAll(INSTALL_ALL);
  if (CLI_MACHINES > 0) await cli(CLI_MACHINES);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
