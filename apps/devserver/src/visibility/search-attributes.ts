import type { temporal } from '@temporalio/proto';
import type { SearchAttributeRegistry, SearchAttributeType, SearchAttributeValue } from './ports';

/**
 * Search attribute catalogue and payload codec for the dev server.
 *
 * Search attribute payloads are plain JSON (`metadata.encoding = 'json/plain'`) whatever data converter
 * the application uses, because the server must index them. The TS SDK writes them two ways
 * (`@temporalio/common/lib/converter/payload-search-attributes`):
 *  - typed (`typedSearchAttributes`, `upsertSearchAttributes([pair])`): the bare JSON value with
 *    `metadata.type` = 'Keyword' | 'KeywordList' | 'Datetime' …; removal is the JSON `null` *without* a type;
 *  - legacy (`searchAttributes: { K: [v] }`): always a JSON array, no `metadata.type`; removal is `[]`.
 * Like the real server we therefore trust the *registered* type and use `metadata.type` only as a fallback.
 */

/** Every type name, in IndexedValueType enum order (1-based). */
export const SEARCH_ATTRIBUTE_TYPES: readonly SearchAttributeType[] = [
  'Text',
  'Keyword',
  'Int',
  'Double',
  'Bool',
  'Datetime',
  'KeywordList',
];

/**
 * System search attributes (set by the server; queryable, not writable by clients), as the real server's
 * `searchattribute.system` map lists them. Returned as `systemAttributes` by OperatorService
 * ListSearchAttributes and in the `keys` of GetSearchAttributes.
 */
export const SYSTEM_SEARCH_ATTRIBUTES: ReadonlyMap<string, SearchAttributeType> = new Map<
  string,
  SearchAttributeType
>([
  ['WorkflowId', 'Keyword'],
  ['RunId', 'Keyword'],
  ['WorkflowType', 'Keyword'],
  ['StartTime', 'Datetime'],
  ['ExecutionTime', 'Datetime'],
  ['CloseTime', 'Datetime'],
  ['ExecutionStatus', 'Keyword'],
  ['TaskQueue', 'Keyword'],
  ['HistoryLength', 'Int'],
  // Nanoseconds between ExecutionTime and CloseTime; absent while the run is open.
  ['ExecutionDuration', 'Int'],
  ['StateTransitionCount', 'Int'],
  ['HistorySizeBytes', 'Int'],
  ['ParentWorkflowId', 'Keyword'],
  ['ParentRunId', 'Keyword'],
  ['RootWorkflowId', 'Keyword'],
  ['RootRunId', 'Keyword'],
]);

/**
 * Predefined search attributes: system-owned names that the server *and SDKs* write as ordinary search
 * attribute payloads (the scheduler sets TemporalScheduledById, Go/Java SDKs upsert TemporalChangeVersion).
 * They are listed with the system attributes but, unlike them, may arrive in `SearchAttributes` payloads.
 */
export const PREDEFINED_SEARCH_ATTRIBUTES: ReadonlyMap<string, SearchAttributeType> = new Map<
  string,
  SearchAttributeType
>([
  ['TemporalChangeVersion', 'KeywordList'],
  ['BinaryChecksums', 'KeywordList'],
  ['BuildIds', 'KeywordList'],
  ['BatcherNamespace', 'Keyword'],
  ['BatcherUser', 'Keyword'],
  ['TemporalScheduledStartTime', 'Datetime'],
  ['TemporalScheduledById', 'Keyword'],
  ['TemporalSchedulePaused', 'Bool'],
  ['TemporalNamespaceDivision', 'Keyword'],
  ['TemporalPauseInfo', 'KeywordList'],
  ['TemporalWorkerDeploymentVersion', 'Keyword'],
  ['TemporalWorkerDeployment', 'Keyword'],
  ['TemporalWorkflowVersioningBehavior', 'Keyword'],
]);

/**
 * Custom search attributes that `temporal server start-dev` registers in every namespace, so tests written
 * against the real dev server (which often use CustomKeywordField & co.) run unchanged.
 */
