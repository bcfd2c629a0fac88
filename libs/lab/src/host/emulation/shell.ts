import { posix } from 'node:path';
import { TextStdin, type CommandContext, type CommandDefinition, type StdinReader } from './command';
import type { HostOs } from './host-os';
import { parseShell, ShellSyntaxError, type Redirect, type SimpleCommand, type Word } from './shell-syntax';

/** One SSH `exec` request's shell: its streams, environment and the host it runs on. */
export interface ShellSession {
  os: HostOs;
  user: string;
  /** Environment from the client's `env` requests plus the login defaults. */
  env: Record<string, string>;
  stdin: StdinReader;
  stdout(text: string): void;
  stderr(text: string): void;
  signal: AbortSignal;
  commands: ReadonlyMap<string, CommandDefinition>;
}

const BIN_DIRS = new Set(['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/local/sbin']);

/**
 * Run a command line as `bash -c` would on the host: lists, pipelines, redirections, `sudo`,
 * `export`, `cd`, `exit`, variables and globs over the emulated file system. Resolves to the
 * exit status of the last command run.
 */
export async function runCommandLine(line: string, session: ShellSession): Promise<number> {
  let items;
  try {
    items = parseShell(line);
  } catch (error) {
    if (error instanceof ShellSyntaxError) {
      session.stderr(`bash: -c: line 1: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const state: ShellState = {
    session,
    vars: { ...session.env },
    cwd: session.os.home,
    status: 0,
    exited: false,
  };
  for (const item of items) {
    if (state.exited || session.signal.aborted) break;
    if (item.connector === '&&' && state.status !== 0) continue;
    if (item.connector === '||' && state.status === 0) continue;
    state.status = await runPipeline(item.pipeline, state);
  }
  return state.status;
}

interface ShellState {
  session: ShellSession;
  vars: Record<string, string>;
  cwd: string;
  status: number;
  exited: boolean;
}

interface Streams {
  stdin: StdinReader;
  stdout(text: string): void;
  stderr(text: string): void;
}

async function runPipeline(pipeline: SimpleCommand[], state: ShellState): Promise<number> {
  let stdin: StdinReader = state.session.stdin;
  let status = 0;
  for (let index = 0; index < pipeline.length; index++) {
    const command = pipeline[index];
    if (!command) continue;
    const last = index === pipeline.length - 1;
    let captured = '';
    const streams: Streams = {
      stdin,
      stdout: last ? state.session.stdout : (text) => (captured += text),
      stderr: state.session.stderr,
    };
    status = await runSimple(command, state, streams);
    stdin = new TextStdin(captured);
  }
  return status;
}

async function runSimple(command: SimpleCommand, state: ShellState, inherited: Streams): Promise<number> {
  const { session } = state;
  const assignments = command.assignments.map(
    (assignment) => [assignment.name, expandScalar(assignment.value, state)] as const,
  );
  const argv = command.words.flatMap((word) => expandWord(word, state));
  const streams = applyRedirects(command.redirects, state, inherited);
  if (!streams) return 1;
  if (argv.length === 0) {
    for (const [name, value] of assignments) state.vars[name] = value;
    return streams.finish(0);
  }
  const env = { ...state.vars, ...Object.fromEntries(assignments) };
  return streams.finish(await invoke(argv, env, false, state, streams));

  async function invoke(
    args: string[],
    environment: Record<string, string>,
    root: boolean,
    shell: ShellState,
    io: Streams,
  ): Promise<number> {
    const [name, ...rest] = args;
    if (name === undefined) return 0;
    switch (name) {
      case 'sudo':
        return sudo(rest, environment, shell, io);
      case 'export':
        for (const entry of rest) {
          const equals = entry.indexOf('=');
          if (equals > 0) shell.vars[entry.slice(0, equals)] = entry.slice(equals + 1);
        }
        return 0;
      case 'cd': {
        const target = session.os.resolve({ cwd: shell.cwd }, rest[0] ?? session.os.home);
        if (!session.os.disk.isDir(target)) {
          io.stderr(`bash: line 1: cd: ${rest[0] ?? ''}: No such file or directory\n`);
          return 1;
        }
        shell.cwd = target;
        return 0;
      }
      case 'exit':
        shell.exited = true;
        return Number(rest[0] ?? shell.status) & 0xff;
    }
    const commandName = name.includes('/') ? commandInBinDir(name) : name;
    const definition = commandName === undefined ? undefined : session.commands.get(commandName);
    if (
      !definition ||
      commandName === undefined ||
      (definition.available && !definition.available(session.os))
    ) {
      io.stderr(
        name.includes('/')
          ? `bash: line 1: ${name}: No such file or directory\n`
          : `bash: line 1: ${name}: command not found\n`,
      );
      return 127;
    }
    const context: CommandContext = {
      argv: [commandName, ...rest],
      env: environment,
      root: root || session.user === 'root',
      user: session.user,
      cwd: shell.cwd,
      os: session.os,
      stdin: io.stdin,
      stdout: io.stdout,
      stderr: io.stderr,
      signal: session.signal,
    };
    return definition.run(context);
  }

  /** Passwordless sudo, as cloud-init and kickstart set it up for the provisioning user. */
  async function sudo(
    args: string[],
    environment: Record<string, string>,
    shell: ShellState,
    io: Streams,
  ): Promise<number> {
    let index = 0;
    while (index < args.length) {
      const arg = args[index] ?? '';
      if (arg === '-u' || arg === '--user') {
        const target = args[index + 1];
        if (target !== 'root' && target !== '0' && target !== '#0') {
          io.stderr(`sudo: running as ${target ?? ''} is not emulated by the lab (only root)\n`);
          return 1;
        }
        index += 2;
      } else if (/^-[nEHSiAkb]+$/.test(arg) || arg === '--preserve-env' || arg === '--non-interactive') {
        index += 1;
      } else if (arg === '--') {
        index += 1;
        break;
      } else {
        break;
      }
    }
    // sudo's env_reset: only a few variables pass unless -E asks to keep them all.
    const preserve = args
      .slice(0, index)
      .some((arg) => arg === '--preserve-env' || (/^-[a-zA-Z]+$/.test(arg) && arg.includes('E')));
    const kept = preserve ? environment : pick(environment, ['PATH', 'TERM', 'LANG', 'LC_ALL', 'DISPLAY']);
    const sudoEnv: Record<string, string> = {
      ...kept,
      USER: 'root',
      HOME: '/root',
      LOGNAME: 'root',
      SUDO_USER: session.user,
    };
    while (index < args.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[index] ?? '')) {
      const assignment = args[index] ?? '';
      const equals = assignment.indexOf('=');
      sudoEnv[assignment.slice(0, equals)] = assignment.slice(equals + 1);
      index += 1;
    }
    if (index >= args.length) {
      io.stderr('usage: sudo -h | -K | -k | -V\n');
      return 1;
    }
    return invoke(args.slice(index), sudoEnv, true, shell, io);
  }
}

function pick(source: Record<string, string>, keys: string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of keys) if (source[key] !== undefined) picked[key] = source[key];
  return picked;
}

function commandInBinDir(path: string): string | undefined {
  return BIN_DIRS.has(posix.dirname(path)) ? posix.basename(path) : undefined;
}

function expandScalar(word: Word, state: ShellState): string {
  return word.map((part) => (part.kind === 'text' ? part.text : variable(part.name, state))).join('');
}

function variable(name: string, state: ShellState): string {
  if (name === '?') return String(state.status);
  return state.vars[name] ?? '';
}

/** Expand one word: variables, then globs on its unquoted parts (no match keeps the word, as bash does). */
function expandWord(word: Word, state: ShellState): string[] {
  const text = expandScalar(word, state);
  const globbed = word.some((part) => part.kind === 'text' && !part.quoted && /[*?]/.test(part.text));
  // An unquoted variable that expands to nothing disappears, as in the shell.
  if (!globbed && text === '' && word.length > 0 && word.every((part) => part.kind === 'var' && !part.quoted))
    return [];
  if (!globbed) return [text];
  const absolute = state.session.os.resolve({ cwd: state.cwd }, text);
  const dir = posix.dirname(absolute);
  const pattern = new RegExp(
    `^${posix
      .basename(absolute)
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
  const disk = state.session.os.disk;
  const matches = new Set<string>();
  for (const path of disk.files.keys())
    if (posix.dirname(path) === dir && pattern.test(posix.basename(path))) matches.add(path);
  for (const path of disk.dirs)
    if (path !== '/' && posix.dirname(path) === dir && pattern.test(posix.basename(path))) matches.add(path);
  return matches.size > 0 ? [...matches].sort() : [text];
}

type RedirectedStreams = Streams & { finish(status: number): number };

/** Route stdin/stdout/stderr through redirections; file output is written when the command ends. */
function applyRedirects(
  redirects: Redirect[],
  state: ShellState,
  inherited: Streams,
): RedirectedStreams | undefined {
  const { os } = state.session;
  const context = { cwd: state.cwd, root: state.session.user === 'root', user: state.session.user };
  const outputs: Array<{ path: string; append: boolean; text: string }> = [];
  let stdin = inherited.stdin;
  let stdout = inherited.stdout;
  let stderr = inherited.stderr;
  for (const redirect of redirects) {
    const target = expandScalar(redirect.target, state);
    if (redirect.mode === 'dup') {
      if (redirect.fd === 2 && target === '1') stderr = stdout;
      else if (redirect.fd === 1 && target === '2') stdout = stderr;
      continue;
    }
    if (redirect.mode === '<') {
      const read = os.readFile(context, target);
      if (!read.ok) {
        inherited.stderr(`bash: line 1: ${target}: ${read.reason}\n`);
        return undefined;
      }
      stdin = new TextStdin(read.content);
      continue;
    }
    const output = { path: target, append: redirect.mode === '>>', text: '' };
    // Fail early as bash does when the file cannot be opened.
    const opened = os.writeFile(context, target, '', { append: output.append });
    if (!opened.ok) {
      inherited.stderr(`bash: line 1: ${target}: ${opened.reason}\n`);
      return undefined;
    }
    outputs.push(output);
    const sink = (text: string): void => {
      output.text += text;
    };
    if (redirect.fd === 1 || redirect.fd === 'both') stdout = sink;
    if (redirect.fd === 2 || redirect.fd === 'both') stderr = sink;
  }
  return {
    stdin,
    stdout: (text) => stdout(text),
    stderr: (text) => stderr(text),
    finish(status) {
      for (const output of outputs)
        os.writeFile(context, output.path, output.text, { append: output.append });
      return status;
    },
  };
}
