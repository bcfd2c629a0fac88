import {
  defineSearchAttributeKey,
  SearchAttributeType as SdkType,
  TypedSearchAttributes,
} from '@temporalio/common';
import {
  decodeSearchAttributes as sdkDecodeLegacy,
  decodeTypedSearchAttributes as sdkDecodeTyped,
  encodeUnifiedSearchAttributes,
} from '@temporalio/common/lib/converter/payload-search-attributes';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import type { SearchAttributeType } from './ports';
import {
  createSearchAttributeRegistry,
  decodeSearchAttributes,
  DEFAULT_SEARCH_ATTRIBUTES,
  encodeSearchAttributes,
  indexedValueTypeFromName,
  InvalidSearchAttributeError,
  mergeSearchAttributes,
  nameFromIndexedValueType,
  parseSearchAttributeType,
  SEARCH_ATTRIBUTE_TYPES,
  toIndexedValueTypeMap,
} from './search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;

const registry = createSearchAttributeRegistry({
  Env: 'Keyword',
  Tags: 'KeywordList',
  Notes: 'Text',
  Priority: 'Int',
  Score: 'Double',
  Urgent: 'Bool',
  Deadline: 'Datetime',
});

const keys = {
  env: defineSearchAttributeKey('Env', SdkType.KEYWORD),
  tags: defineSearchAttributeKey('Tags', SdkType.KEYWORD_LIST),
  notes: defineSearchAttributeKey('Notes', SdkType.TEXT),
  priority: defineSearchAttributeKey('Priority', SdkType.INT),
  score: defineSearchAttributeKey('Score', SdkType.DOUBLE),
  urgent: defineSearchAttributeKey('Urgent', SdkType.BOOL),
  deadline: defineSearchAttributeKey('Deadline', SdkType.DATETIME),
};

/** Wraps the SDK encoder's output the way it travels in StartWorkflowExecutionRequest.searchAttributes. */
const wire = (indexedFields: Record<string, temporal.api.common.v1.Payload.$Properties>) => ({
  indexedFields,
});

