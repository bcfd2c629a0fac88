import type { SearchAttributeType } from '../visibility/ports';
import { parseSearchAttributeType, SEARCH_ATTRIBUTE_TYPES } from '../visibility/search-attributes';

/**
 * Command-line parsing for the dev server executable. It accepts the argv of `temporal server start-dev`
 * so that `TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path } } })`
 * can spawn it; sdk-core (`ephemeral_server/mod.rs`) passes:
 *
 *   server start-dev --port N --namespace NS --ip 127.0.0.1 --log-format pretty --log-level warn
 *   --dynamic-config-value K=V … (--db-filename F) (--ui-port P | --headless) [--search-attribute name=Type …]
 *
 * Flags of the real CLI that this server has no use for are accepted with a warning rather than rejected,
 * so newer SDKs that pass more flags still start it.
 */

/** Log levels the server understands. */
export type DevServerLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Options parsed from the command line. */
export interface DevServerCliOptions {
  /** gRPC port to listen on (1-65535). Default 7233. */
  port: number;
  /** Interface to bind. Default 127.0.0.1. */
  ip: string;
  /** Namespaces to create at start-up; always contains 'default', no duplicates, in first-seen order. */
  namespaces: string[];
  /** Extra custom search attributes to register in every namespace, from `--search-attribute name=Type`. */
  searchAttributes: Record<string, SearchAttributeType>;
  /** Default 'warn'. The real CLI's 'never' maps to 'error'. */
  logLevel: DevServerLogLevel;
  /** 'text' (default), 'json' or 'pretty'. */
  logFormat: string;
  /** True when `--headless` was passed: no UI. The dev server never serves a UI either way. */
  headless: boolean;
  /** `--ui-port`, accepted for compatibility (no UI is served). */
  uiPort?: number;
  /** `--ui-ip`, accepted for compatibility (no UI is served). */
  uiIp?: string;
  /** `--db-filename`, accepted for compatibility: the server is in-memory only. */
  dbFilename?: string;
}

/** Result of {@link parseDevServerArgs}. */
export interface ParsedDevServerArgs {
  options: DevServerCliOptions;
  /** Operator-readable notes about ignored flags or arguments; print them to stderr. */
  warnings: string[];
  /** True when `--help`/`-h` was given: print {@link DEV_SERVER_USAGE} and exit 0. */
  help: boolean;
}

/** Help text for `--help`. */
export const DEV_SERVER_USAGE = `Usage: plinth-devserver [server start-dev] [flags]

In-memory Temporal dev server (a subset of Temporal's WorkflowService). Accepts the flags of
\`temporal server start-dev\`, so TestWorkflowEnvironment.createLocal can spawn it as an existing-path executable.

Flags:
  -p, --port <port>                   gRPC port (default 7233)
      --ip <address>                  interface to bind (default 127.0.0.1)
  -n, --namespace <name>              namespace to create; repeatable ('default' always exists)
      --search-attribute <name=Type>  register a custom search attribute; repeatable.
                                      Type: ${SEARCH_ATTRIBUTE_TYPES.join(', ')}
      --log-level <level>             debug, info, warn or error (default warn)
      --log-format <format>           text, json or pretty (default text)
      --headless                      do not start the UI (the dev server has none; accepted for compatibility)
      --ui-port <port>, --ui-ip <ip>  accepted for compatibility; no UI is served
  -f, --db-filename <file>            accepted for compatibility; state is kept in memory only
      --dynamic-config-value <K=V>    accepted and ignored; repeatable
  -h, --help                          show this help
`;

const LOG_LEVELS: readonly DevServerLogLevel[] = ['debug', 'info', 'warn', 'error'];
const LOG_FORMATS = ['text', 'json', 'pretty'];

/**
 * Flags of the real `temporal server start-dev` (and its global flags) that this server ignores. Knowing
 * whether each takes a value lets us skip that value even when it looks like a flag (e.g. `--log-config`
 * is boolean, `--http-port` is not).
 */
