import { posix } from 'node:path';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { CommandContext, CommandDefinition } from '../command';

/**
 * The small POSIX tools roles use to read and write files on a host: `cat`, `tee`, `test`/`[`,
 * `echo`, `mkdir`, `rm`, `cp`, `chmod`, `chown`, `ls`, `sleep`, `true`, `false`, `whoami`, `id`,
 * `printenv`.
 * They act on the host's emulated disk with owner/mode checks (non-root users may write only in
 * their home and /tmp; files with mode 600 are unreadable to others).
 */
export const coreutilsCommands: Record<string, CommandDefinition> = {
  true: { run: () => 0 },
  false: { run: () => 1 },
  echo: { run: echo },
  cat: { run: cat },
  tee: { run: tee },
  test: { run: (context) => test(context.argv.slice(1), context) },
  '[': { run: bracket },
  mkdir: { run: mkdir },
  rm: { run: rm },
  cp: { run: cp },
  chmod: { run: chmod },
  chown: { run: chown },
  ls: { run: ls },
  sleep: { run: sleep },
  whoami: { run: (context) => (context.stdout(`${context.root ? 'root' : context.user}\n`), 0) },
  id: { run: id },
  printenv: { run: printenv },
};

function printenv(context: CommandContext): number {
  const names = context.argv.slice(1);
  if (names.length === 0) {
    for (const [name, value] of Object.entries(context.env).sort()) context.stdout(`${name}=${value}\n`);
    return 0;
  }
  let status = 0;
  for (const name of names) {
    const value = context.env[name];
    if (value === undefined) status = 1;
    else context.stdout(`${value}\n`);
  }
  return status;
}

function echo(context: CommandContext): number {
  const args = context.argv.slice(1);
  const noNewline = args[0] === '-n';
  const words = noNewline ? args.slice(1) : args;
  context.stdout(words.join(' ') + (noNewline ? '' : '\n'));
  return 0;
}

async function cat(context: CommandContext): Promise<number> {
  const paths = context.argv.slice(1).filter((arg) => arg !== '--');
  if (paths.length === 0 || (paths.length === 1 && paths[0] === '-')) {
    context.stdout(await context.stdin.readAll());
    return 0;
  }
  let status = 0;
  for (const path of paths) {
    const read = context.os.readFile(context, path);
    if (read.ok) context.stdout(read.content);
    else {
      context.stderr(`cat: ${path}: ${read.reason}\n`);
      status = 1;
    }
  }
  return status;
}

async function tee(context: CommandContext): Promise<number> {
  const args = context.argv.slice(1);
  const append = args.includes('-a') || args.includes('--append');
  const paths = args.filter((arg) => !arg.startsWith('-'));
  const input = await context.stdin.readAll();
  let status = 0;
  for (const path of paths) {
    const written = context.os.writeFile(context, path, input, { append });
    if (!written.ok) {
      context.stderr(`tee: ${path}: ${written.reason}\n`);
      status = 1;
    }
  }
  context.stdout(input);
  return status;
}

function bracket(context: CommandContext): number {
  const args = context.argv.slice(1);
  if (args[args.length - 1] !== ']') {
    context.stderr("bash: line 1: [: missing `]'\n");
    return 2;
  }
  return test(args.slice(0, -1), context);
}

