import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/test-api';

const NO_RUN = '00000000-0000-4000-8000-000000000000';
const MACHINE = {
  name: 'matrix',
  bmc: { address: 'ipmi://127.0.0.1:1623', credentialsRef: 'secret/none' },
  bootMac: '52:54:00:99:99:99',
};

/** Every endpoint that takes a body, with a body that is valid apart from what each row breaks. */
const bodyEndpoints: { method: string; path: string; valid: Record<string, unknown> }[] = [
  { method: 'POST', path: '/secrets', valid: { name: 'matrix', value: 'v' } },
  { method: 'POST', path: '/tokens', valid: { name: 'matrix', scopes: ['read'] } },
  { method: 'POST', path: '/machines/import', valid: { machines: [] } },
  { method: 'POST', path: '/clusters', valid: { name: 'matrix' } },
  { method: 'PUT', path: '/profiles/matrix', valid: { params: {} } },
  { method: 'PUT', path: '/secrets/matrix', valid: { value: 'v' } },
  { method: 'POST', path: '/machines', valid: MACHINE },
  { method: 'PUT', path: '/machines/matrix', valid: MACHINE },
  { method: 'POST', path: `/runs/${NO_RUN}/pause`, valid: { reason: 'r' } },
  { method: 'POST', path: `/runs/${NO_RUN}/approve`, valid: { gate: 'before-openstack' } },
];
/** Endpoints that take YAML documents too. */
const yamlEndpoints = ['/machines/import', '/clusters', '/profiles/matrix', '/machines', '/machines/matrix'];
const readEndpoints = [
  '/runs',
  `/runs/${NO_RUN}`,
  `/runs/${NO_RUN}/events`,
  '/secrets',
  '/machines',
  '/machines/x',
  '/clusters',
  '/clusters/x',
  '/clusters/x/plan',
];

describe('bad input on every endpoint', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  const expectError = async (response: Response, status: number, code?: string): Promise<void> => {
    expect(response.status).toBe(status);
    const body = (await response.json()) as { code: unknown; message: unknown };
    expect(typeof body.code).toBe('string');
    expect(typeof body.message).toBe('string');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+|node_modules/); // no stack traces
    if (code) expect(body.code).toBe(code);
  };

  for (const { method, path, valid } of bodyEndpoints) {
    describe(`${method} ${path}`, () => {
      it('401 without a token and with a wrong one, 403 with a read-only token', async () => {
        await expectError(await api.call(method, path, { body: valid }), 401, 'UNAUTHENTICATED');
        await expectError(
          await api.call(method, path, { token: 'plt_wrong', body: valid }),
          401,
          'UNAUTHENTICATED',
        );
        await expectError(
          await api.call(method, path, { token: api.tokens.read, body: valid }),
          403,
          'FORBIDDEN',
        );
      });

      it('400 for malformed JSON, unknown fields and wrong types; 413 when oversized', async () => {
        const token = api.tokens.admin;
        await expectError(await api.call(method, path, { token, body: '{"oops": ' }), 400, 'MALFORMED_JSON');
        const unknown = await api.call(method, path, { token, body: { ...valid, surprise: 1 } });
        expect(unknown.status).toBe(400);
        expect(JSON.stringify(await unknown.json())).toContain('surprise');
        const wrongTypes = Object.fromEntries(Object.keys(valid).map((k) => [k, 12345]));
        await expectError(await api.call(method, path, { token, body: wrongTypes }), 400);
        await expectError(
          await api.call(method, path, { token, body: { ...valid, pad: 'x'.repeat(300_000) } }),
          413,
          'PAYLOAD_TOO_LARGE',
        );
      });
    });
  }

  it('invalid YAML is a 400 naming the line, on every YAML endpoint', async () => {
    for (const { method, path } of bodyEndpoints.filter((e) => yamlEndpoints.includes(e.path))) {
      const response = await api.call(method, path, {
        token: api.tokens.admin,
        body: 'a: [1, 2\nb: }',
        contentType: 'application/yaml',
      });
      await expectError(response.clone(), 400);
      expect(JSON.stringify(await response.json())).toMatch(/line \d+/);
    }
  });

  it('out-of-range and malformed query values are 400s naming the parameter', async () => {
    for (const query of [
      'limit=0',
      'limit=501',
      'limit=x',
      'status=done',
      'kind=rebuild',
      'before=yesterday',
    ]) {
      const response = await api.call('GET', `/runs?${query}`, { token: api.tokens.read });
      await expectError(response.clone(), 400, 'VALIDATION_FAILED');
      expect(JSON.stringify(await response.json())).toContain(query.split('=')[0]!);
    }
    for (const query of ['pageSize=0', 'pageSize=1001', 'pageToken=%2F%2F']) {
      await expectError(
        await api.call('GET', `/runs/${NO_RUN}/events?${query}`, { token: api.tokens.read }),
        400,
      );
    }
    const csv = await api.call('POST', '/machines/import', {
      token: api.tokens.admin,
      body: 'x'.repeat(1_100_000),
      contentType: 'text/csv',
    });
    await expectError(csv, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('read endpoints ask for a token and answer unknown names with 404 { code, message }', async () => {
    for (const path of readEndpoints) {
      await expectError(await api.call('GET', path), 401, 'UNAUTHENTICATED');
      const response = await api.call('GET', path, { token: api.tokens.read });
      expect([200, 404]).toContain(response.status);
      if (response.status === 404) await expectError(response, 404);
    }
  });
});
