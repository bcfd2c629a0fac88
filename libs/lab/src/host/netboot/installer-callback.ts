import { posix } from 'node:path';
import { NetbootError } from './http-get';

/**
 * The "I am installed" call a rendered install config makes at its end: the first `curl` or
 * `wget` POST in autoinstall `late-commands`, preseed `preseed/late_command` or a kickstart
 * `%post` section. The lab's host makes that request itself (the shell around it is not run),
 * with the command's own headers and the body a real late command would report.
 */
export interface InstallerCallback {
  url: string;
  /** Headers from `-H`/`--header` (an Authorization token, typically). */
  headers: Record<string, string>;
  tool: 'curl' | 'wget';
  /** `curl -f`/`--fail` and every `wget` fail on an HTTP error status, which fails the installer step. */
  failOnHttpError: boolean;
}

/** What the lab's installer reports: where the installed OS will answer SSH, and its new host key. */
export interface CallbackBody {
  mac: string;
  hostname: string;
  sshHost: string;
  sshPort: number;
  /** `SHA256:…` as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it. */
  hostKeySha256: string;
}

const CURL_VALUE_FLAGS = new Set('dFHXouwmAebcTKrxECDUYyzQP'.split(''));
const CURL_DATA_LONG = new Set([
  '--data',
  '--data-raw',
  '--data-binary',
  '--data-urlencode',
  '--data-ascii',
  '--json',
  '--form',
  '--form-string',
]);
const CURL_VALUE_LONG = new Set([
  ...CURL_DATA_LONG,
  '--header',
  '--request',
  '--url',
  '--output',
  '--user',
  '--write-out',
  '--max-time',
  '--user-agent',
  '--referer',
  '--cookie',
  '--cookie-jar',
  '--upload-file',
  '--config',
  '--range',
  '--proxy',
  '--cert',
  '--cacert',
  '--connect-timeout',
  '--retry',
  '--retry-delay',
  '--retry-max-time',
  '--resolve',
  '--interface',
]);

/** Find the callback among shell command strings (each may hold several commands). */
export function findInstallerCallback(commands: string[]): InstallerCallback | undefined {
  for (const command of commands) {
    for (const words of simpleCommands(command)) {
      const found = fromWords(words);
      if (found) return found;
    }
  }
  return undefined;
}

function fromWords(words: string[]): InstallerCallback | undefined {
  for (let index = 0; index < words.length; index++) {
    const word = words[index] ?? '';
    const tool = posix.basename(word);
    if ((tool === 'sh' || tool === 'bash') && words[index + 1] === '-c' && words[index + 2] !== undefined) {
      return findInstallerCallback([words[index + 2] ?? '']);
    }
    if (tool === 'curl') return curl(words.slice(index + 1));
    if (tool === 'wget') return wget(words.slice(index + 1));
  }
  return undefined;
}

function curl(args: string[]): InstallerCallback | undefined {
  let method: string | undefined;
  let hasData = false;
  let getWithData = false;
  let failOnHttpError = false;
  let url: string | undefined;
  const headers: Record<string, string> = {};
  const takeHeader = (value: string): void => {
    const colon = value.indexOf(':');
    if (colon > 0) headers[value.slice(0, colon).trim().toLowerCase()] = value.slice(colon + 1).trim();
  };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      const name = equals < 0 ? arg : arg.slice(0, equals);
      const value =
        equals < 0 ? (CURL_VALUE_LONG.has(name) ? args[++index] : undefined) : arg.slice(equals + 1);
      if (CURL_DATA_LONG.has(name)) hasData = true;
      if (name === '--request') method = value;
      if (name === '--header' && value) takeHeader(value);
      if (name === '--url' && value) url = value;
      if (name === '--fail' || name === '--fail-with-body') failOnHttpError = true;
      if (name === '--get') getWithData = true;
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let position = 1; position < arg.length; position++) {
        const letter = arg[position] ?? '';
        if (CURL_VALUE_FLAGS.has(letter)) {
          const value = position + 1 < arg.length ? arg.slice(position + 1) : args[++index];
          if (letter === 'X') method = value;
          if (letter === 'H' && value) takeHeader(value);
          if (letter === 'd' || letter === 'F') hasData = true;
          break;
        }
        if (letter === 'f') failOnHttpError = true;
        if (letter === 'G') getWithData = true;
      }
      continue;
    }
    if (!url && /^https?:\/\//.test(arg)) url = arg;
  }
  const post = method ? method.toUpperCase() === 'POST' : hasData && !getWithData;
  if (!post || !url) return undefined;
  return { url, headers, tool: 'curl', failOnHttpError };
}