export const DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES: ReadonlyMap<string, SearchAttributeType> = new Map<
  string,
  SearchAttributeType
>([
  ['CustomKeywordField', 'Keyword'],
  ['CustomStringField', 'Text'],
  ['CustomTextField', 'Text'],
  ['CustomIntField', 'Int'],
  ['CustomDoubleField', 'Double'],
  ['CustomBoolField', 'Bool'],
  ['CustomDatetimeField', 'Datetime'],
]);

/**
 * The attribute catalogue a fresh dev server namespace starts with: `system` (system + predefined, what
 * ListSearchAttributes returns as `systemAttributes`) and `custom` (the dev server's predefined custom ones).
 */
export const DEFAULT_SEARCH_ATTRIBUTES: {
  readonly system: ReadonlyMap<string, SearchAttributeType>;
  readonly custom: ReadonlyMap<string, SearchAttributeType>;
} = {
  system: new Map([...SYSTEM_SEARCH_ATTRIBUTES, ...PREDEFINED_SEARCH_ATTRIBUTES]),
  custom: DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES,
};

/**
 * A new mutable registry of custom search attributes: the dev server's predefined custom ones plus `extra`
 * (e.g. from `--search-attribute name=Type`), which win on a name clash.
 */
export function createSearchAttributeRegistry(
  extra: Readonly<Record<string, SearchAttributeType>> = {},
): Map<string, SearchAttributeType> {
  return new Map<string, SearchAttributeType>([
    ...DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES,
    ...Object.entries(extra),
  ]);
}

/** Thrown for a search attribute payload that names an unknown attribute or does not fit its type. */
export class InvalidSearchAttributeError extends Error {
  override readonly name = 'InvalidSearchAttributeError';
}

const INDEXED_VALUE_TYPE_PREFIX = 'INDEXED_VALUE_TYPE_';
const SCREAMING_NAMES: Readonly<Record<string, SearchAttributeType>> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
  KEYWORDLIST: 'KeywordList',
};

/**
 * Parses a type name as operators and SDKs write it: 'Keyword', 'keyword', 'KEYWORD_LIST',
 * 'INDEXED_VALUE_TYPE_KEYWORD_LIST' (the SDK accepts that form in payload metadata). Undefined if unknown.
 */
export function parseSearchAttributeType(name: string): SearchAttributeType | undefined {
  let upper = name.trim().toUpperCase();
  if (upper.startsWith(INDEXED_VALUE_TYPE_PREFIX)) upper = upper.slice(INDEXED_VALUE_TYPE_PREFIX.length);
  return SCREAMING_NAMES[upper];
}

/**
 * `temporal.api.enums.v1.IndexedValueType` value for a type name (any form `parseSearchAttributeType`
 * accepts); INDEXED_VALUE_TYPE_UNSPECIFIED (0) for an unknown name.
 */
export function indexedValueTypeFromName(name: string): temporal.api.enums.v1.IndexedValueType {
  const type = parseSearchAttributeType(name);
  // The enum is numbered in SEARCH_ATTRIBUTE_TYPES order starting at 1; only the type is imported, so no
  // runtime enum object is available here.
  return (
    type === undefined ? 0 : SEARCH_ATTRIBUTE_TYPES.indexOf(type) + 1
  ) as temporal.api.enums.v1.IndexedValueType;
}

/** Type name for an `IndexedValueType` enum value; undefined for UNSPECIFIED or an unknown number. */
export function nameFromIndexedValueType(
  value: temporal.api.enums.v1.IndexedValueType | number | null | undefined,
): SearchAttributeType | undefined {
  if (value === null || value === undefined || !Number.isInteger(value) || value < 1) return undefined;
  return SEARCH_ATTRIBUTE_TYPES[value - 1];
}

/** The `{ name: IndexedValueType }` map form used by GetSearchAttributes / ListSearchAttributes responses. */
export function toIndexedValueTypeMap(
  attributes: ReadonlyMap<string, SearchAttributeType>,
): Record<string, temporal.api.enums.v1.IndexedValueType> {
  const out: Record<string, temporal.api.enums.v1.IndexedValueType> = {};
  for (const [name, type] of attributes) out[name] = indexedValueTypeFromName(type);
  return out;
}

