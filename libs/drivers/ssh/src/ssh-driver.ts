import { Client, type ClientChannel } from 'ssh2';
import { RoleError, type SshAccess } from '@plinth/contracts';
import type { Logger } from '@plinth/logger';
import { BoundedOutput } from './bounded-output';
import { hostKeyFingerprint, type SshHostKeyStore } from './host-key-store';

/** Resolves secret references (`secret/<name>`) to values; the database's secret store is one. */
export interface SecretResolver {
  reveal(ref: string): Promise<string>;
}

export interface SshDriverOptions {
  /** Where host keys are pinned, by machine. */
  hostKeys: SshHostKeyStore;
  /** Resolves {@link SshAccess.privateKeyRef}. */
  secrets: SecretResolver;
  logger?: Logger;
  /** TCP connect plus SSH handshake and authentication. Default 10 s. */
  connectTimeoutMs?: number;
  /** Default per-command timeout. Default 60 s. */
  commandTimeoutMs?: number;
  /** Default limit on each of stdout and stderr kept per command. Default 1 MiB. */
  maxOutputBytes?: number;
  /** A pooled connection with no command running is closed after this long. Default 30 s. */
  idleCloseMs?: number;
  /** Commands run at once on one connection (OpenSSH's MaxSessions is 10). Default 8. */
  maxChannelsPerConnection?: number;
}

export interface ExecOptions {
  /** Written to the command's stdin, then EOF. The way to hand a command a secret. Never logged. */
  stdin?: string;
  /** Kill the command (and fail with `CommandFailed`) after this long. */
  timeoutMs?: number;
  /** Limit on each of stdout and stderr kept; the rest is dropped and a marker appended. */
  maxOutputBytes?: number;
  /** Aborting kills the command; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Secret values this command handles (on stdin). The command line must not contain any of them
   * (refused before anything is sent), and they are replaced by `[redacted]` in the output returned
   * and in error messages.
   */
  secrets?: readonly string[];
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; `null` when the connection dropped before the command reported one (the host went down). */
  exitCode: number | null;
  /** True when stdout or stderr went past the output limit. */
  truncated: boolean;
  durationMs: number;
}

/** A command still running, for interactive use (`netplan try` waits for ENTER). */
export interface SshProcess {
  /** Stdout received so far. */
  stdout(): string;
  /** Resolves true once stdout matches `pattern`, false if the command ends or `timeoutMs` passes first. */
  waitForStdout(pattern: RegExp, timeoutMs: number): Promise<boolean>;
  write(text: string): void;
  /** Send EOF on stdin. */
  endInput(): void;
  /** Stop the command: signal KILL and close the channel. */
  kill(): void;
  /** Settles when the command ends; rejects on timeout (`CommandFailed`) or abort (the signal's reason). */
  readonly result: Promise<ExecResult>;
}

/**
 * Commands on installed machines over SSH (npm `ssh2`).
 *
 * - Connections are pooled per machine, address, user and key, reused by every command, and closed
 *   after `idleCloseMs` without a command.
 * - Host keys are pinned per machine on first use. A different key fails with `SshHostKeyChanged`;
 *   the only way to accept a new one is {@link SshDriver.expectNewHostKey} with the fingerprint the
 *   installer reported, and then only that exact key.
 * - The private key is read from the secret store when a connection opens and kept nowhere else.
 * - Secrets reach commands on stdin, never in the command line (see {@link ExecOptions.secrets}).
 *
 * Errors are {@link RoleError}s: `SshUnreachable` (retryable: refused, timed out, dropped),
 * `SshAuthFailed`, `SshHostKeyChanged`, `SecretMissing` (not retryable), `CommandFailed`
 * (retryable: non-zero exit from {@link SshDriver.run}, or a timeout).
 */