describe('decodeSearchAttributes: payloads from the real TS SDK encoder', () => {
  it('decodes typed search attributes (typedSearchAttributes / upsertSearchAttributes([pairs]))', () => {
    const encoded = encodeUnifiedSearchAttributes(
      undefined,
      new TypedSearchAttributes([
        { key: keys.env, value: 'prod' },
        { key: keys.tags, value: ['gpu', 'rack-1'] },
        { key: keys.notes, value: 'install control plane' },
        { key: keys.priority, value: 5 },
        { key: keys.score, value: 0.25 },
        { key: keys.urgent, value: false },
        { key: keys.deadline, value: new Date('2026-02-01T12:34:56.789Z') },
      ]),
    );
    expect(decodeSearchAttributes(wire(encoded), registry)).toEqual({
      Env: 'prod',
      Tags: ['gpu', 'rack-1'],
      Notes: 'install control plane',
      Priority: 5,
      Score: 0.25,
      Urgent: false,
      Deadline: Date.parse('2026-02-01T12:34:56.789Z'),
    });
  });

  it('decodes legacy untyped search attributes (always arrays, no metadata.type) by the registered type', () => {
    const encoded = encodeUnifiedSearchAttributes({
      Env: ['prod'],
      Tags: ['a', 'b'],
      Priority: [7],
      Urgent: [true],
      Deadline: [new Date('2026-03-01T00:00:00Z')],
      CustomKeywordField: ['legacy'],
    });
    expect(encoded.Env?.metadata?.type).toBeUndefined();
    expect(decodeSearchAttributes(wire(encoded), registry)).toEqual({
      Env: 'prod',
      Tags: ['a', 'b'],
      Priority: 7,
      Urgent: true,
      Deadline: Date.parse('2026-03-01T00:00:00Z'),
      CustomKeywordField: 'legacy',
    });
  });

  it('keeps a legacy multi-value Keyword as a list', () => {
    const encoded = encodeUnifiedSearchAttributes({ Env: ['blue', 'green'] });
    expect(decodeSearchAttributes(wire(encoded), registry)).toEqual({ Env: ['blue', 'green'] });
  });

  it('reports removals as null: typed null (no metadata.type) and legacy empty list', () => {
    const typedRemoval = encodeUnifiedSearchAttributes(undefined, [
      { key: keys.env, value: null },
      { key: keys.tags, value: null },
    ]);
    expect(typedRemoval.Env?.metadata?.type).toBeUndefined();
    const legacyRemoval = encodeUnifiedSearchAttributes({ Priority: [] });
    expect(decodeSearchAttributes(wire({ ...typedRemoval, ...legacyRemoval }), registry)).toEqual({
      Env: null,
      Tags: null,
      Priority: null,
    });
  });

  it('treats absent data, empty data and binary/null as removal', () => {
    const enc = new TextEncoder();
    expect(
      decodeSearchAttributes(
        wire({
          Env: {},
          Tags: { metadata: { encoding: enc.encode('json/plain') }, data: new Uint8Array() },
          Priority: { metadata: { encoding: enc.encode('binary/null') } },
        }),
        registry,
      ),
    ).toEqual({ Env: null, Tags: null, Priority: null });
  });

  it('accepts predefined attributes the scheduler and SDKs write', () => {
    const encoded = encodeUnifiedSearchAttributes(undefined, [
      { key: defineSearchAttributeKey('TemporalScheduledById', SdkType.KEYWORD), value: 'nightly' },
      {
        key: defineSearchAttributeKey('TemporalScheduledStartTime', SdkType.DATETIME),
        value: new Date('2026-01-01T00:00:00Z'),
      },
      { key: defineSearchAttributeKey('TemporalChangeVersion', SdkType.KEYWORD_LIST), value: ['patch-1'] },
    ]);
    expect(decodeSearchAttributes(wire(encoded), new Map())).toEqual({
      TemporalScheduledById: 'nightly',
      TemporalScheduledStartTime: Date.parse('2026-01-01T00:00:00Z'),
      TemporalChangeVersion: ['patch-1'],
    });
  });

  it('returns an empty object for absent search attributes', () => {
    expect(decodeSearchAttributes(undefined, registry)).toEqual({});
    expect(decodeSearchAttributes(null, registry)).toEqual({});
    expect(decodeSearchAttributes({}, registry)).toEqual({});
  });
});