/** `test` for the file checks and string comparisons roles use. */
function test(args: string[], context: CommandContext): number {
  if (args[0] === '!') return test(args.slice(1), context) === 0 ? 1 : 0;
  if (args.length === 0) return 1;
  if (args.length === 1) return (args[0] ?? '') !== '' ? 0 : 1;
  if (args.length === 2) {
    const [operator, operand = ''] = args;
    const path = context.os.resolve(context, operand);
    const disk = context.os.disk;
    switch (operator) {
      case '-e':
        return context.os.fileExists(context, operand) || disk.isDir(path) ? 0 : 1;
      case '-f':
        return context.os.fileExists(context, operand) ? 0 : 1;
      case '-d':
        return disk.isDir(path) ? 0 : 1;
      case '-s': {
        const read = context.os.readFile({ ...context, root: true }, operand);
        return read.ok && read.content.length > 0 ? 0 : 1;
      }
      case '-r': {
        return context.os.readFile(context, operand).ok ? 0 : 1;
      }
      case '-z':
        return operand === '' ? 0 : 1;
      case '-n':
        return operand !== '' ? 0 : 1;
    }
  }
  if (args.length === 3) {
    const [left = '', operator, right = ''] = args;
    switch (operator) {
      case '=':
      case '==':
        return left === right ? 0 : 1;
      case '!=':
        return left !== right ? 0 : 1;
      case '-eq':
        return Number(left) === Number(right) ? 0 : 1;
      case '-ne':
        return Number(left) !== Number(right) ? 0 : 1;
      case '-lt':
        return Number(left) < Number(right) ? 0 : 1;
      case '-gt':
        return Number(left) > Number(right) ? 0 : 1;
    }
  }
  context.stderr(`test: the lab does not emulate this expression: ${args.join(' ')}\n`);
  return 2;
}

function mkdir(context: CommandContext): number {
  const args = context.argv.slice(1);
  const parents = args.some((arg) => /^-[a-z]*p/.test(arg) || arg === '--parents');
  let status = 0;
  for (const arg of args.filter((candidate) => !candidate.startsWith('-'))) {
    const path = context.os.resolve(context, arg);
    const disk = context.os.disk;
    if (disk.isDir(path)) {
      if (!parents) {
        context.stderr(`mkdir: cannot create directory '${arg}': File exists\n`);
        status = 1;
      }
      continue;
    }
    if (!parents && !disk.isDir(posix.dirname(path))) {
      context.stderr(`mkdir: cannot create directory '${arg}': No such file or directory\n`);
      status = 1;
      continue;
    }
    if (!context.root && !path.startsWith(`${context.os.home}/`) && !path.startsWith('/tmp/')) {
      context.stderr(`mkdir: cannot create directory '${arg}': Permission denied\n`);
      status = 1;
      continue;
    }
    for (let dir = path; !disk.dirs.has(dir); dir = posix.dirname(dir)) disk.dirs.add(dir);
  }
  return status;
}

function rm(context: CommandContext): number {
  const args = context.argv.slice(1);
  const force = args.some((arg) => /^-[a-zA-Z]*f/.test(arg));
  const recursive = args.some((arg) => /^-[a-zA-Z]*[rR]/.test(arg));
  let status = 0;
  for (const arg of args.filter((candidate) => !candidate.startsWith('-'))) {
    const path = context.os.resolve(context, arg);
    const disk = context.os.disk;
    const file = disk.files.get(path);
    const writable = context.root || path.startsWith(`${context.os.home}/`) || path.startsWith('/tmp/');
    if (file) {
      if (!writable) {
        context.stderr(`rm: cannot remove '${arg}': Permission denied\n`);
        status = 1;
      } else disk.files.delete(path);
    } else if (disk.isDir(path)) {
      if (!recursive) {
        context.stderr(`rm: cannot remove '${arg}': Is a directory\n`);
        status = 1;
      } else if (!writable) {
        context.stderr(`rm: cannot remove '${arg}': Permission denied\n`);
        status = 1;
      } else {
        for (const child of disk.filesUnder(path)) disk.files.delete(child);
        for (const dir of [...disk.dirs])
          if (dir === path || dir.startsWith(`${path}/`)) disk.dirs.delete(dir);
      }
    } else if (!force) {
      context.stderr(`rm: cannot remove '${arg}': No such file or directory\n`);
      status = 1;
    }
  }
  return status;
}

function cp(context: CommandContext): number {
  const operands = context.argv.slice(1).filter((arg) => !arg.startsWith('-'));
  if (operands.length !== 2) {
    context.stderr('cp: the lab emulates only "cp SOURCE DEST"\n');
    return 1;
  }
  const [source = '', target = ''] = operands;
  const read = context.os.readFile(context, source);
  if (!read.ok) {
    context.stderr(`cp: cannot open '${source}' for reading: ${read.reason}\n`);
    return 1;
  }
  const targetPath = context.os.resolve(context, target);
  const destination = context.os.disk.isDir(targetPath)
    ? posix.join(targetPath, posix.basename(source))
    : targetPath;
  const mode = context.os.disk.files.get(context.os.resolve(context, source))?.mode;
  const written = context.os.writeFile(
    context,
    destination,
    read.content,
    mode === undefined ? {} : { mode },
  );
  if (!written.ok) {
    context.stderr(`cp: cannot create regular file '${target}': ${written.reason}\n`);
    return 1;
  }
  return 0;
}

