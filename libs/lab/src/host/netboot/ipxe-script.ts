import { posix } from 'node:path';
import { NetbootError } from './http-get';

/**
 * The part of iPXE's scripting language a provisioner's boot script uses: `set`, `chain`,
 * `kernel`/`imgselect`, `initrd`/`imgfetch`/`module`, `imgargs`, `boot`/`imgexec`, `exit`, and
 * `${var}` / `${var:type}` expansion with iPXE's built-in settings. Control flow (`goto`, `iseq`,
 * menus) and other commands are ignored; a `cmd || fallback` line runs `cmd`.
 */

/** What the script asked the firmware to boot. */
export interface BootSelection {
  kernelUrl: string;
  initrdUrls: string[];
  /** The kernel command line (everything after the kernel URL, or `imgargs`). */
  kernelArgs: string;
}

export type ScriptOutcome =
  { kind: 'chain'; url: string; args: string } | { kind: 'boot'; selection: BootSelection };

/** Values of iPXE's built-in settings for this machine (`mac`, `ip`, `uuid`, …). */
export interface IpxeEnvironment {
  mac: string;
  ip: string;
  uuid: string;
  serial: string;
  manufacturer: string;
  product: string;
}

/**
 * Run one script. `baseUrl` is where it came from (relative URLs resolve against it); `vars`
 * carries `set` values across a `chain` to another script, as iPXE keeps them.
 */
export function runIpxeScript(
  script: string,
  baseUrl: string,
  environment: IpxeEnvironment,
  vars: Map<string, string>,
): ScriptOutcome {
  const lines = script.split(/\r?\n/);
  if ((lines[0] ?? '').trim() !== '#!ipxe')
    throw new NetbootError(`boot script ${baseUrl} is not an iPXE script (no "#!ipxe" first line)`);
  let kernel: { url: string; name: string; args: string } | undefined;
  const initrds: string[] = [];
  const execute = (statement: string): ScriptOutcome | undefined => {
    const expanded = expand(statement, environment, vars);
    const [command = '', ...words] = expanded.split(/\s+/);
    const { options, rest } = splitOptions(words);
    switch (command) {
      case 'set': {
        const [name, ...value] = rest;
        if (name) vars.set(name, value.join(' '));
        break;
      }
      case 'clear':
        if (rest[0]) vars.delete(rest[0]);
        break;
      case 'chain':
      case 'chainload': {
        const [url, ...args] = rest;
        if (!url) throw new NetbootError(`boot script ${baseUrl}: "chain" without a URL`);
        return { kind: 'chain', url: resolveUrl(url, baseUrl), args: args.join(' ') };
      }
      case 'kernel':
      case 'imgselect':
      case 'imgload':
      case 'load': {
        const [url, ...args] = rest;
        if (!url) throw new NetbootError(`boot script ${baseUrl}: "${command}" without a URL`);
        const resolved = resolveUrl(url, baseUrl);
        kernel = { url: resolved, name: options.get('name') ?? imageName(resolved), args: args.join(' ') };
        break;
      }
      case 'initrd':
      case 'imgfetch':
      case 'module':
      case 'fetch': {
        const [url] = rest;
        if (!url) throw new NetbootError(`boot script ${baseUrl}: "${command}" without a URL`);
        initrds.push(resolveUrl(url, baseUrl));
        break;
      }
      case 'imgargs': {
        const [name, ...args] = rest;
        if (!kernel || (name !== kernel.name && name !== imageName(kernel.url))) {
          throw new NetbootError(`boot script ${baseUrl}: "imgargs ${name ?? ''}" names no loaded kernel`);
        }
        kernel.args = args.join(' ');
        break;
      }
      case 'boot':
      case 'imgexec':
        if (!kernel) throw new NetbootError(`boot script ${baseUrl}: "boot" before any kernel was loaded`);
        return {
          kind: 'boot',
          selection: { kernelUrl: kernel.url, initrdUrls: initrds, kernelArgs: kernel.args },
        };
      case 'exit':
      case 'poweroff':
      case 'shell':
        throw new NetbootError(`boot script ${baseUrl} ran "${command}" instead of booting`);
      default:
        // dhcp, echo, sleep, goto, iseq, menu, …: nothing the lab's boot depends on.
        break;
    }
    return undefined;
  };
  for (const rawLine of lines.slice(1)) {
    for (const statement of statementsOf(rawLine)) {
      const outcome = execute(statement);
      if (outcome) return outcome;
    }
  }
  throw new NetbootError(`boot script ${baseUrl} ended without booting`);
}

/**
 * The commands a line runs: `a && b` runs both (the lab's commands succeed), `a || b` runs only
 * `a`. Comments and labels run nothing.
 */
function statementsOf(rawLine: string): string[] {
  const line = rawLine.trim();
  if (!line || line.startsWith('#') || line.startsWith(':')) return [];
  const parts = line.split(/\s+(\|\||&&)\s+/);
  const statements = [parts[0] ?? ''];
  for (let index = 1; index < parts.length; index += 2) {
    if (parts[index] === '||') break;
    statements.push(parts[index + 1] ?? '');
  }
  return statements.filter(Boolean);
}

/** iPXE options are `--name value`/`-n value` before the positional words. */
function splitOptions(words: string[]): { options: Map<string, string>; rest: string[] } {
  const options = new Map<string, string>();
  let index = 0;
  while (index < words.length && (words[index] ?? '').startsWith('-')) {
    const option = (words[index] ?? '').replace(/^-+/, '');
    if (option === 'name' || option === 'n' || option === 'timeout' || option === 't') {
      options.set(option === 'n' ? 'name' : option === 't' ? 'timeout' : option, words[index + 1] ?? '');
      index += 2;
    } else {
      index += 1;
    }
  }
  return { options, rest: words.slice(index) };
}

function imageName(url: string): string {
  return posix.basename(new URL(url).pathname);
}

function resolveUrl(url: string, baseUrl: string): string {
  try {
    return new URL(url, baseUrl).toString();
  } catch {
    throw new NetbootError(`boot script ${baseUrl}: "${url}" is not a URL`);
  }
}

function expand(line: string, environment: IpxeEnvironment, vars: Map<string, string>): string {
  return line.replace(/\$\{([^}:]+)(?::([a-z]+))?\}/g, (_, name: string, type: string | undefined) => {
    const setting = name.replace(/^net0\//, '').replace(/^netX\//, '');
    let value: string;
    if (vars.has(name)) value = vars.get(name) ?? '';
    else {
      const builtins: Record<string, string> = {
        mac: environment.mac,
        ip: environment.ip,
        uuid: environment.uuid,
        serial: environment.serial,
        manufacturer: environment.manufacturer,
        product: environment.product,
        buildarch: 'x86_64',
        platform: 'efi',
        asset: '',
      };
      value = builtins[setting] ?? '';
    }
    const isMac = setting === 'mac' && !vars.has(name);
    switch (type) {
      case 'hexhyp':
        return isMac ? value.replace(/:/g, '-') : value;
      case 'hexraw':
        return isMac ? value.replace(/:/g, '') : value;
      case 'uristring':
        return encodeURIComponent(value);
      default:
        return value;
    }
  });
}