describe('decodeSearchAttributes: rejections', () => {
  const expectInvalid = (fn: () => unknown, message: RegExp): void => {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidSearchAttributeError);
    expect((error as Error).message).toMatch(message);
  };

  it('rejects an unregistered attribute, suggesting how to register it', () => {
    const encoded = encodeUnifiedSearchAttributes(undefined, [
      { key: defineSearchAttributeKey('Region', SdkType.KEYWORD), value: 'eu' },
    ]);
    expectInvalid(
      () => decodeSearchAttributes(wire(encoded), registry),
      /search attribute Region is not defined.*--search-attribute Region=Keyword/,
    );
  });

  it('accepts a typed unregistered attribute when allowUnregistered is set', () => {
    const encoded = encodeUnifiedSearchAttributes(undefined, [
      { key: defineSearchAttributeKey('Region', SdkType.KEYWORD_LIST), value: ['eu'] },
    ]);
    expect(decodeSearchAttributes(wire(encoded), registry, { allowUnregistered: true })).toEqual({
      Region: ['eu'],
    });
    // Without metadata.type there is nothing to go on, even when lenient.
    const legacy = encodeUnifiedSearchAttributes({ Region: ['eu'] });
    expectInvalid(
      () => decodeSearchAttributes(wire(legacy), registry, { allowUnregistered: true }),
      /Region is not defined/,
    );
  });

  it('validates values against the registered type, not the sender-declared one', () => {
    const wrongType = encodeUnifiedSearchAttributes(undefined, [
      { key: defineSearchAttributeKey('Priority', SdkType.KEYWORD), value: 'high' },
    ]);
    expectInvalid(
      () => decodeSearchAttributes(wire(wrongType), registry),
      /invalid value for search attribute Priority of type Int: "high"/,
    );
    const fractional = encodeUnifiedSearchAttributes({ Priority: [1.5] });
    expectInvalid(() => decodeSearchAttributes(wire(fractional), registry), /Priority of type Int: \[1.5\]/);
    const badDate = encodeUnifiedSearchAttributes({ Deadline: ['not a date'] });
    expectInvalid(() => decodeSearchAttributes(wire(badDate), registry), /Deadline of type Datetime/);
    const multiInt = encodeUnifiedSearchAttributes({ Priority: [1, 2] });
    expectInvalid(() => decodeSearchAttributes(wire(multiInt), registry), /Priority of type Int: \[1,2\]/);
  });

  it('rejects writes to system attributes', () => {
    const encoded = encodeUnifiedSearchAttributes({ WorkflowId: ['x'] });
    expectInvalid(() => decodeSearchAttributes(wire(encoded), registry), /WorkflowId is a system attribute/);
  });

  it('rejects non-JSON encodings and malformed JSON', () => {
    const enc = new TextEncoder();
    expectInvalid(
      () =>
        decodeSearchAttributes(
          wire({ Env: { metadata: { encoding: enc.encode('binary/encrypted') }, data: enc.encode('xx') } }),
          registry,
        ),
      /Env has payload encoding 'binary\/encrypted'/,
    );
    expectInvalid(
      () =>
        decodeSearchAttributes(
          wire({ Env: { metadata: { encoding: enc.encode('json/plain') }, data: enc.encode('{oops') } }),
          registry,
        ),
      /Env does not hold valid JSON/,
    );
  });
});

describe('mergeSearchAttributes', () => {
  it('replaces, adds and removes without mutating its inputs', () => {
    const existing = { Env: 'prod', Tags: ['a'], Priority: 1 };
    const upsert = { Env: 'staging', Priority: null, Urgent: true };
    const merged = mergeSearchAttributes(existing, upsert);
    expect(merged).toEqual({ Env: 'staging', Tags: ['a'], Urgent: true });
    expect(existing).toEqual({ Env: 'prod', Tags: ['a'], Priority: 1 });
    (merged.Tags as string[]).push('b');
    expect(existing.Tags).toEqual(['a']);
  });

  it('drops nulls when used to apply start-time attributes to an empty map', () => {
    expect(mergeSearchAttributes({}, { Env: null, Priority: 3 })).toEqual({ Priority: 3 });
  });

  it('applies an SDK upsert end to end', () => {
    const start = decodeSearchAttributes(
      wire(
        encodeUnifiedSearchAttributes(undefined, [
          { key: keys.env, value: 'prod' },
          { key: keys.priority, value: 2 },
        ]),
      ),
      registry,
    );
    const upsert = decodeSearchAttributes(
      wire(
        encodeUnifiedSearchAttributes(undefined, [
          { key: keys.env, value: null },
          { key: keys.urgent, value: true },
        ]),
      ),
      registry,
    );
    expect(mergeSearchAttributes(start, upsert)).toEqual({ Priority: 2, Urgent: true });
  });
});

