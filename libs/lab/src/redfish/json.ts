/** A JSON object as read from a mockup or a request body. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `@odata.id` of a link object, or undefined when `value` is not one. */
export function odataIdOf(value: unknown): string | undefined {
  if (!isJsonObject(value)) return undefined;
  const id = value['@odata.id'];
  return typeof id === 'string' ? id : undefined;
}

/** The `@odata.id`s of an array of link objects (entries that are not links are skipped). */
export function odataIdsOf(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map(odataIdOf).filter((id): id is string => id !== undefined);
}

/** Resource paths are compared without a trailing slash (`/redfish/v1/` is `/redfish/v1`). */
export function normalisePath(path: string): string {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') : path;
  return trimmed === '' ? '/' : trimmed;
}
