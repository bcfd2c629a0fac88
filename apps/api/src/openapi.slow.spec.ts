import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/test-api';

interface Operation {
  summary?: string;
  description?: string;
  responses?: Record<
    string,
    { description?: string; content?: Record<string, { schema?: unknown; example?: unknown }> }
  >;
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
}

describe('OpenAPI document at /docs-json', () => {
  let api: TestApi;
  let paths: Record<string, Record<string, Operation>>;
  beforeAll(async () => {
    api = await startTestApi();
    const response = await fetch(`${api.url}/docs-json`);
    expect(response.status).toBe(200);
    paths = ((await response.json()) as { paths: typeof paths }).paths;
  });
  afterAll(async () => api?.close());

  const expected = [
    'get /healthz',
    'post /secrets',
    'get /secrets',
    'put /secrets/{name}',
    'delete /secrets/{name}',
    'post /tokens',
    'post /machines/import',
    'post /machines',
    'get /machines',
    'get /machines/{name}',
    'put /machines/{name}',
    'delete /machines/{name}',
    'post /clusters',
    'get /clusters',
    'get /clusters/{name}',
    'delete /clusters/{name}',
    'get /clusters/{name}/revisions/{revision}',
    'get /clusters/{name}/plan',
    'post /clusters/{name}/plan',
    'put /profiles/{name}',
    'post /clusters/{name}/deployments',
    'get /runs',
    'get /runs/{id}',
    'get /runs/{id}/events',
    'post /runs/{id}/pause',
    'post /runs/{id}/resume',
    'post /runs/{id}/approve',
    'post /runs/{id}/cancel',
    'post /runs/{id}/machines/{machine}/retry',
    'get /boot/ipxe',
    'get /boot/configs/{token}/{file}',
    'post /boot/callback',
    'get /boot/media/{path}',
    'get /templates/render',
    'get /schemas/cluster.json',
    'get /schemas/inventory.json',
  ];

  it('lists every endpoint, and nothing the API does not serve', () => {
    const documented = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(documented.sort()).toEqual([...expected].sort());
  });

  it('describes every operation, its responses, and the bearer token where one is needed', () => {
    const publicOperations = new Set([
      'get /healthz',
      'get /boot/ipxe',
      'get /boot/configs/{token}/{file}',
      'post /boot/callback',
      'get /boot/media/{path}',
      'get /templates/render',
      'get /schemas/cluster.json',
      'get /schemas/inventory.json',
    ]);
    const gaps: string[] = [];
    for (const key of expected) {
      const [method, path] = key.split(' ') as [string, string];
      const operation = paths[path]![method]!;
      if (!operation.summary) gaps.push(`${key}: no summary`);
      if (Object.keys(operation.responses ?? {}).length === 0) gaps.push(`${key}: no responses`);
      if (!publicOperations.has(key) && !operation.security) gaps.push(`${key}: no bearer auth`);
      if (!publicOperations.has(key) && !operation.responses?.['401']) gaps.push(`${key}: no 401 documented`);
    }
    expect(gaps).toEqual([]);
  });

  it('gives request bodies a schema', () => {
    for (const [path, methods] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (!operation.requestBody) continue;
        const contents = Object.values(operation.requestBody.content ?? {});
        expect(contents.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const content of contents) expect(content.schema, `${method} ${path} body schema`).toBeDefined();
      }
    }
  });
});
