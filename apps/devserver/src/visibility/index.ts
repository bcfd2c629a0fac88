/**
 * Visibility for the dev server: the List Filter query engine and the search attribute catalogue/codec.
 * Pure modules — no gRPC, no run store.
 */
export * from './ports';
export { compileVisibilityQuery } from './query';
export {
  DEFAULT_SEARCH_ATTRIBUTES,
  DEV_SERVER_CUSTOM_SEARCH_ATTRIBUTES,
  PREDEFINED_SEARCH_ATTRIBUTES,
  SEARCH_ATTRIBUTE_TYPES,
  SYSTEM_SEARCH_ATTRIBUTES,
  InvalidSearchAttributeError,
  createSearchAttributeRegistry,
  decodeSearchAttributePayload,
  decodeSearchAttributes,
  encodeSearchAttributes,
  indexedValueTypeFromName,
  mergeSearchAttributes,
  nameFromIndexedValueType,
  parseSearchAttributeType,
  toIndexedValueTypeMap,
  type DecodeSearchAttributesOptions,
} from './search-attributes';
