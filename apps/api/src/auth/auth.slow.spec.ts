import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/test-api';

const SECRET_VALUE = 'ipmi-password-Zx9!';

describe('API authentication, scopes, secrets and audit', () => {
  let api: TestApi;
  let db: TestApi['db'];
  let tokens: TestApi['tokens'];
  let logLines: string[];
  beforeAll(async () => {
    api = await startTestApi();
    ({ db, tokens, logLines } = api);
  });
  afterAll(async () => api.close());

  const call = (
    method: string,
    path: string,
    token?: string,
    body?: unknown,
    raw?: string,
  ): Promise<Response> => api.call(method, path, { token, body: raw ?? body });

  it('keeps health public and asks for a token elsewhere (401, explained)', async () => {
    expect((await call('GET', '/healthz')).status).not.toBe(401);
    const missing = await call('GET', '/secrets');
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringContaining('Authorization: Bearer'),
    });
    const wrong = await call('GET', '/secrets', 'plt_not-a-real-token');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'The API token is unknown or revoked.',
    });
  });

  it('distinguishes 403 for a valid token without the needed scope', async () => {
    expect((await call('GET', '/secrets', tokens.read)).status).toBe(200);
    const denied = await call('POST', '/secrets', tokens.read, { name: 'bmc-a', value: SECRET_VALUE });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ code: 'FORBIDDEN', details: { neededScope: 'write' } });
    const notAdmin = await call('POST', '/tokens', tokens.write, { name: 'x', scopes: ['read'] });
    expect(notAdmin.status).toBe(403);
  });

  it('stores a secret without ever returning or logging its value, and audits the call', async () => {
    const created = await call('POST', '/secrets', tokens.write, { name: 'bmc-rack1', value: SECRET_VALUE });
    expect(created.status).toBe(201);
    const body = await created.text();
    expect(JSON.parse(body)).toMatchObject({ name: 'bmc-rack1', ref: 'secret/bmc-rack1' });
    const listed = await (await call('GET', '/secrets', tokens.read)).text();
    expect(listed).toContain('secret/bmc-rack1');
    for (const text of [body, listed, logLines.join('')]) expect(text).not.toContain(SECRET_VALUE);

    const audit = (await db.dataSource.query(
      `SELECT actor, action, target_type, details->>'outcome' AS outcome FROM audit_log`,
    )) as unknown[];
    expect(audit).toContainEqual({
      actor: 'writer',
      action: 'POST /secrets',
      target_type: 'secrets',
      outcome: 'succeeded',
    });
    expect(JSON.stringify(await db.dataSource.query('SELECT * FROM audit_log'))).not.toContain(SECRET_VALUE);
    expect((await call('DELETE', '/secrets/bmc-rack1', tokens.write)).status).toBe(204);
    const gone = await call('DELETE', '/secrets/bmc-rack1', tokens.write);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: 'SECRET_NOT_FOUND' });
    const deletes = (await db.dataSource.query(
      `SELECT details->>'outcome' AS outcome, details->>'status' AS status FROM audit_log WHERE action = 'DELETE /secrets/:name' ORDER BY id`,
    )) as unknown[];
    expect(deletes).toEqual([
      { outcome: 'succeeded', status: '204' },
      { outcome: 'failed', status: '404' },
    ]);
  });

  it('answers bad input with 400 and every problem by field, never a 500', async () => {
    const invalid = await call('POST', '/secrets', tokens.write, { name: 'Bad Name', value: '', extra: 1 });
    expect(invalid.status).toBe(400);
    const problems = (await invalid.json()) as { code: string; details: { problems: string[] } };
    expect(problems.code).toBe('VALIDATION_FAILED');
    expect(problems.details.problems).toEqual(
      expect.arrayContaining([
        'property extra should not exist',
        expect.stringContaining('name must be 1-128 characters'),
        'value must be longer than or equal to 1 characters',
      ]),
    );
    const malformed = await call('POST', '/secrets', tokens.write, undefined, '{"name": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'MALFORMED_JSON' });
    const tooBig = await call('POST', '/secrets', tokens.write, {
      name: 'big',
      value: 'x'.repeat(2_000_000),
    });
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  });

  it('lets an admin issue tokens, shown once and usable at once', async () => {
    const created = await call('POST', '/tokens', tokens.admin, { name: 'ci', scopes: ['read'] });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    expect((await call('GET', '/secrets', token)).status).toBe(200);
    expect(logLines.join('')).not.toContain(token);
    const bad = await call('POST', '/tokens', tokens.admin, { name: 'ci', scopes: ['root'] });
    expect(bad.status).toBe(400);
  });
});