const IGNORED_FLAGS: Readonly<Record<string, 'value' | 'boolean'>> = {
  'http-port': 'value',
  'metrics-port': 'value',
  'ui-asset-path': 'value',
  'ui-codec-endpoint': 'value',
  'ui-public-path': 'value',
  'sqlite-pragma': 'value',
  'log-config': 'boolean',
  'time-format': 'value',
  color: 'value',
  env: 'value',
  'env-file': 'value',
  'config-file': 'value',
  profile: 'value',
  'disable-config-file': 'boolean',
  'disable-config-env': 'boolean',
  'no-json-shorthand-payloads': 'boolean',
  output: 'value',
  'command-timeout': 'value',
  'grpc-meta': 'value',
};

/** Short flags and the long flags they stand for. */
const SHORT_FLAGS: Readonly<Record<string, string>> = {
  p: 'port',
  n: 'namespace',
  f: 'db-filename',
  h: 'help',
  o: 'output',
};

const BOOLEAN_FLAGS = new Set(['headless', 'help']);

function parsePort(flag: string, raw: string): number {
  const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`--${flag}: expected a port number between 1 and 65535, got '${raw}'`);
  }
  return port;
}

function parseBoolean(flag: string, raw: string): boolean {
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new Error(`--${flag}: expected true or false, got '${raw}'`);
}

/**
 * Parses the dev server's argv (without the node and script paths: pass `process.argv.slice(2)`).
 * The leading `server start-dev` words are optional. Both `--flag value` and `--flag=value` are accepted, as are
 * `-p 7233`, `-p7233` and `-p=7233`.
 *
 * @throws Error naming the flag and what it expects, for a missing or invalid value (bad port, unknown log
 *   level, malformed `--search-attribute`). Unknown flags and stray arguments only produce warnings.
 */
export function parseDevServerArgs(argv: readonly string[]): ParsedDevServerArgs {
  const options: DevServerCliOptions = {
    port: 7233,
    ip: '127.0.0.1',
    namespaces: ['default'],
    searchAttributes: {},
    logLevel: 'warn',
    logFormat: 'text',
    headless: false,
  };
  const warnings: string[] = [];
  let help = false;

  let i = 0;
  if (argv[0] === 'server' && argv[1] === 'start-dev') i = 2;
  else if (argv[0] === 'start-dev') i = 1;

  const looksLikeFlag = (token: string | undefined): boolean =>
    token !== undefined && /^-[A-Za-z-]/.test(token);

  for (; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === '--') {
      const rest = argv.slice(i + 1);
      if (rest.length > 0) warnings.push(`ignoring arguments after '--': ${rest.join(' ')}`);
      break;
    }
    let name: string;
    let inlineValue: string | undefined;
    if (token.startsWith('--') && token.length > 2) {
      const eq = token.indexOf('=');
      name = eq === -1 ? token.slice(2) : token.slice(2, eq);
      inlineValue = eq === -1 ? undefined : token.slice(eq + 1);
    } else if (/^-[A-Za-z]/.test(token)) {
      const short = token[1] as string;
      const long = SHORT_FLAGS[short];
      if (long === undefined) {
        warnings.push(`ignoring unknown flag ${token}`);
        if (token.length === 2 && i + 1 < argv.length && !looksLikeFlag(argv[i + 1])) i++;
        continue;
      }
      name = long;
      const rest = token.slice(2);
      inlineValue = rest === '' ? undefined : rest.startsWith('=') ? rest.slice(1) : rest;
    } else {
      warnings.push(`ignoring unexpected argument '${token}'`);
      continue;
    }

    if (BOOLEAN_FLAGS.has(name)) {
      const value = inlineValue === undefined ? true : parseBoolean(name, inlineValue);
      if (name === 'help') help = value;
      else options.headless = value;
      continue;
    }

    const ignored = IGNORED_FLAGS[name];
    const known = ignored === undefined && isValueFlag(name);
    if (!known) {
      const verdict = ignored === undefined ? 'unknown flag' : 'flag not supported by the Plinth dev server';
      warnings.push(`ignoring ${verdict} --${name}`);
      // Skip the flag's value: known ones by their arity, unknown ones when the next token is not a flag.
      if (
        inlineValue === undefined &&
        ignored !== 'boolean' &&
        i + 1 < argv.length &&
        !looksLikeFlag(argv[i + 1])
      ) {
        i++;
      }
      continue;
    }

    let value = inlineValue;
    if (value === undefined) {
      const next = argv[i + 1];
      // A value may legitimately start with '-' only for --dynamic-config-value; everywhere else a following
      // flag means the value was forgotten, and swallowing it would hide the mistake.
      if (next === undefined || (looksLikeFlag(next) && name !== 'dynamic-config-value')) {
        throw new Error(`--${name}: missing value; expected ${VALUE_FLAGS[name]}`);
      }
      value = next;
      i++;
    }
    applyValueFlag(options, name, value);
  }

  return { options, warnings, help };
}