/** Options for {@link decodeSearchAttributes}. */
export interface DecodeSearchAttributesOptions {
  /**
   * Accept attributes that are neither registered nor predefined when the payload carries `metadata.type`
   * (the real server rejects them; a lenient dev server may prefer to accept typed ones). Default false.
   */
  allowUnregistered?: boolean;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });
const textEncoder = new TextEncoder();

function metadataString(
  payload: temporal.api.common.v1.Payload.$Properties,
  key: string,
): string | undefined {
  const raw = payload.metadata?.[key];
  return raw === undefined || raw === null ? undefined : textDecoder.decode(raw);
}

/**
 * Decodes search attributes as a client, worker or scheduler sends them (StartWorkflowExecution,
 * UpsertWorkflowSearchAttributes command, ContinueAsNew, schedules …).
 *
 * Values are normalised to the registered type: Keyword/Text → string, Int/Double → number, Bool → boolean,
 * Datetime → epoch milliseconds, KeywordList → string[] (a legacy single-element array is unwrapped for scalar
 * types). An entry whose value is `null` means "remove this attribute": the payload was absent, had no data,
 * or held JSON `null` / `[]` / `binary/null` — see {@link mergeSearchAttributes}.
 *
 * @throws InvalidSearchAttributeError naming the attribute when it is unknown or its value does not fit its
 *   type (the caller should answer INVALID_ARGUMENT).
 */
export function decodeSearchAttributes(
  sa: temporal.api.common.v1.SearchAttributes.$Properties | null | undefined,
  registry: SearchAttributeRegistry,
  options: DecodeSearchAttributesOptions = {},
): Record<string, SearchAttributeValue> {
  const out: Record<string, SearchAttributeValue> = {};
  const fields = sa?.indexedFields;
  if (!fields) return out;
  for (const [name, payload] of Object.entries(fields)) {
    out[name] = decodeSearchAttributePayload(name, payload, registry, options);
  }
  return out;
}

/** Decodes one search attribute payload; see {@link decodeSearchAttributes}. */
export function decodeSearchAttributePayload(
  name: string,
  payload: temporal.api.common.v1.Payload.$Properties | null | undefined,
  registry: SearchAttributeRegistry,
  options: DecodeSearchAttributesOptions = {},
): SearchAttributeValue {
  if (SYSTEM_SEARCH_ATTRIBUTES.has(name)) {
    throw new InvalidSearchAttributeError(
      `search attribute ${name} is a system attribute set by the server and cannot be written`,
    );
  }
  const data = payload?.data;
  if (!payload || !data || data.length === 0) return null;
  const encoding = metadataString(payload, 'encoding');
  if (encoding === 'binary/null') return null;
  if (encoding !== undefined && encoding !== 'json/plain') {
    throw new InvalidSearchAttributeError(
      `search attribute ${name} has payload encoding '${encoding}'; search attributes must be 'json/plain' ` +
        `(they are indexed by the server, so a payload codec or custom converter must not touch them)`,
    );
  }

  let json: unknown;
  try {
    json = JSON.parse(textDecoder.decode(data));
  } catch {
    throw new InvalidSearchAttributeError(`search attribute ${name} does not hold valid JSON`);
  }
  if (json === null || (Array.isArray(json) && json.length === 0)) return null;

  const metadataTypeName = metadataString(payload, 'type');
  const type =
    registry.get(name) ??
    PREDEFINED_SEARCH_ATTRIBUTES.get(name) ??
    (options.allowUnregistered && metadataTypeName !== undefined
      ? parseSearchAttributeType(metadataTypeName)
      : undefined);
  if (type === undefined) {
    throw new InvalidSearchAttributeError(
      `search attribute ${name} is not defined; register it first ` +
        `(e.g. start the dev server with --search-attribute ${name}=${metadataTypeName ?? 'Keyword'})`,
    );
  }
  return coerceToType(name, type, json);
}