export interface SshDriver {
  /** Run a command; resolves with its exit status whatever it is. Idempotency is the command's own. */
  exec(target: SshAccess, command: string, options?: ExecOptions): Promise<ExecResult>;
  /** As {@link exec}, but a non-zero exit fails with `CommandFailed` and a lost connection with `SshUnreachable`. */
  run(target: SshAccess, command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Start a command and interact with it. */
  start(target: SshAccess, command: string, options?: Omit<ExecOptions, 'stdin'>): Promise<SshProcess>;
  /**
   * Open a new connection (never a pooled one), authenticate and close it: proves the host is
   * reachable right now with the pinned key. Throws the same errors as a connection attempt.
   */
  checkReachable(target: SshAccess): Promise<void>;
  /**
   * Announce the host key a machine presents after a reinstall (from its installer callback):
   * the next connection accepts exactly that key and re-pins it. Drops pooled connections to the
   * machine (they belong to the previous OS). Idempotent.
   */
  expectNewHostKey(machineId: string, hostKeySha256: string): Promise<void>;
  /** The `SHA256:…` fingerprint pinned for a machine, if any. */
  pinnedHostKey(machineId: string): Promise<string | undefined>;
  /** Close the pooled connections to one machine, e.g. after its network changed. */
  disconnect(machineId: string): void;
  /** Close every connection. */
  close(): Promise<void>;
  /** Connections opened so far and open now (tests prove reuse with it). */
  stats(): { connectionsOpened: number; open: number };
}

interface Connection {
  key: string;
  machineId: string;
  client: Client;
  closed: boolean;
  active: number;
  waiters: Array<() => void>;
  idleTimer: NodeJS.Timeout | undefined;
  fresh: boolean;
}

const KILL_GRACE_MS = 2000;

export function createSshDriver(options: SshDriverOptions): SshDriver {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 60_000;
  const maxOutputBytes = options.maxOutputBytes ?? 1024 * 1024;
  const idleCloseMs = options.idleCloseMs ?? 30_000;
  const maxChannels = options.maxChannelsPerConnection ?? 8;
  const pool = new Map<string, Promise<Connection>>();
  let connectionsOpened = 0;
  const open = new Set<Connection>();

  const where = (target: SshAccess): string =>
    `machine ${target.machineId} (${target.username}@${target.host}:${target.port})`;
  const details = (target: SshAccess): Record<string, unknown> => ({
    machineId: target.machineId,
    host: target.host,
    port: target.port,
  });

  async function privateKeyOf(target: SshAccess): Promise<string> {
    try {
      return await options.secrets.reveal(target.privateKeyRef);
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'SecretNotFoundError') {
        throw new RoleError(
          'SecretMissing',
          `The SSH private key ${target.privateKeyRef} for ${where(target)} does not exist. Store it with the secrets API.`,
          { ...details(target), ref: target.privateKeyRef },
        );
      }
      throw error;
    }
  }

