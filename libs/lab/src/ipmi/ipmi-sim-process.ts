import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/**
 * One `ipmi_sim` child process (Debian package openipmi). It is stopped by its own PID, and every
 * one still running when the lab process exits is stopped then, so no simulator outlives the lab.
 */
export interface IpmiSimProcess {
  pid: number;
  /** Resolves when the process has exited (whatever the reason). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines ipmi_sim printed, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface IpmiSimArguments {
  configPath: string;
  emuPath: string;
  stateDir: string;
  /** One emulator command run after the command file (`-x`). */
  commandString?: string;
  env: Record<string, string>;
}

const OUTPUT_TAIL_BYTES = 8192;
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export function spawnIpmiSim(args: IpmiSimArguments): Promise<IpmiSimProcess> {
  const argv = ['-c', args.configPath, '-f', args.emuPath, '-s', args.stateDir, '-n'];
  if (args.commandString) argv.push('-x', args.commandString);
  const child = spawn('ipmi_sim', argv, {
    env: { ...process.env, ...args.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  installExitHook();

  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      running.delete(child);
      reject(
        error.code === 'ENOENT'
          ? new Error(
              'ipmi_sim is not installed: install the Debian package openipmi (apt-get install openipmi)',
            )
          : error,
      );
    });
    child.once('spawn', () => {
      const pid = child.pid;
      if (pid === undefined) return reject(new Error('ipmi_sim started without a PID'));
      running.add(child);
      resolve({
        pid,
        exited,
        output: () => tail,
        stop: async (graceMs = 2_000) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(killer);
        },
      });
    });
  });
}

/** On exit, stop the simulators this process started (each by its PID). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}