describe('encodeSearchAttributes', () => {
  const values = {
    Env: 'prod',
    Tags: ['gpu'],
    Notes: 'hello world',
    Priority: 5,
    Score: 1.5,
    Urgent: true,
    Deadline: Date.parse('2026-02-01T00:00:00.000Z'),
    TemporalScheduledById: 'nightly',
  };

  it('round-trips through the SDK typed decoder (what handle.describe() uses)', () => {
    const encoded = encodeSearchAttributes(values, registry);
    const typed = sdkDecodeTyped(encoded.indexedFields);
    expect(typed.get(keys.env)).toBe('prod');
    expect(typed.get(keys.tags)).toEqual(['gpu']);
    expect(typed.get(keys.notes)).toBe('hello world');
    expect(typed.get(keys.priority)).toBe(5);
    expect(typed.get(keys.score)).toBe(1.5);
    expect(typed.get(keys.urgent)).toBe(true);
    expect(typed.get(keys.deadline)).toEqual(new Date('2026-02-01T00:00:00.000Z'));
  });

  it('round-trips through the SDK legacy decoder and back through ours', () => {
    const encoded = encodeSearchAttributes(values, registry);
    expect(sdkDecodeLegacy(encoded.indexedFields)).toMatchObject({
      Env: ['prod'],
      Deadline: [new Date('2026-02-01T00:00:00.000Z')],
    });
    expect(decodeSearchAttributes(encoded, registry)).toEqual(values);
  });

  it('skips nulls and attributes of unknown type', () => {
    expect(
      Object.keys(
        encodeSearchAttributes({ Env: null, Mystery: 'x', Priority: 1 }, registry).indexedFields ?? {},
      ),
    ).toEqual(['Priority']);
  });
});

describe('type names and IndexedValueType', () => {
  it('maps every type to the proto enum and back', () => {
    const expected: Record<SearchAttributeType, number> = {
      Text: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
      Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      Double: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
      Bool: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
      Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
      KeywordList: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    };
    for (const type of SEARCH_ATTRIBUTE_TYPES) {
      expect(indexedValueTypeFromName(type)).toBe(expected[type]);
      expect(nameFromIndexedValueType(expected[type])).toBe(type);
    }
  });

  it('accepts the spellings operators and SDK metadata use', () => {
    expect(parseSearchAttributeType('keywordlist')).toBe('KeywordList');
    expect(parseSearchAttributeType('KEYWORD_LIST')).toBe('KeywordList');
    expect(parseSearchAttributeType('INDEXED_VALUE_TYPE_DATETIME')).toBe('Datetime');
    expect(indexedValueTypeFromName('int')).toBe(IndexedValueType.INDEXED_VALUE_TYPE_INT);
    // The SDK's own type → metadata name conversion, as createLocal uses for --search-attribute.
    for (const sdkType of Object.values(SdkType)) {
      expect(parseSearchAttributeType(TypedSearchAttributes.toMetadataType(sdkType))).toBeDefined();
    }
  });

  it('returns UNSPECIFIED / undefined for unknown names and values', () => {
    expect(indexedValueTypeFromName('String')).toBe(IndexedValueType.INDEXED_VALUE_TYPE_UNSPECIFIED);
    expect(parseSearchAttributeType('String')).toBeUndefined();
    expect(nameFromIndexedValueType(0)).toBeUndefined();
    expect(nameFromIndexedValueType(8)).toBeUndefined();
    expect(nameFromIndexedValueType(null)).toBeUndefined();
  });

  it('lists system and dev-server custom attributes with their proto types', () => {
    const system = toIndexedValueTypeMap(DEFAULT_SEARCH_ATTRIBUTES.system);
    expect(system).toMatchObject({
      WorkflowId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      StartTime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
      HistoryLength: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      ExecutionDuration: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      BuildIds: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
      TemporalScheduledById: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      TemporalScheduledStartTime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    });
    expect(toIndexedValueTypeMap(DEFAULT_SEARCH_ATTRIBUTES.custom)).toEqual({
      CustomKeywordField: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      CustomStringField: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
      CustomTextField: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
      CustomIntField: IndexedValueType.INDEXED_VALUE_TYPE_INT,
      CustomDoubleField: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
      CustomBoolField: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
      CustomDatetimeField: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    });
  });

  it('createSearchAttributeRegistry starts from the dev-server custom attributes; extras win', () => {
    const reg = createSearchAttributeRegistry({ CustomIntField: 'Double', Region: 'Keyword' });
    expect(reg.get('CustomKeywordField')).toBe('Keyword');
    expect(reg.get('CustomIntField')).toBe('Double');
    expect(reg.get('Region')).toBe('Keyword');
  });
});
