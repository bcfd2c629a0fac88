import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedFixturesDir } from '../shared-fixtures';
import { isJsonObject, normalisePath, type JsonObject } from './json';

/** The DMTF mockups the lab serves as hardware shapes (see ../shared/fixtures/redfish/ORIGIN.md). */
export const MOCKUP_NAMES = ['dmtf-public-rackmount1', 'dmtf-public-localstorage'] as const;
export type MockupName = (typeof MOCKUP_NAMES)[number];

export function isMockupName(name: string): name is MockupName {
  return (MOCKUP_NAMES as readonly string[]).includes(name);
}

/** One mockup's documents by resource path (`/redfish/v1/Systems/437XR1138R2`), read-only. */
export interface MockupTree {
  readonly name: MockupName;
  /** The document at `path` (trailing slash ignored), or undefined. Frozen: clone before changing. */
  get(path: string): Readonly<JsonObject> | undefined;
  /** Every resource path in the mockup. */
  paths(): string[];
}

// Read once per process: 1,000 mockup-shaped BMCs share one parsed copy.
const trees = new Map<MockupName, MockupTree>();

/**
 * Loads a mockup from `../shared/fixtures/redfish/<name>` at run time (never copied into the project).
 * Layout as the DMTF Redfish-Mockup-Server expects: `GET /redfish/v1/X` is `redfish/v1/X/index.json`.
 */
export function loadMockupTree(name: MockupName): MockupTree {
  const cached = trees.get(name);
  if (cached) return cached;
  const root = join(sharedFixturesDir(), 'redfish', name);
  if (!existsSync(join(root, 'redfish', 'v1'))) {
    throw new Error(`Redfish mockup ${name} not found at ${root}: is ../shared/fixtures/redfish complete?`);
  }
  const documents = new Map<string, JsonObject>();
  readDocuments(join(root, 'redfish', 'v1'), '/redfish/v1', documents);
  const tree: MockupTree = {
    name,
    get: (path) => documents.get(normalisePath(path)),
    paths: () => [...documents.keys()],
  };
  trees.set(name, tree);
  return tree;
}

function readDocuments(dir: string, path: string, into: Map<string, JsonObject>): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) {
      readDocuments(file, `${path}/${entry.name}`, into);
    } else if (entry.name === 'index.json') {
      into.set(path, parseDocument(file));
    } else if (entry.name.endsWith('.json') && entry.name !== 'explorer_config.json') {
      // Registry files such as Registries/Base.1.5.0.json are served under their own file name.
      into.set(`${path}/${entry.name}`, parseDocument(file));
    }
  }
}

function parseDocument(file: string): JsonObject {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isJsonObject(parsed)) throw new Error(`${file} is not a JSON object`);
  return deepFreeze(parsed);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
