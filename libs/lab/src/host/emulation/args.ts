/**
 * Flag parsing for the emulated tools, in the Go/cobra style kubectl, kubeadm and helm share:
 * `--name=value`, `--name value`, `-n value`, `-nvalue`, bundled short booleans (`-fy`), and `--`
 * ending the flags. Unknown flags are an error, as in the real tools.
 */
export interface FlagSpec {
  /** Flags that take a value (long names without dashes, or one-letter short names). */
  values?: string[];
  /** Flags that take none. */
  booleans?: string[];
  /** Short or alternative name → canonical name (`{ n: 'namespace' }`). */
  aliases?: Record<string, string>;
}

export interface ParsedArgs {
  /** Every value given for a value flag (repeatable flags like `--set`), or `'true'` for booleans. */
  flags: Map<string, string[]>;
  positionals: string[];
}

export type ParseResult = { ok: true; args: ParsedArgs } | { ok: false; error: string };

export function parseFlags(args: string[], spec: FlagSpec): ParseResult {
  const values = new Set(spec.values ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const canonical = (name: string): string => spec.aliases?.[name] ?? name;
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  const add = (name: string, value: string): void => {
    const list = flags.get(name) ?? [];
    list.push(value);
    flags.set(name, list);
  };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '--') {
      positionals.push(...args.slice(index + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const equals = arg.indexOf('=');
      const name = canonical(equals < 0 ? arg.slice(2) : arg.slice(2, equals));
      if (values.has(name)) {
        if (equals >= 0) add(name, arg.slice(equals + 1));
        else {
          const next = args[index + 1];
          if (next === undefined) return { ok: false, error: `flag needs an argument: --${name}` };
          add(name, next);
          index += 1;
        }
      } else if (booleans.has(name)) {
        add(name, equals < 0 ? 'true' : arg.slice(equals + 1));
      } else {
        return { ok: false, error: `unknown flag: --${equals < 0 ? arg.slice(2) : arg.slice(2, equals)}` };
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      const letters = arg.slice(1);
      for (let position = 0; position < letters.length; position++) {
        const letter = letters[position] ?? '';
        const name = canonical(letter);
        if (values.has(name)) {
          const inline = letters.slice(position + 1).replace(/^=/, '');
          if (inline) add(name, inline);
          else {
            const next = args[index + 1];
            if (next === undefined)
              return { ok: false, error: `flag needs an argument: '${letter}' in -${letter}` };
            add(name, next);
            index += 1;
          }
          break;
        }
        if (!booleans.has(name)) return { ok: false, error: `unknown shorthand flag: '${letter}' in ${arg}` };
        add(name, 'true');
      }
      continue;
    }
    positionals.push(arg);
  }
  return { ok: true, args: { flags, positionals } };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const list = args.flags.get(name);
  return list?.[list.length - 1];
}

export function hasFlag(args: ParsedArgs, name: string): boolean {
  const value = flag(args, name);
  return value !== undefined && value !== 'false';
}
