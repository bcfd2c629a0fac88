/**
 * A Redfish crawler for the contract tests (not exported from the package): follows every
 * `@odata.id` from the service root over HTTP and reports what it found.
 */
import { isJsonObject, normalisePath, type JsonObject } from './json';

export interface CrawlResult {
  documents: Map<string, JsonObject>;
  /** Links that did not answer 200, with the status they got. */
  broken: { path: string; status: number; from: string }[];
}

export async function crawl(
  baseUrl: string,
  headers: Record<string, string>,
  start = '/redfish/v1',
): Promise<CrawlResult> {
  const documents = new Map<string, JsonObject>();
  const broken: CrawlResult['broken'] = [];
  const queue: { path: string; from: string }[] = [{ path: start, from: '(start)' }];
  const seen = new Set([start]);
  while (queue.length > 0) {
    const batch = queue.splice(0, 16);
    await Promise.all(
      batch.map(async ({ path, from }) => {
        const response = await fetch(`${baseUrl}${path}`, { headers, signal: AbortSignal.timeout(5_000) });
        if (response.status !== 200) {
          await response.body?.cancel();
          broken.push({ path, status: response.status, from });
          return;
        }
        const document = (await response.json()) as JsonObject;
        documents.set(path, document);
        for (const link of linksIn(document)) {
          if (seen.has(link)) continue;
          seen.add(link);
          queue.push({ path: link, from: path });
        }
      }),
    );
  }
  return { documents, broken };
}

/** Every local `@odata.id` in a document except its own and JSON-pointer fragments into a document. */
function linksIn(document: JsonObject): string[] {
  const links: string[] = [];
  const visit = (value: unknown, isRoot: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, false);
      return;
    }
    if (!isJsonObject(value)) return;
    const id = value['@odata.id'];
    // Links to other services (a mockup's PDU at https://…) are not this BMC's to answer.
    if (!isRoot && typeof id === 'string' && id.startsWith('/redfish/') && !id.includes('#')) {
      links.push(normalisePath(id));
    }
    for (const [key, child] of Object.entries(value)) if (key !== '@odata.id') visit(child, false);
  };
  visit(document, true);
  return links;
}

/** `#Drive.v1_13_0.Drive` → `Drive`; undefined when the type is not in the versioned form. */
export function resourceTypeOf(odataType: unknown): string | undefined {
  if (typeof odataType !== 'string') return undefined;
  const versioned = /^#(\w+)\.v\d+_\d+_\d+\.(\w+)$/.exec(odataType);
  if (versioned) return versioned[1] === versioned[2] ? versioned[1] : undefined;
  const collection = /^#(\w+Collection)\.(\w+Collection)$/.exec(odataType);
  return collection && collection[1] === collection[2] ? collection[1] : undefined;
}
