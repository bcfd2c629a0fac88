import { Client } from 'ssh2';
import { LabMachine, type LabHardware, type LabTimings } from '../../machine/lab-machine';
import { HostSimulator } from '../host-simulator';
import type { LabWorld } from '../emulation/lab-world';
import { generateHostKey } from '../ssh/host-keys';
import type { SshExecResult } from '../ssh/ssh-exec';

/** Fast timings for tests: every simulated delay is short but non-zero, so ordering still matters. */
export const TEST_TIMINGS: Partial<LabTimings> = {
  powerMs: 5,
  postMs: 5,
  installMs: 60,
  osBootMs: 20,
  nodeReadyMs: 80,
  helmReadyMs: 120,
};

export function testHardware(index: number): LabHardware {
  const hex = (value: number): string => value.toString(16).padStart(2, '0');
  return {
    manufacturer: 'Plinth Lab',
    model: 'Test-1U',
    serial: `TEST${String(index).padStart(6, '0')}`,
    cpu: { model: 'Lab CPU', sockets: 2, coresPerSocket: 8, threadsPerCore: 2 },
    memory: { dimms: 4, dimmMiB: 16384 },
    drives: [
      {
        id: 'Disk.Bay.0',
        model: 'Lab SSD',
        serial: `D${index}`,
        capacityBytes: 480e9,
        media: 'SSD',
        failed: false,
      },
    ],
    nics: [
      { id: 'eno1', mac: `52:54:00:aa:${hex(index >> 8)}:${hex(index & 0xff)}`, speedMbps: 25000 },
      { id: 'eno2', mac: `52:54:00:bb:${hex(index >> 8)}:${hex(index & 0xff)}`, speedMbps: 25000 },
    ],
    biosVersion: '1.0.0',
    biosAttributes: { BootMode: 'Uefi' },
  };
}

export interface TestHost {
  machine: LabMachine;
  host: HostSimulator;
  sshHost: string;
}

/** A machine with a host simulator on its own loopback address (127.77.0.<index>). */
export function createTestHost(
  index: number,
  options: { world: LabWorld; netbootUrl: string; timings?: Partial<LabTimings> },
): TestHost {
  const sshHost = `127.77.0.${index}`;
  const host = new HostSimulator({
    netbootUrl: options.netbootUrl,
    sshHost,
    sshPort: 0,
    world: options.world,
  });
  const machine = new LabMachine({
    name: `lab-${index}`,
    hardware: testHardware(index),
    timings: { ...TEST_TIMINGS, ...options.timings },
    bootHandler: host,
  });
  return { machine, host, sshHost };
}

export interface ClientKey {
  privateKey: string;
  publicKey: string;
}

export function generateClientKey(comment = 'plinth@test'): ClientKey {
  const pair = generateHostKey(comment);
  return { privateKey: pair.privateKey, publicKey: pair.publicKey };
}

/** One SSH connection reused for many commands, as a driver session would. */
export class SshSession {
  private constructor(private readonly client: Client) {}

  static open(options: {
    host: string;
    port: number;
    username: string;
    privateKey: string;
    timeoutMs?: number;
  }): Promise<SshSession> {
    return new Promise((resolve, reject) => {
      const client = new Client();
      client.once('ready', () => resolve(new SshSession(client)));
      client.once('error', reject);
      client.connect({ ...options, readyTimeout: options.timeoutMs ?? 10_000 });
    });
  }

  exec(command: string, stdin?: string): Promise<SshExecResult> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, channel) => {
        if (error) return reject(error);
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        channel.on('exit', (exitCode: number | null) => (code = exitCode));
        channel.on('close', () => resolve({ stdout, stderr, code }));
        if (stdin !== undefined) channel.write(stdin);
        channel.end();
      });
    });
  }

  close(): void {
    this.client.end();
  }
}

/** Poll until `check` passes or `timeoutMs` elapses (then its last failure is thrown). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
