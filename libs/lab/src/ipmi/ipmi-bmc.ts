import { createSocket } from 'node:dgram';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { join, resolve } from 'node:path';
import type { LabMachine } from '../machine/lab-machine';
import { IpmiChassisControl } from './chassis-control';
import type { HookReply } from './chassis-control';
import { registerChassisHook, writeChassisHookScript } from './chassis-hook-server';
import type { ChassisHookRegistration } from './chassis-hook-server';
import { ChassisRequestTracker } from './chassis-requests';
import { buildFruImage, fruEmuCommand } from './fru';
import { channelAuthCapabilitiesProbe } from './ipmi-message';
import { spawnIpmiSim } from './ipmi-sim-process';
import type { IpmiSimProcess } from './ipmi-sim-process';
import {
  assertIpmiCredentials,
  ipmiFixtureEmuPath,
  readFixtureLanConfig,
  renderLanConfig,
} from './lan-config';
import { RmcpSnooper } from './rmcp-snooper';
import { startUdpRelay } from './udp-relay';
import type { UdpRelay } from './udp-relay';

/** Options for {@link startIpmiBmc}. */
export interface IpmiBmcOptions {
  /** The machine this BMC controls; the Redfish view and the host simulator share it. */
  machine: LabMachine;
  /** Loopback IPv4 address (127.0.0.0/8) the BMC answers on. */
  host: string;
  /** UDP port; 0 picks a free one (see {@link IpmiBmc.port}). */
  port: number;
  /** The BMC's administrator account: up to 16 / 20 printable ASCII characters, no quotes or `$`. */
  credentials: { username: string; password: string };
  /** A folder of this BMC's own (created if missing): lan.conf, hook script, ipmi_sim state. */
  workDir: string;
  /** How long ipmi_sim may take to answer its first packet; default 10 s. */
  startTimeoutMs?: number;
  /** Told about machine actions that failed after the BMC answered (there is no client to tell). */
  onError?: (error: Error) => void;
  /** Sees every chassis_control call ipmi_sim makes (`['set', 'power', '1']`) and the lab's reply: diagnostics, tests. */
  onHookCall?: (args: readonly string[], reply: HookReply) => void;
}

