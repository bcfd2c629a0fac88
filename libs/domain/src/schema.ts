/**
 * A small field-table language describing the spec files. One table drives both the validator
 * (every problem at once, with paths; defaults applied) and the JSON Schema published for editor
 * completion, so the two cannot drift apart. Pure: no decorators, no Node built-ins.
 */
import { isMac, normalizeMac, parseCidr, parseIpv4, parseIpv4Range } from './net';
import { parseBmcAddress } from './machine';

/** One validation problem. `path` is relative to the validated document (`network.vlans[1].id`). */
export interface Problem {
  /** Where: `machines[0].bmc.address`; empty for the document itself. Callers may prefix it. */
  path: string;
  /** What is wrong, in operator words: `must be between 1 and 4094`. */
  message: string;
  /** 1-based line, for parse errors. */
  line?: number;
  /** 1-based column, for parse errors. */
  column?: number;
}

/** Result of validating or parsing: the typed value, or every problem found. */
export type Validation<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Renders a problem as `prefix.path: message` (`spec.network.vlans[1].id: must be between 1 and 4094`). */
export function formatProblem(problem: Problem, prefix = ''): string {
  const path = joinPath(prefix, problem.path);
  return path === '' ? problem.message : `${path}: ${problem.message}`;
}

/** Joins two path fragments: `joinPath('spec', 'network.dns[0]')` → `spec.network.dns[0]`. */
export function joinPath(prefix: string, path: string): string {
  if (prefix === '') return path;
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** Appends an object key to a path, bracket-quoting keys that are not plain words. */
export function keyPath(path: string, key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? joinPath(path, key) : `${path}[${JSON.stringify(key)}]`;
}

/** Appends an array index to a path. */
export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** String formats with both a check and a JSON Schema rendering. */
export type StringFormat =
  | 'ipv4'
  | 'cidr'
  | 'ipv4-range'
  | 'mac'
  | 'bmc-url'
  | 'secret-ref'
  | 'dns-label'
  | 'host'
  | 'host-port'
  | 'address-source'
  | 'drive-selector'
  | 'kubernetes-version';

const hostnamePattern =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const isHost = (text: string): boolean =>
  parseIpv4(text) !== undefined || (hostnamePattern.test(text) && !/^[\d.]+$/.test(text));

interface FormatRule {
  /** Returns why the text is invalid, or `undefined`. */
  check(text: string): string | undefined;
  /** Rewrites valid text into its one stored spelling. */
  normalize?(text: string): string;
  /** JSON Schema keywords for editors (approximate where JSON Schema cannot say it). */
  jsonSchema: Record<string, unknown>;
}

const formats: Record<StringFormat, FormatRule> = {
  ipv4: {
    check: (t) => (parseIpv4(t) === undefined ? 'must be an IPv4 address like 10.20.0.1' : undefined),
    jsonSchema: { format: 'ipv4' },
  },
  cidr: {
    check: (t) => {
      if (parseCidr(t) !== undefined) return undefined;
      const [address, prefix] = t.split('/');
      if (
        address !== undefined &&
        prefix !== undefined &&
        parseIpv4(address) !== undefined &&
        /^\d{1,2}$/.test(prefix) &&
        Number(prefix) <= 32
      ) {
        return 'must be a network address: host bits are set';
      }
      return 'must be an IPv4 CIDR like 10.20.0.0/24';
    },
    jsonSchema: { pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$' },
  },
  'ipv4-range': {
    check: (t) =>
      parseIpv4Range(t) === undefined
        ? 'must be an IPv4 range like 10.20.0.50-10.20.0.200 (first ≤ last)'
        : undefined,
    jsonSchema: { pattern: '^\\d{1,3}(\\.\\d{1,3}){3}-\\d{1,3}(\\.\\d{1,3}){3}$' },
  },
  mac: {
    check: (t) => (isMac(t) ? undefined : 'must be a MAC address like 52:54:00:00:01:01'),
    normalize: normalizeMac,
    jsonSchema: { pattern: '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$' },
  },
  'bmc-url': {
    check: (t) => {
      const parsed = parseBmcAddress(t);
      return typeof parsed === 'string' ? parsed : undefined;
    },
    jsonSchema: { pattern: '^(redfish|redfish\\+https|redfish\\+http|ipmi)://' },
  },
  'secret-ref': {
    check: (t) =>
      /^secret\/[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/.test(t)
        ? undefined
        : 'must be a secret reference like secret/bmc-rack1 (never the secret itself)',
    jsonSchema: { pattern: '^secret/[a-z0-9]([a-z0-9._-]*[a-z0-9])?$' },
  },
  'dns-label': {
    check: (t) =>
      /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(t)
        ? undefined
        : 'must be lowercase letters, digits and hyphens (at most 63), starting and ending with a letter or digit',
    jsonSchema: { pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$' },
  },
  host: {
    check: (t) => (isHost(t) ? undefined : 'must be an IPv4 address or a host name'),
    jsonSchema: {},
  },
  'host-port': {
    check: (t) => {
      const match = /^(.*?)(?::(\d{1,5}))?$/.exec(t);
      const host = match?.[1] ?? '';
      const port = match?.[2] === undefined ? undefined : Number(match[2]);
      if (!isHost(host)) return 'must be an IPv4 address or host name, with an optional :port';
      if (port !== undefined && (port < 1 || port > 65535)) return 'port must be between 1 and 65535';
      return undefined;
    },
    jsonSchema: {},
  },
  'address-source': {
    check: (t) =>
      t === 'dhcp' || /^pool\/[A-Za-z0-9_-]+$/.test(t) ? undefined : 'must be "dhcp" or "pool/<name>"',
    jsonSchema: { pattern: '^(dhcp|pool/[A-Za-z0-9_-]+)$' },
  },
  'drive-selector': {
    check: (t) =>
      /^(all|rest|(smallest|largest)-[1-9]\d{0,2})$/.test(t)
        ? undefined
        : 'must be smallest-N, largest-N, all, rest, or a number of drives',
    jsonSchema: { pattern: '^(all|rest|(smallest|largest)-[1-9][0-9]{0,2})$' },
  },
  'kubernetes-version': {
    check: (t) =>
      /^1\.\d{1,3}(\.\d{1,3})?$/.test(t)
        ? undefined
        : 'must be a Kubernetes version like "1.33" or "1.33.2" (quote it in YAML)',
    jsonSchema: { pattern: '^1\\.[0-9]{1,3}(\\.[0-9]{1,3})?$' },
  },
};

interface SchemaBase {
  /** Shown in editors and in the JSON Schema. */
  description?: string;
}

/** A string, optionally constrained. */
export interface StringSchema extends SchemaBase {
  type: 'string';
  enum?: readonly string[];
  format?: StringFormat;
  minLength?: number;
  maxLength?: number;
}
/** A safe integer with optional bounds. */
export interface IntegerSchema extends SchemaBase {
  type: 'integer';
  minimum?: number;
  maximum?: number;
}
/** `true` or `false`. */
export interface BooleanSchema extends SchemaBase {
  type: 'boolean';
}
/** A list. `uniqueItems` reports later duplicates of scalar items. */
export interface ArraySchema extends SchemaBase {
  type: 'array';
  items: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
}
/** An object with known fields; any other key is an `unknown field` problem. */
export interface ObjectSchema extends SchemaBase {
  type: 'object';
  properties: Record<string, Field>;
}
/** A map with free keys (optionally constrained) and uniform values. */
export interface RecordSchema extends SchemaBase {
  type: 'record';
  values: Schema;
  keys?: { enum?: readonly string[]; format?: StringFormat; maxLength?: number };
}
/** Any JSON value (free-form params and Helm values), nested at most `maxDepth` levels (default 32). */
export interface AnySchema extends SchemaBase {
  type: 'any';
  maxDepth?: number;
}
/** One of several schemas, chosen by the value's JSON type. */
export interface UnionSchema extends SchemaBase {
  type: 'union';
  variants: Schema[];
  /** The problem when the value's type matches no variant. */
  message: string;
}

/** A node of the field table. */
export type Schema =
  | StringSchema
  | IntegerSchema
  | BooleanSchema
  | ArraySchema
  | ObjectSchema
  | RecordSchema
  | AnySchema
  | UnionSchema;

/** An object field: a schema plus whether it is required and its default. */
export type Field = Schema & { required?: boolean; default?: unknown };

/** True when objects/arrays nest deeper than `limit`; iterative, so hostile input cannot overflow the stack. */
function depthExceeds(value: unknown, limit: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (typeof node !== 'object' || node === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}

const jsonType = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'array'
      : typeof value === 'object'
        ? 'object'
        : typeof value;

const variantMatches = (schema: Schema, value: unknown): boolean => {
  const type = jsonType(value);
  switch (schema.type) {
    case 'string':
      return type === 'string';
    case 'integer':
      return type === 'number';
    case 'boolean':
      return type === 'boolean';
    case 'array':
      return type === 'array';
    case 'object':
    case 'record':
      return type === 'object';
    case 'any':
      return true;
    case 'union':
      return schema.variants.some((v) => variantMatches(v, value));
  }
};

/** Sets an own property even for keys like `__proto__` (no prototype pollution from input). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const cloneJson = (value: unknown): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value));

const describeType = (schema: Schema): string => {
  switch (schema.type) {
    case 'string':
      return 'must be a string';
    case 'integer':
      return 'must be an integer';
    case 'boolean':
      return 'must be true or false';
    case 'array':
      return 'must be a list';
    case 'object':
    case 'record':
      return 'must be an object';
    case 'any':
      return 'must be a value';
    case 'union':
      return schema.message;
  }
};

const rangeMessage = (min: number | undefined, max: number | undefined): string =>
  min !== undefined && max !== undefined
    ? `must be between ${min} and ${max}`
    : min !== undefined
      ? `must be at least ${min}`
      : `must be at most ${String(max)}`;

const checkString = (
  schema: { enum?: readonly string[]; format?: StringFormat; minLength?: number; maxLength?: number },
  value: string,
): string | undefined => {
  if (schema.enum && !schema.enum.includes(value)) return `must be one of: ${schema.enum.join(', ')}`;
  if (schema.minLength !== undefined && value.length < schema.minLength) {
    return schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`;
  }
  if (schema.maxLength !== undefined && value.length > schema.maxLength)
    return `must be at most ${schema.maxLength} characters`;
  if (schema.format) return formats[schema.format].check(value);
  return undefined;
};

/**
 * Validates `value` against `schema`, pushing every problem into `problems`. Returns the value
 * rebuilt with defaults applied and formats normalized; fields that failed are left out (array
 * items become `undefined` so indices keep their meaning), so cross-field rules can still run on
 * what was valid.
 */
export function checkValue(schema: Schema, value: unknown, path: string, problems: Problem[]): unknown {
  if (schema.type !== 'any' && !variantMatches(schema, value)) {
    problems.push({
      path,
      message: value === null ? `must not be null; ${describeType(schema)}` : describeType(schema),
    });
    return undefined;
  }
  switch (schema.type) {
    case 'any': {
      const limit = schema.maxDepth ?? 32;
      if (depthExceeds(value, limit)) {
        problems.push({ path, message: `is nested too deeply (more than ${limit} levels)` });
        return undefined;
      }
      return value;
    }
    case 'union': {
      const variant = schema.variants.find((v) => variantMatches(v, value));
      return variant ? checkValue(variant, value, path, problems) : undefined;
    }
    case 'string': {
      const text = value as string;
      const message = checkString(schema, text);
      if (message) {
        problems.push({ path, message });
        return undefined;
      }
      const normalize = schema.format ? formats[schema.format].normalize : undefined;
      return normalize ? normalize(text) : text;
    }
    case 'integer': {
      const number = value as number;
      if (!Number.isSafeInteger(number)) {
        problems.push({ path, message: 'must be an integer' });
        return undefined;
      }
      if (
        (schema.minimum !== undefined && number < schema.minimum) ||
        (schema.maximum !== undefined && number > schema.maximum)
      ) {
        problems.push({ path, message: rangeMessage(schema.minimum, schema.maximum) });
        return undefined;
      }
      return number;
    }
    case 'boolean':
      return value;
    case 'array': {
      const items = value as unknown[];
      if (schema.minItems !== undefined && items.length < schema.minItems) {
        problems.push({
          path,
          message:
            schema.minItems === 1 ? 'must not be empty' : `must have at least ${schema.minItems} entries`,
        });
      }
      if (schema.maxItems !== undefined && items.length > schema.maxItems) {
        problems.push({ path, message: `must have at most ${schema.maxItems} entries` });
        return undefined;
      }
      // Array.from visits holes of sparse arrays (JS callers), which map would skip.
      const out = Array.from(items, (item, index) =>
        checkValue(schema.items, item, indexPath(path, index), problems),
      );
      if (schema.uniqueItems) {
        const seen = new Map<string, number>();
        out.forEach((item, index) => {
          if (item === undefined || typeof item === 'object') return;
          const key = JSON.stringify(item);
          const first = seen.get(key);
          if (first === undefined) seen.set(key, index);
          else
            problems.push({
              path: indexPath(path, index),
              message: `duplicate of ${indexPath(path, first)}`,
            });
        });
      }
      return out;
    }
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        const itemPath = keyPath(path, key);
        const keyProblem = schema.keys ? checkString(schema.keys, key) : undefined;
        if (keyProblem) {
          problems.push({ path: itemPath, message: `key ${keyProblem}` });
          continue;
        }
        const checked = checkValue(schema.values, item, itemPath, problems);
        if (checked !== undefined) setOwn(out, key, checked);
      }
      return out;
    }
    case 'object': {
      const input = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(input)) {
        if (!Object.prototype.hasOwnProperty.call(schema.properties, key)) {
          problems.push({ path: keyPath(path, key), message: 'unknown field' });
        }
      }
      for (const [key, field] of Object.entries(schema.properties)) {
        const fieldPath = keyPath(path, key);
        const present = Object.prototype.hasOwnProperty.call(input, key) && input[key] !== undefined;
        if (!present) {
          if (field.required) problems.push({ path: fieldPath, message: 'is required' });
          else if (field.default !== undefined) {
            setOwn(out, key, checkValue(field, cloneJson(field.default), fieldPath, problems));
          }
          continue;
        }
        const checked = checkValue(field, input[key], fieldPath, problems);
        if (checked !== undefined) setOwn(out, key, checked);
      }
      return out;
    }
  }
}

/** Renders a field-table node as a JSON Schema (draft 2020-12) fragment. */
export function toJsonSchema(schema: Schema | Field): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (schema.description) out['description'] = schema.description;
  if ('default' in schema && schema.default !== undefined) out['default'] = schema.default;
  switch (schema.type) {
    case 'any':
      break;
    case 'union':
      out['anyOf'] = schema.variants.map(toJsonSchema);
      break;
    case 'string':
      out['type'] = 'string';
      if (schema.enum) out['enum'] = [...schema.enum];
      if (schema.minLength !== undefined) out['minLength'] = schema.minLength;
      if (schema.maxLength !== undefined) out['maxLength'] = schema.maxLength;
      if (schema.format) Object.assign(out, formats[schema.format].jsonSchema);
      break;
    case 'integer':
      out['type'] = 'integer';
      if (schema.minimum !== undefined) out['minimum'] = schema.minimum;
      if (schema.maximum !== undefined) out['maximum'] = schema.maximum;
      break;
    case 'boolean':
      out['type'] = 'boolean';
      break;
    case 'array':
      out['type'] = 'array';
      out['items'] = toJsonSchema(schema.items);
      if (schema.minItems !== undefined) out['minItems'] = schema.minItems;
      if (schema.maxItems !== undefined) out['maxItems'] = schema.maxItems;
      if (schema.uniqueItems) out['uniqueItems'] = true;
      break;
    case 'record': {
      out['type'] = 'object';
      out['additionalProperties'] = toJsonSchema(schema.values);
      if (schema.keys) {
        const names: Record<string, unknown> = { type: 'string' };
        if (schema.keys.enum) names['enum'] = [...schema.keys.enum];
        if (schema.keys.format) Object.assign(names, formats[schema.keys.format].jsonSchema);
        if (schema.keys.maxLength !== undefined) names['maxLength'] = schema.keys.maxLength;
        out['propertyNames'] = names;
      }
      break;
    }
    case 'object': {
      out['type'] = 'object';
      const properties: Record<string, unknown> = {};
      const required: string[] = [];
      for (const [key, field] of Object.entries(schema.properties)) {
        properties[key] = toJsonSchema(field);
        if (field.required) required.push(key);
      }
      out['properties'] = properties;
      if (required.length > 0) out['required'] = required;
      out['additionalProperties'] = false;
      break;
    }
  }
  return out;
}