function invalidValue(name: string, type: SearchAttributeType, json: unknown): InvalidSearchAttributeError {
  return new InvalidSearchAttributeError(
    `invalid value for search attribute ${name} of type ${type}: ${JSON.stringify(json)}`,
  );
}

function coerceToType(name: string, type: SearchAttributeType, json: unknown): SearchAttributeValue {
  if (type === 'KeywordList') {
    const list = Array.isArray(json) ? json : [json];
    if (!list.every((item): item is string => typeof item === 'string')) throw invalidValue(name, type, json);
    return [...list];
  }
  let scalar = json;
  if (Array.isArray(json)) {
    // Legacy untyped attributes are always arrays; real servers accept a list for Keyword (pre-KeywordList
    // "allow list" behaviour), so keep a multi-value Keyword as string[] and let queries match any element.
    if (json.length === 1) scalar = json[0];
    else if (type === 'Keyword' && json.every((item) => typeof item === 'string'))
      return [...(json as string[])];
    else throw invalidValue(name, type, json);
  }
  switch (type) {
    case 'Keyword':
    case 'Text':
      if (typeof scalar === 'string') return scalar;
      break;
    case 'Int':
      if (typeof scalar === 'number' && Number.isInteger(scalar)) return scalar;
      // Go SDKs may send int64 as a JSON string when it exceeds 2^53.
      if (typeof scalar === 'string' && /^-?\d+$/.test(scalar)) return Number(scalar);
      break;
    case 'Double':
      if (typeof scalar === 'number') return scalar;
      break;
    case 'Bool':
      if (typeof scalar === 'boolean') return scalar;
      break;
    case 'Datetime':
      if (typeof scalar === 'string') {
        const ms = Date.parse(scalar);
        if (!Number.isNaN(ms)) return ms;
      }
      break;
  }
  throw invalidValue(name, type, json);
}

/**
 * Applies an upsert to a run's decoded search attributes and returns the new map (inputs are not
 * mutated): `null` entries in `upsert` remove the attribute, others replace it.
 */
export function mergeSearchAttributes(
  existing: Readonly<Record<string, SearchAttributeValue>>,
  upsert: Readonly<Record<string, SearchAttributeValue>>,
): Record<string, SearchAttributeValue> {
  const out: Record<string, SearchAttributeValue> = {};
  for (const [name, value] of Object.entries(existing)) {
    if (value !== null) out[name] = Array.isArray(value) ? [...value] : value;
  }
  for (const [name, value] of Object.entries(upsert)) {
    if (value === null) delete out[name];
    else out[name] = Array.isArray(value) ? [...value] : value;
  }
  return out;
}

/**
 * Encodes decoded values back into payloads the way the SDK's typed converter writes them (bare JSON plus
 * `metadata.type`, Datetime as an ISO-8601 string), so `WorkflowExecutionInfo.searchAttributes` decodes into
 * both `handle.describe().searchAttributes` and `.typedSearchAttributes`. Attributes whose type is unknown
 * (not in `registry`, predefined or system) are skipped; `null` values are skipped.
 */
export function encodeSearchAttributes(
  values: Readonly<Record<string, SearchAttributeValue>>,
  registry: SearchAttributeRegistry,
): temporal.api.common.v1.SearchAttributes.$Properties {
  const indexedFields: Record<string, temporal.api.common.v1.Payload.$Properties> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === null) continue;
    const type =
      registry.get(name) ?? PREDEFINED_SEARCH_ATTRIBUTES.get(name) ?? SYSTEM_SEARCH_ATTRIBUTES.get(name);
    if (type === undefined) continue;
    const json = type === 'Datetime' && typeof value === 'number' ? new Date(value).toISOString() : value;
    indexedFields[name] = {
      metadata: { encoding: textEncoder.encode('json/plain'), type: textEncoder.encode(type) },
      data: textEncoder.encode(JSON.stringify(json)),
    };
  }
  return { indexedFields };
}