/** A running IPMI BMC: Debian's ipmi_sim behind the lab's relay, driving a {@link LabMachine}. */
export interface IpmiBmc {
  /** `ipmi://host:port`, as an inventory names a BMC. */
  address: string;
  host: string;
  port: number;
  /** PID of the ipmi_sim process. */
  pid: number;
  /** Stop ipmi_sim (by its PID), the relay and the hook registration. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Start an IPMI 2.0 BMC for `machine`: a real `ipmi_sim` configured from the shared fixture
 * (`../shared/fixtures/ipmi`), whose chassis_control hook drives the same {@link LabMachine} as
 * the Redfish view. Clients use it like any BMC:
 * `ipmitool -I lanplus -C 3 -H <host> -p <port> -U <user> -E chassis power status`.
 *
 * ipmi_sim listens on a private loopback port; the public `host:port` is a relay that forwards
 * every datagram unchanged and reads the requests (it knows the password) to recover what the
 * hook is not told: that a power-down is part of a power cycle, and whether a boot device is
 * persistent. Resolves once ipmi_sim answers.
 */
export async function startIpmiBmc(options: IpmiBmcOptions): Promise<IpmiBmc> {
  const { machine, credentials } = options;
  if (!isLoopbackIPv4(options.host)) {
    throw new Error(
      `IPMI BMC for ${machine.name}: ${options.host} is not a loopback IPv4 address (127.0.0.0/8)`,
    );
  }
  assertIpmiCredentials(credentials);
  const workDir = resolve(options.workDir);
  const stateDir = join(workDir, 'state');
  await mkdir(stateDir, { recursive: true });

  const requests = new ChassisRequestTracker();
  const snooper = new RmcpSnooper((username) =>
    username === credentials.username ? credentials.password : undefined,
  );
  const chassis = new IpmiChassisControl(machine, requests, (action, error) =>
    options.onError?.(
      new Error(
        `IPMI BMC for ${machine.name}: ${action} failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
    ),
  );

  let hook: ChassisHookRegistration | undefined;
  let relay: UdpRelay | undefined;
  let sim: IpmiSimProcess | undefined;
  const cleanUp = async (): Promise<void> => {
    await sim?.stop();
    await relay?.close();
    await hook?.release();
  };

  try {
    hook = await registerChassisHook((args) => {
      const reply = chassis.handle(args);
      options.onHookCall?.(args, reply);
      return reply;
    });
    const hookPath = await writeChassisHookScript(workDir);
    const fixture = await readFixtureLanConfig();
    const fruCommand = fruEmuCommand(buildFruImage(machine.hardware, machine.name));
    const startTimeoutMs = options.startTimeoutMs ?? 10_000;

    // The private port is found by binding and releasing it, so another process may take it before
    // ipmi_sim binds; ipmi_sim then exits at once and the start is retried with a new port.
    let lanPort = 0;
    for (let attempt = 1; !sim; attempt++) {
      lanPort = await findFreeUdpPort();
      const configPath = join(workDir, 'lan.conf');
      const config = renderLanConfig(fixture, {
        lanHost: '127.0.0.1',
        lanPort,
        chassisControlPath: hookPath,
        credentials,
        machineName: machine.name,
      });
      await writeFile(configPath, config);
      const started = await spawnIpmiSim({
        configPath,
        emuPath: ipmiFixtureEmuPath(),
        stateDir,
        commandString: fruCommand,
        env: hook.env,
      });
      const outcome = await waitUntilAnswering(lanPort, started, startTimeoutMs);
      if (outcome === 'answered') {
        sim = started;
        break;
      }
      await started.stop();
      const output = started.output().trim();
      if (outcome === 'timeout' || attempt >= 3) {
        const why = outcome === 'timeout' ? `did not answer within ${startTimeoutMs} ms` : 'exited';
        throw new Error(
          `IPMI BMC for ${machine.name}: ipmi_sim on 127.0.0.1:${lanPort} ${why}` +
            (output ? `; it printed: ${output}` : ''),
        );
      }
    }
    relay = await startUdpRelay({
      host: options.host,
      port: options.port,
      upstreamHost: '127.0.0.1',
      upstreamPort: lanPort,
      onRequest: (packet) => {
        const snooped = snooper.request(packet);
        if (snooped) requests.onRequest(snooped);
      },
      onResponse: (packet) => {
        const snooped = snooper.response(packet);
        if (snooped) requests.onResponse(snooped);
      },
      faults: () => machine.faults,
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }

  const { host, port } = relay;
  const pid = sim.pid;
  let closing: Promise<void> | undefined;
  return {
    address: `ipmi://${host}:${port}`,
    host,
    port,
    pid,
    close: () => (closing ??= cleanUp()),
  };
}

/**
 * Send the unauthenticated channel-capabilities probe to ipmi_sim's private port until an answer
 * comes back, ipmi_sim exits or the time is up. The private port, not the relay, so a BMC whose
 * machine starts with the `hang` fault still starts.
 */
async function waitUntilAnswering(
  lanPort: number,
  sim: IpmiSimProcess,
  timeoutMs: number,
): Promise<'answered' | 'exited' | 'timeout'> {
  const socket = createSocket('udp4');
  let exited = false;
  void sim.exited.then(() => {
    exited = true;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    const answer = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    const probe = channelAuthCapabilitiesProbe();
    while (!exited && Date.now() < deadline) {
      socket.send(probe, lanPort, '127.0.0.1');
      const answered = await Promise.race([
        answer.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 100)),
      ]);
      if (answered) return 'answered';
    }
    return exited ? 'exited' : 'timeout';
  } finally {
    socket.close();
  }
}

function findFreeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

function isLoopbackIPv4(host: string): boolean {
  return isIPv4(host) && host.split('.')[0] === '127';
}
