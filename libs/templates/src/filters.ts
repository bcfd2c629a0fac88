/**
 * Quoting filters for the install formats. The environment has autoescape off (none of these
 * formats is HTML), so every value a template writes from params or the inventory goes through the
 * filter of its format, which either quotes it safely or refuses it. A refused value is an error
 * naming the value's problem, never a silently broken config.
 */

/** A value a filter cannot write safely; the renderer turns it into a `TemplateError`. */
export class TemplateValueError extends Error {
  override readonly name = 'TemplateValueError';
}

/** True when the text holds a control character (newline, tab, NUL, DEL…). */
function hasControl(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined (a missing variable)';
  if (value === null) return 'null';
  return typeof value;
}

function scalarText(value: unknown, filter: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  throw new TemplateValueError(
    `filter "${filter}" needs a string, number or boolean, got ${describe(value)}`,
  );
}

function singleLine(text: string, filter: string): string {
  if (hasControl(text)) {
    throw new TemplateValueError(
      `filter "${filter}": the value ${JSON.stringify(text.slice(0, 40))} contains a newline or control character`,
    );
  }
  return text;
}

/**
 * A YAML scalar (or a flow sequence of scalars): strings become double-quoted JSON strings, which
 * YAML reads back exactly (no `yes`/`no`, `0x…`, `:`/`#` surprises, no injection of keys).
 */
export function yamlFilter(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => yamlFilter(item)).join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  return scalarText(value, 'yaml');
}

/** A POSIX shell word: single-quoted, with embedded single quotes as `'\''`. One line only. */
export function shellQuoteFilter(value: unknown): string {
  const text = singleLine(scalarText(value, 'shq'), 'shq');
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A debconf value (the rest of a preseed line): one line, written as is. */
export function debconfFilter(value: unknown): string {
  return singleLine(scalarText(value, 'debconf'), 'debconf');
}

const KICKSTART_BARE = /^[A-Za-z0-9_./:@,=+%$-]+$/;

/** A kickstart argument: bare when it is one safe word, else double-quoted (no `"`, `\` or newlines). */
export function kickstartFilter(value: unknown): string {
  const text = singleLine(scalarText(value, 'ks'), 'ks');
  if (KICKSTART_BARE.test(text)) return text;
  if (/["\\]/.test(text)) {
    throw new TemplateValueError(`filter "ks": ${JSON.stringify(text.slice(0, 40))} contains " or \\`);
  }
  return `"${text}"`;
}

/**
 * One word of an iPXE script or kernel command line: no whitespace, no quotes, and no `${`
 * (iPXE would expand it as a setting).
 */
export function ipxeFilter(value: unknown): string {
  const text = singleLine(scalarText(value, 'ipxe'), 'ipxe');
  if (/\s|["'`\\]|\$\{/.test(text) || text === '') {
    throw new TemplateValueError(
      `filter "ipxe": ${JSON.stringify(text.slice(0, 60))} is not a single iPXE word (whitespace, quotes or \${ are not allowed)`,
    );
  }
  return text;
}

/** Dotted netmask of a prefix length: 24 → 255.255.255.0. */
export function netmaskFilter(value: unknown): string {
  const prefix = typeof value === 'string' ? Number(value) : value;
  if (typeof prefix !== 'number' || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new TemplateValueError(`filter "netmask" needs a prefix length 0-32, got ${JSON.stringify(value)}`);
  }
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((shift) => (mask >>> shift) & 0xff).join('.');
}

/** The filters every template may use, by name. */
export const TEMPLATE_FILTERS: Record<string, (value: unknown) => string> = {
  yaml: yamlFilter,
  shq: shellQuoteFilter,
  debconf: debconfFilter,
  ks: kickstartFilter,
  ipxe: ipxeFilter,
  netmask: netmaskFilter,
};
