import { spawn } from 'node:child_process';
import { abortReason } from '../call-policy';
import type { BmcCredentials } from '../credentials';

/** How one ipmitool run ended. */
export interface IpmitoolRun {
  /** Exit status; undefined when killed. */
  code: number | undefined;
  stdout: string;
  stderr: string;
  /** Killed after the timeout. */
  timedOut: boolean;
}

/** Where and how to run ipmitool. */
export interface IpmitoolTarget {
  host: string;
  port: number;
  /** The ipmitool program; `ipmitool` on PATH by default. */
  command?: string;
}

/** Output kept per stream; ipmitool answers in a few hundred bytes, anything beyond is noise. */
const MAX_OUTPUT_BYTES = 256 * 1024;

/**
 * The arguments of one run: IPMI v2 over LAN (`-I lanplus`) with cipher suite 3 (`-C 3`, which
 * ipmi_sim and most BMCs offer; without it ipmitool first waits on "Get Channel Cipher Suites"), one
 * second per try and two retries inside ipmitool (`-N 1 -R 2`), verbose so failures can be told apart
 * (`-v`: "RAKP 2 HMAC is invalid" is a wrong password, "Get Auth Capabilities error" no answer).
 * The password is never here: `-E` makes ipmitool read it from `IPMI_PASSWORD`.
 */
export function ipmitoolArgs(target: IpmitoolTarget, username: string, command: readonly string[]): string[] {
  return [
    '-I',
    'lanplus',
    '-C',
    '3',
    '-N',
    '1',
    '-R',
    '2',
    '-v',
    '-H',
    target.host,
    '-p',
    String(target.port),
    '-U',
    username,
    '-E',
    ...command,
  ];
}

/**
 * Runs ipmitool once. The password reaches it through the environment of that one child process
 * (`IPMI_PASSWORD`, read by `-E`), never through argv where `ps` would show it; the child gets a
 * minimal environment. Killed (by its own PID) after `timeoutMs` or when `signal` aborts.
 */
export function runIpmitool(
  target: IpmitoolTarget,
  credentials: BmcCredentials,
  command: readonly string[],
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<IpmitoolRun> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const child = spawn(target.command ?? 'ipmitool', ipmitoolArgs(target, credentials.username, command), {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'C', IPMI_PASSWORD: credentials.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout = collect();
    const stderr = collect();
    child.stdout.on('data', stdout.add);
    child.stderr.on('data', stderr.add);
    let timedOut = false;
    let aborted = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (aborted && signal) {
        reject(abortReason(signal));
        return;
      }
      resolve({ code: code ?? undefined, stdout: stdout.text(), stderr: stderr.text(), timedOut });
    });
  });
}

function collect(): { add: (chunk: Buffer) => void; text: () => string } {
  const chunks: Buffer[] = [];
  let size = 0;
  return {
    add: (chunk) => {
      if (size >= MAX_OUTPUT_BYTES) return;
      chunks.push(chunk.subarray(0, MAX_OUTPUT_BYTES - size));
      size += chunk.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
  };
}
