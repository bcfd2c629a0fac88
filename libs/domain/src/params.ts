/**
 * Params and profiles: free-form key/values that templates read, layered from the most general to
 * the most specific.
 */
import { setOwn } from './schema';

/** The layers, lowest precedence first. */
export const PARAM_LAYERS = ['global', 'profile', 'cluster', 'machine'] as const;
/** One of {@link PARAM_LAYERS}. */
export type ParamLayer = (typeof PARAM_LAYERS)[number];

/** Free-form params: JSON-like values keyed by name. */
export type Params = Record<string, unknown>;

/** The inputs of {@link mergeParams}; any layer may be absent. */
export type ParamLayers = Partial<Record<ParamLayer, Params | undefined>>;

/** The merged params and, for previews, where each top-level key came from. */
export interface MergedParams {
  /** The merged params. */
  params: Params;
  /** For each top-level key: the highest-precedence layer that set it (the one an operator should edit). */
  sources: Record<string, ParamLayer>;
  /** For each top-level key: every layer that contributed to its final value, lowest first. */
  contributors: Record<string, ParamLayer[]>;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Deep copy of JSON-like data, dropping `null` entries of objects (a `null` means "delete"). */
function copyWithoutNulls(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map((item) => (isPlainObject(item) || Array.isArray(item) ? copyWithoutNulls(item) : item));
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && item !== undefined) setOwn(out, key, copyWithoutNulls(item));
  }
  return out;
}

/** Merges `over` onto `base` (both plain objects); returns a new object. */
function mergeObjects(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) setOwn(out, key, value);
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    if (value === null) {
      delete out[key];
      continue;
    }
    const current = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
    setOwn(
      out,
      key,
      isPlainObject(current) && isPlainObject(value) ? mergeObjects(current, value) : copyWithoutNulls(value),
    );
  }
  return out;
}

/**
 * Merges params with precedence **global < profile < cluster < machine** (a later layer wins).
 *
 * Rules, applied key by key at every depth:
 * - objects merge recursively: `{a: {x: 1}}` then `{a: {y: 2}}` gives `{a: {x: 1, y: 2}}`;
 * - arrays and scalars replace: `{ntp: [a, b]}` then `{ntp: [c]}` gives `{ntp: [c]}`; an object
 *   replaces a scalar and vice versa;
 * - `null` deletes the key inherited from lower layers (`{sshKeys: null}` removes them), and is
 *   never itself present in the result;
 * - `undefined` is ignored (as if the key were absent).
 *
 * Inputs are not modified; the result shares no objects with them. Keys such as `__proto__`
 * become plain own keys (no prototype pollution). Recursion follows the nesting of the inputs:
 * pass validated params (the validators cap free-form nesting at 32 levels).
 */
export function mergeParams(layers: ParamLayers): MergedParams {
  let params: Params = {};
  const contributors: Record<string, ParamLayer[]> = {};
  for (const layer of PARAM_LAYERS) {
    const values = layers[layer];
    if (values === undefined) continue;
    const before = params;
    params = mergeObjects(params, values);
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      if (value === null) {
        delete contributors[key];
        continue;
      }
      const previous = Object.prototype.hasOwnProperty.call(contributors, key)
        ? (contributors[key] ?? [])
        : [];
      // A scalar or array replaces what lower layers gave; only object-onto-object keeps them.
      const keeps = isPlainObject(value) && previous.length > 0 && isPlainObject(before[key]);
      setOwn(contributors, key, keeps ? [...previous, layer] : [layer]);
    }
  }
  const sources: Record<string, ParamLayer> = {};
  for (const [key, layersOfKey] of Object.entries(contributors)) {
    const last = layersOfKey[layersOfKey.length - 1];
    if (last !== undefined && Object.prototype.hasOwnProperty.call(params, key)) setOwn(sources, key, last);
  }
  return {
    params,
    sources,
    contributors: Object.fromEntries(Object.entries(contributors).filter(([key]) => key in sources)),
  };
}

/** A named params layer between global and cluster params (a cluster spec names it in `profile`). */
export interface ParamsProfile {
  /** Profile name, a DNS label. */
  name: string;
  /** What the profile is for. */
  description?: string;
  /** The params of this layer. Defaults to `{}`. */
  params: Params;
}
