import type { Readable } from 'node:stream';
import type { HostOs } from './host-os';

/** Standard input of an emulated command: the SSH channel, a pipe, or a redirected file. */
export interface StdinReader {
  /** Everything until end of input (the client's EOF). */
  readAll(): Promise<string>;
  /** The next line without its newline, or undefined at end of input. */
  readLine(): Promise<string | undefined>;
}

/** Everything an emulated command sees: arguments, environment, streams and the host. */
export interface CommandContext {
  /** `argv[0]` is the command name as typed (without a path). */
  argv: string[];
  env: Record<string, string>;
  /** Running as root (logged in as root or through `sudo`). */
  root: boolean;
  /** The login user. */
  user: string;
  cwd: string;
  os: HostOs;
  stdin: StdinReader;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Aborted when the session ends (client gone, host powered off). */
  signal: AbortSignal;
}

/** An emulated command; resolves to its exit status. */
export type CommandRun = (context: CommandContext) => Promise<number> | number;

export interface CommandDefinition {
  run: CommandRun;
  /** Whether the command exists on this host (installed with the OS, or by a package). Absent means always. */
  available?: (os: HostOs) => boolean;
}

/** Stdin from a fixed text: pipes, `< file`, or tests. */
export class TextStdin implements StdinReader {
  private offset = 0;

  constructor(private readonly text: string) {}

  readAll(): Promise<string> {
    const rest = this.text.slice(this.offset);
    this.offset = this.text.length;
    return Promise.resolve(rest);
  }

  readLine(): Promise<string | undefined> {
    if (this.offset >= this.text.length) return Promise.resolve(undefined);
    const newline = this.text.indexOf('\n', this.offset);
    const end = newline < 0 ? this.text.length : newline;
    const line = this.text.slice(this.offset, end);
    this.offset = newline < 0 ? this.text.length : newline + 1;
    return Promise.resolve(line);
  }
}

/**
 * Stdin from a stream (the SSH channel), buffered as it arrives. Only commands that read wait for
 * the client's EOF; the others finish at once, as in a real shell.
 */
export class StreamStdin implements StdinReader {
  private buffer = '';
  private ended = false;
  private waiters: Array<() => void> = [];

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer | string) => {
      this.buffer += chunk.toString();
      this.wake();
    });
    const end = (): void => {
      this.ended = true;
      this.wake();
    };
    stream.on('end', end);
    stream.on('close', end);
  }

  async readAll(): Promise<string> {
    while (!this.ended) await this.next();
    const all = this.buffer;
    this.buffer = '';
    return all;
  }

  async readLine(): Promise<string | undefined> {
    for (;;) {
      const newline = this.buffer.indexOf('\n');
      if (newline >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        return line;
      }
      if (this.ended) {
        if (!this.buffer) return undefined;
        const line = this.buffer;
        this.buffer = '';
        return line;
      }
      await this.next();
    }
  }

  private next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