function wget(args: string[]): InstallerCallback | undefined {
  let post = false;
  let url: string | undefined;
  const headers: Record<string, string> = {};
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    const equals = arg.indexOf('=');
    const name = arg.startsWith('--') ? (equals < 0 ? arg : arg.slice(0, equals)) : arg;
    const valueOf = (): string => (equals < 0 ? (args[++index] ?? '') : arg.slice(equals + 1));
    if (
      name === '--post-data' ||
      name === '--post-file' ||
      name === '--body-data' ||
      name === '--body-file'
    ) {
      post = true;
      valueOf();
    } else if (name === '--method') post = valueOf().toUpperCase() === 'POST';
    else if (name === '--header') {
      const value = valueOf();
      const colon = value.indexOf(':');
      if (colon > 0) headers[value.slice(0, colon).trim().toLowerCase()] = value.slice(colon + 1).trim();
    } else if (
      ['-O', '-o', '-T', '-t'].includes(arg) ||
      (['--output-document', '--timeout', '--tries'].includes(name) && equals < 0)
    ) {
      index += 1;
    } else if (!url && /^https?:\/\//.test(arg)) url = arg;
  }
  if (!post || !url) return undefined;
  return { url, headers, tool: 'wget', failOnHttpError: true };
}

/** Split a shell string into simple commands' words: quotes respected, `;` `&&` `||` `|` and newlines separate. Nothing is expanded. */
export function simpleCommands(source: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  const endWord = (): void => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = (): void => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < source.length; i++) {
    const char = source[i] ?? '';
    if (char === "'") {
      const close = source.indexOf("'", i + 1);
      const end = close < 0 ? source.length : close;
      word = (word ?? '') + source.slice(i + 1, end);
      i = end;
    } else if (char === '"') {
      let text = '';
      let j = i + 1;
      for (; j < source.length && source[j] !== '"'; j++) {
        if (source[j] === '\\' && j + 1 < source.length) text += source[++j] ?? '';
        else text += source[j] ?? '';
      }
      word = (word ?? '') + text;
      i = j;
    } else if (char === '\\' && i + 1 < source.length) {
      if (source[i + 1] !== '\n') word = (word ?? '') + (source[i + 1] ?? '');
      i += 1;
    } else if (char === ' ' || char === '\t') {
      endWord();
    } else if (char === '\n' || char === ';' || char === '|' || char === '&') {
      endCommand();
      if ((char === '|' || char === '&') && source[i + 1] === char) i += 1;
    } else {
      word = (word ?? '') + char;
    }
  }
  endCommand();
  return commands;
}

/** Make the callback request as the installer's curl/wget would; failures that would fail the late command throw. */
export async function postInstallerCallback(
  callback: InstallerCallback,
  body: CallbackBody,
  signal: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(callback.url, {
      method: 'POST',
      headers: {
        ...callback.headers,
        'content-type': 'application/json',
        'user-agent': callback.tool === 'curl' ? 'curl/8.5.0' : 'Wget/1.21.4',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(30_000)]),
    });
  } catch (error) {
    if (signal.aborted) throw error;
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new NetbootError(
      `installer callback: POST ${callback.url} failed: ${cause} (the late command's ${callback.tool} exited non-zero)`,
    );
  }
  await response.body?.cancel();
  if (callback.failOnHttpError && (response.status < 200 || response.status > 299)) {
    throw new NetbootError(
      `installer callback: POST ${callback.url} answered ${response.status} ${response.statusText}`.trimEnd(),
    );
  }
}