function chmod(context: CommandContext): number {
  const [mode = '', ...paths] = context.argv.slice(1).filter((arg) => arg !== '-R');
  if (!/^[0-7]{3,4}$/.test(mode)) {
    context.stderr(`chmod: the lab emulates only octal modes, not '${mode}'\n`);
    return 1;
  }
  let status = 0;
  for (const path of paths) {
    const absolute = context.os.resolve(context, path);
    const file = context.os.disk.files.get(absolute);
    if (!file) {
      if (context.os.disk.isDir(absolute)) continue;
      context.stderr(`chmod: cannot access '${path}': No such file or directory\n`);
      status = 1;
    } else if (!context.root && file.owner !== context.user) {
      context.stderr(`chmod: changing permissions of '${path}': Operation not permitted\n`);
      status = 1;
    } else file.mode = parseInt(mode, 8);
  }
  return status;
}

function chown(context: CommandContext): number {
  const [owner = '', ...paths] = context.argv.slice(1).filter((arg) => arg !== '-R');
  if (!context.root) {
    context.stderr(`chown: changing ownership of '${paths[0] ?? ''}': Operation not permitted\n`);
    return 1;
  }
  const user = owner.split(':')[0] ?? owner;
  let status = 0;
  for (const path of paths) {
    const absolute = context.os.resolve(context, path);
    const file = context.os.disk.files.get(absolute);
    if (file) file.owner = user;
    else if (!context.os.disk.isDir(absolute)) {
      context.stderr(`chown: cannot access '${path}': No such file or directory\n`);
      status = 1;
    }
  }
  return status;
}

function ls(context: CommandContext): number {
  const operands = context.argv.slice(1).filter((arg) => !arg.startsWith('-'));
  let status = 0;
  for (const operand of operands.length > 0 ? operands : ['.']) {
    const path = context.os.resolve(context, operand);
    const disk = context.os.disk;
    if (disk.files.has(path)) {
      context.stdout(`${operand}\n`);
      continue;
    }
    if (!disk.isDir(path)) {
      context.stderr(`ls: cannot access '${operand}': No such file or directory\n`);
      status = 2;
      continue;
    }
    const names = new Set<string>();
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const entry of [...disk.files.keys(), ...disk.dirs]) {
      if (entry.startsWith(prefix) && entry !== path)
        names.add(entry.slice(prefix.length).split('/')[0] ?? '');
    }
    for (const name of [...names].filter(Boolean).sort()) context.stdout(`${name}\n`);
  }
  return status;
}

async function sleep(context: CommandContext): Promise<number> {
  const seconds = Number((context.argv[1] ?? '0').replace(/s$/, ''));
  if (!Number.isFinite(seconds) || seconds < 0) {
    context.stderr(`sleep: invalid time interval '${context.argv[1] ?? ''}'\n`);
    return 1;
  }
  try {
    await sleepFor(seconds * 1000, undefined, { signal: context.signal });
  } catch {
    return 130;
  }
  return 0;
}

function id(context: CommandContext): number {
  const root = context.root || context.user === 'root';
  const uid = root ? 0 : 1000;
  const name = root ? 'root' : context.user;
  const flags = context.argv.slice(1);
  if (flags.includes('-u')) context.stdout(flags.includes('-n') ? `${name}\n` : `${uid}\n`);
  else if (flags.includes('-g')) context.stdout(flags.includes('-n') ? `${name}\n` : `${uid}\n`);
  else if (flags.includes('-un') || flags.includes('-nu')) context.stdout(`${name}\n`);
  else
    context.stdout(
      `uid=${uid}(${name}) gid=${uid}(${name}) groups=${uid}(${name})${root ? '' : ',27(sudo)'}\n`,
    );
  return 0;
}
