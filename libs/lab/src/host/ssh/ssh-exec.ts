import { Client } from 'ssh2';
import { publicKeySha256 } from './host-keys';

export interface SshExecOptions {
  host: string;
  port: number;
  username: string;
  /** OpenSSH private key text. */
  privateKey: string;
  command: string;
  /** Sent to the command's stdin, then EOF. Without it stdin is closed at once. */
  stdin?: string;
  /** When set, the server's host key must have this `SHA256:…` fingerprint. */
  hostKeySha256?: string;
  timeoutMs?: number;
}

export interface SshExecResult {
  stdout: string;
  stderr: string;
  /** Exit status, or null when the connection ended without one (host went down). */
  code: number | null;
}

/**
 * Run one command over SSH with the npm `ssh2` client — a real SSH connection, as Plinth's
 * drivers make, for lab tests and tools. Rejects on connection or authentication failure.
 */
export function sshExec(options: SshExecOptions): Promise<SshExecResult> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let stdout = '';
    let stderr = '';
    let code: number | null = null;
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.end();
      if (error) reject(error);
      else resolve({ stdout, stderr, code });
    };
    const timeoutMs = options.timeoutMs ?? 10_000;
    const timer = setTimeout(
      () =>
        finish(
          new Error(
            `ssh ${options.username}@${options.host}:${options.port}: no answer within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    client.on('ready', () => {
      client.exec(options.command, (error, channel) => {
        if (error) return finish(error);
        channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        channel.on('exit', (exitCode: number | null) => (code = exitCode));
        channel.on('close', () => finish());
        if (options.stdin !== undefined) channel.write(options.stdin);
        channel.end();
      });
    });
    client.on('error', (error) => finish(error));
    client.on('close', () => finish());
    client.connect({
      host: options.host,
      port: options.port,
      username: options.username,
      privateKey: options.privateKey,
      readyTimeout: timeoutMs,
      hostVerifier:
        options.hostKeySha256 === undefined
          ? undefined
          : (key: Buffer) => publicKeySha256(key) === options.hostKeySha256,
    });
  });
}
