/** Small readers for Redfish JSON documents, which are third-party input: nothing is assumed. */

export type RedfishDocument = Record<string, unknown>;

export function isObject(value: unknown): value is RedfishDocument {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ "@odata.id": "/x" }` → `/x`. */
export function odataIdOf(link: unknown): string | undefined {
  if (!isObject(link)) return undefined;
  const id = link['@odata.id'];
  return typeof id === 'string' && id !== '' ? stripTrailingSlash(id) : undefined;
}

/** Every `@odata.id` of an array of links. */
export function odataIdsOf(links: unknown): string[] {
  return Array.isArray(links) ? links.map(odataIdOf).filter((id): id is string => id !== undefined) : [];
}

export function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

export function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function objectOf(value: unknown): RedfishDocument {
  return isObject(value) ? value : {};
}

/** A resource is present unless its `Status.State` says `Absent`. */
export function isPresent(resource: RedfishDocument): boolean {
  return objectOf(resource['Status'])['State'] !== 'Absent';
}

/** `Status.Health` when given. */
export function healthOf(resource: RedfishDocument): string | undefined {
  return textOf(objectOf(resource['Status'])['Health']);
}

export function stripTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** The path of a `Location` header (absolute URL or path). */
export function locationPath(location: string | string[] | undefined): string | undefined {
  const value = Array.isArray(location) ? location[0] : location;
  if (!value) return undefined;
  if (value.startsWith('/')) return value;
  try {
    const url = new URL(value);
    return `${url.pathname}${url.search}`;
  } catch {
    return undefined;
  }
}

/** Runs `work` over `items` with at most `limit` at once, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