/** Flags that take a value, with what they expect (used in error messages). */
const VALUE_FLAGS: Readonly<Record<string, string>> = {
  port: 'a port number between 1 and 65535',
  ip: 'an IP address to bind, e.g. 127.0.0.1',
  namespace: 'a namespace name',
  'search-attribute': `name=Type with Type one of ${SEARCH_ATTRIBUTE_TYPES.join(', ')}`,
  'log-level': 'one of debug, info, warn, error',
  'log-format': `one of ${LOG_FORMATS.join(', ')}`,
  'db-filename': 'a file name',
  'ui-port': 'a port number between 1 and 65535',
  'ui-ip': 'an IP address',
  'dynamic-config-value': 'KEY=VALUE',
};

function isValueFlag(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(VALUE_FLAGS, name);
}

function applyValueFlag(options: DevServerCliOptions, name: string, value: string): void {
  const requireNonEmpty = (): string => {
    if (value.trim() === '') throw new Error(`--${name}: expected ${VALUE_FLAGS[name]}, got an empty value`);
    return value.trim();
  };
  switch (name) {
    case 'port':
      options.port = parsePort(name, value);
      return;
    case 'ui-port':
      options.uiPort = parsePort(name, value);
      return;
    case 'ip':
      options.ip = requireNonEmpty();
      return;
    case 'ui-ip':
      options.uiIp = requireNonEmpty();
      return;
    case 'db-filename':
      options.dbFilename = requireNonEmpty();
      return;
    case 'namespace': {
      const namespace = requireNonEmpty();
      if (!options.namespaces.includes(namespace)) options.namespaces.push(namespace);
      return;
    }
    case 'log-level': {
      const level = value.trim().toLowerCase();
      if ((LOG_LEVELS as readonly string[]).includes(level)) options.logLevel = level as DevServerLogLevel;
      // The real CLI's 'never' silences logs; the closest level we have is 'error'.
      else if (level === 'never') options.logLevel = 'error';
      else throw new Error(`--log-level: expected ${VALUE_FLAGS[name]}, got '${value}'`);
      return;
    }
    case 'log-format': {
      const format = value.trim().toLowerCase();
      if (!LOG_FORMATS.includes(format))
        throw new Error(`--log-format: expected ${VALUE_FLAGS[name]}, got '${value}'`);
      options.logFormat = format;
      return;
    }
    case 'search-attribute': {
      const eq = value.indexOf('=');
      const attrName = eq === -1 ? '' : value.slice(0, eq).trim();
      if (eq === -1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(attrName)) {
        throw new Error(`--search-attribute: expected ${VALUE_FLAGS[name]}, got '${value}'`);
      }
      const typeName = value.slice(eq + 1);
      const type = parseSearchAttributeType(typeName);
      if (type === undefined) {
        throw new Error(
          `--search-attribute ${attrName}: unknown type '${typeName}'; expected one of ${SEARCH_ATTRIBUTE_TYPES.join(', ')}`,
        );
      }
      options.searchAttributes[attrName] = type;
      return;
    }
    case 'dynamic-config-value':
      // Accepted for compatibility with createLocal; this server has no dynamic config. Still insist on the
      // K=V shape so a typo that swallowed another argument is not silently ignored.
      if (!value.includes('='))
        throw new Error(`--dynamic-config-value: expected ${VALUE_FLAGS[name]}, got '${value}'`);
      return;
  }
}