  /** Open, authenticate and verify one connection; persists the host-key decision once authenticated. */
  async function handshake(target: SshAccess): Promise<Client> {
    const privateKey = await privateKeyOf(target);
    const pinned = await options.hostKeys.get(target.machineId);
    // Written by the host verifier during the handshake.
    const verdict: { decision: 'pinned' | 'first-use' | 'replace' | 'rejected'; presented?: string } = {
      decision: 'pinned',
    };
    const client = new Client();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (error: RoleError): void => {
        if (settled) return;
        settled = true;
        client.end();
        reject(error);
      };
      client.once('ready', () => {
        settled = true;
        // Commands are small request/response exchanges: Nagle's algorithm would add ~40 ms to each.
        client.setNoDelay(true);
        resolve();
      });
      client.on('error', (error: Error & { level?: string; code?: string }) => {
        if (verdict.decision === 'rejected') {
          return fail(hostKeyChanged(target, pinned?.sha256 ?? '', verdict.presented ?? ''));
        }
        if (/authentication methods failed/i.test(error.message)) {
          return fail(
            new RoleError(
              'SshAuthFailed',
              `SSH refused the key ${target.privateKeyRef} for user ${target.username} on ${where(target)}. Check that its public half is in the machine's install config (authorized keys) and that the user is right.`,
              details(target),
            ),
          );
        }
        fail(unreachable(target, error.message));
      });
      client.once('close', () => fail(unreachable(target, 'the connection closed before SSH was ready')));
      try {
        client.connect({
          host: target.host,
          port: target.port,
          username: target.username,
          privateKey,
          readyTimeout: connectTimeoutMs,
          keepaliveInterval: 15_000,
          keepaliveCountMax: 3,
          hostVerifier: (key: Buffer): boolean => {
            const presented = hostKeyFingerprint(key);
            verdict.presented = presented;
            if (!pinned) verdict.decision = 'first-use';
            else if (pinned.sha256 === presented) verdict.decision = 'pinned';
            else if (pinned.expectedSha256 === presented) verdict.decision = 'replace';
            else verdict.decision = 'rejected';
            return verdict.decision !== 'rejected';
          },
        });
      } catch (error) {
        // ssh2 parses the key synchronously.
        fail(
          new RoleError(
            'SshAuthFailed',
            `The SSH private key ${target.privateKeyRef} for ${where(target)} is not a usable OpenSSH private key (${error instanceof Error ? error.message.replace(/:.*$/, '') : 'unreadable'}).`,
            details(target),
          ),
        );
      }
    });
    const { decision, presented } = verdict;
    try {
      if (decision === 'first-use' && presented) {
        const stored = await options.hostKeys.pinFirst(target.machineId, presented);
        if (stored.sha256 !== presented) throw hostKeyChanged(target, stored.sha256, presented);
        options.logger?.info(
          { machineId: target.machineId, hostKeySha256: presented },
          'ssh host key pinned on first use',
        );
      } else if (decision === 'replace' && presented) {
        if (!(await options.hostKeys.replace(target.machineId, presented))) {
          const now = await options.hostKeys.get(target.machineId);
          if (now?.sha256 !== presented) throw hostKeyChanged(target, now?.sha256 ?? '', presented);
        }
        options.logger?.info(
          { machineId: target.machineId, hostKeySha256: presented },
          'ssh host key re-pinned after reinstall',
        );
      }
    } catch (error) {
      client.end();
      throw error;
    }
    return client;
  }

  function poolKey(target: SshAccess): string {
    return [target.machineId, target.host, target.port, target.username, target.privateKeyRef].join('|');
  }

  function dropConnection(connection: Connection): void {
    if (connection.closed) return;
    connection.closed = true;
    if (connection.idleTimer) clearTimeout(connection.idleTimer);
    open.delete(connection);
    void pool.get(connection.key)?.then(
      (current) => {
        if (current === connection) pool.delete(connection.key);
      },
      () => undefined,
    );
    connection.client.end();
    for (const wake of connection.waiters.splice(0)) wake();
  }

  function connection(target: SshAccess): Promise<Connection> {
    const key = poolKey(target);
    const existing = pool.get(key);
    if (existing) return existing;
    const created = handshake(target).then((client) => {
      connectionsOpened += 1;
      const entry: Connection = {
        key,
        machineId: target.machineId,
        client,
        closed: false,
        active: 0,
        waiters: [],
        idleTimer: undefined,
        fresh: true,
      };
      open.add(entry);
      client.on('error', () => dropConnection(entry));
      client.on('close', () => dropConnection(entry));
      options.logger?.debug({ machineId: target.machineId, host: target.host }, 'ssh connection opened');
      return entry;
    });
    pool.set(key, created);
    created.catch(() => {
      if (pool.get(key) === created) pool.delete(key);
    });
    return created;
  }

  async function acquire(entry: Connection): Promise<void> {
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
    while (entry.active >= maxChannels && !entry.closed) {
      await new Promise<void>((resolve) => entry.waiters.push(resolve));
    }
    entry.active += 1;
  }

  function release(entry: Connection): void {
    entry.active -= 1;
    entry.waiters.shift()?.();
    if (entry.active === 0 && !entry.closed) {
      entry.idleTimer = setTimeout(() => dropConnection(entry), idleCloseMs);
      entry.idleTimer.unref();
    }
  }

  /**
   * Open a channel and attach its listeners inside ssh2's callback: a quick command's output,
   * exit status and close can arrive in the same read as the channel confirmation, before any
   * promise continuation would run.
   */
  function openChannel(
    entry: Connection,
    command: string,
    attach: (channel: ClientChannel) => void,
  ): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      if (entry.closed) return reject(new Error('connection closed'));
      try {
        entry.client.exec(command, (error, channel) => {
          if (error) return reject(error);
          attach(channel);
          resolve(channel);
        });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** A channel on a pooled connection; a stale pooled connection (host rebooted) is replaced once. */
  async function channelFor(
    target: SshAccess,
    command: string,
    attach: (channel: ClientChannel) => void,
  ): Promise<{ entry: Connection; channel: ClientChannel }> {
    for (let attempt = 0; ; attempt++) {
      const entry = await connection(target);
      const reused = !entry.fresh;
      entry.fresh = false;
      await acquire(entry);
      try {
        return { entry, channel: await openChannel(entry, command, attach) };
      } catch (error) {
        release(entry);
        dropConnection(entry);
        if (!reused || attempt > 0) {
          throw unreachable(
            target,
            `could not start a command: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    }
  }

  function redact(text: string, secrets: readonly string[] | undefined): string {
    let out = text;
    for (const secret of secrets ?? []) if (secret) out = out.split(secret).join('[redacted]');
    return out;
  }

  async function start(
    target: SshAccess,
    command: string,
    execOptions: ExecOptions = {},
  ): Promise<SshProcess> {
    if ((execOptions.secrets ?? []).some((secret) => secret !== '' && command.includes(secret))) {
      throw new Error(
        `Refusing to run a command on ${where(target)} whose command line contains a secret value: pass secrets on stdin.`,
      );
    }
    execOptions.signal?.throwIfAborted();
    const started = Date.now();
    const limit = execOptions.maxOutputBytes ?? maxOutputBytes;
    const stdout = new BoundedOutput(limit);
    const stderr = new BoundedOutput(limit);
    const watchers = new Set<() => void>();
    const state: { exitCode: number | null; channelClosed: boolean; onClose: (() => void) | undefined } = {
      exitCode: null,
      channelClosed: false,
      onClose: undefined,
    };
    const { entry, channel } = await channelFor(target, command, (opened) => {
      opened.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        for (const wake of watchers) wake();
      });
      opened.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      opened.on('exit', (code: number | null) => {
        state.exitCode = typeof code === 'number' ? code : null;
      });
      opened.on('close', () => {
        state.channelClosed = true;
        state.onClose?.();
      });
    });
    const timeoutMs = execOptions.timeoutMs ?? commandTimeoutMs;
    let ended = false;
    let stopReason: { kind: 'timeout' } | { kind: 'abort'; reason: unknown } | undefined;

    const kill = (): void => {
      if (ended) return;
      try {
        channel.signal('KILL');
      } catch {
        // Servers may refuse signals; closing the channel below is what counts.
      }
      channel.close();
      // A server that never acknowledges the close must not hold the command forever.
      setTimeout(() => finish(), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      stopReason = { kind: 'timeout' };
      kill();
    }, timeoutMs);
    timer.unref();
    const onAbort = (): void => {
      stopReason = { kind: 'abort', reason: execOptions.signal?.reason };
      kill();
    };
    execOptions.signal?.addEventListener('abort', onAbort, { once: true });
    const onConnectionClose = (): void => finish();
    entry.client.once('close', onConnectionClose);

    let settle: { resolve: (result: ExecResult) => void; reject: (error: unknown) => void } | undefined;
    const result = new Promise<ExecResult>((resolve, reject) => (settle = { resolve, reject }));
    // A caller that abandons an interactive process (it failed elsewhere) must not leave an unhandled rejection.
    result.catch(() => undefined);
    function finish(): void {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      execOptions.signal?.removeEventListener('abort', onAbort);
      entry.client.off('close', onConnectionClose);
      for (const wake of watchers) wake();
      release(entry);
      const durationMs = Date.now() - started;
      const { exitCode } = state;
      options.logger?.debug(
        {
          machineId: target.machineId,
          command: command.split(/\s+/).slice(0, 3).join(' '),
          exitCode,
          durationMs,
        },
        'ssh command finished',
      );
      if (stopReason?.kind === 'abort') return settle?.reject(stopReason.reason);
      if (stopReason?.kind === 'timeout') {
        return settle?.reject(
          new RoleError(
            'CommandFailed',
            `"${summarise(command)}" on ${where(target)} did not finish within ${timeoutMs} ms and was stopped.`,
            { ...details(target), timedOut: true, timeoutMs },
          ),
        );
      }
      settle?.resolve({
        stdout: redact(stdout.text(), execOptions.secrets),
        stderr: redact(stderr.text(), execOptions.secrets),
        exitCode,
        truncated: stdout.truncated || stderr.truncated,
        durationMs,
      });
    }
    state.onClose = finish;
    if (state.channelClosed) finish();

    return {
      stdout: () => stdout.peek(),
      waitForStdout(pattern, waitMs) {
        return new Promise<boolean>((resolve) => {
          const check = (): void => {
            if (pattern.test(stdout.peek())) done(true);
            else if (ended) done(false);
          };
          const deadline = setTimeout(() => done(false), waitMs);
          const done = (value: boolean): void => {
            clearTimeout(deadline);
            watchers.delete(check);
            resolve(value);
          };
          watchers.add(check);
          check();
        });
      },
      write: (text) => {
        if (!ended) channel.write(text);
      },
      endInput: () => {
        if (!ended) channel.end();
      },
      kill,
      result,
    };
  }

  function disconnect(machineId: string): void {
    for (const entry of [...open]) if (entry.machineId === machineId) dropConnection(entry);
  }

  async function exec(
    target: SshAccess,
    command: string,
    execOptions: ExecOptions = {},
  ): Promise<ExecResult> {
    const process = await start(target, command, execOptions);
    if (execOptions.stdin !== undefined) process.write(execOptions.stdin);
    process.endInput();
    return process.result;
  }

  return {
    exec,
    start,
    async run(target, command, execOptions = {}) {
      const result = await exec(target, command, execOptions);
      if (result.exitCode === null) {
        throw unreachable(target, `the connection dropped while "${summarise(command)}" ran`);
      }
      if (result.exitCode !== 0) {
        const stderr = result.stderr.trim() || result.stdout.trim();
        throw new RoleError(
          'CommandFailed',
          `"${summarise(command)}" on ${where(target)} exited ${result.exitCode}: ${tail(stderr, 600) || '(no output)'}`,
          { ...details(target), exitCode: result.exitCode },
        );
      }
      return result;
    },
    async checkReachable(target) {
      const client = await handshake(target);
      client.end();
    },
    async expectNewHostKey(machineId, hostKeySha256) {
      if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(hostKeySha256)) {
        throw new Error(`"${hostKeySha256}" is not an OpenSSH SHA256 host-key fingerprint`);
      }
      await options.hostKeys.expect(machineId, hostKeySha256);
      disconnect(machineId);
    },
    async pinnedHostKey(machineId) {
      return (await options.hostKeys.get(machineId))?.sha256;
    },
    disconnect,
    async close() {
      const pending = [...pool.values()];
      for (const entry of [...open]) dropConnection(entry);
      await Promise.allSettled(pending.map((promise) => promise.then((entry) => dropConnection(entry))));
    },
    stats: () => ({ connectionsOpened, open: open.size }),
  };

  function hostKeyChanged(target: SshAccess, pinnedSha256: string, presentedSha256: string): RoleError {
    return new RoleError(
      'SshHostKeyChanged',
      `The SSH host key of ${where(target)} changed: pinned ${pinnedSha256}, presented ${presentedSha256}. If the machine was reinstalled, provision-os re-pins from the installer callback; otherwise treat it as a possible man-in-the-middle and investigate before trusting the new key.`,
      { ...details(target), pinnedSha256, presentedSha256 },
    );
  }

  function unreachable(target: SshAccess, reason: string): RoleError {
    return new RoleError(
      'SshUnreachable',
      `Could not reach ${where(target)} over SSH: ${reason}. Check that the machine is on, booted into its OS, and reachable from the worker.`,
      details(target),
    );
  }
}

/** The first line of a command, shortened, for messages. */
function summarise(command: string): string {
  const line = command.split('\n')[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

function tail(text: string, max: number): string {
  return text.length > max ? `...${text.slice(-max)}` : text;
}
