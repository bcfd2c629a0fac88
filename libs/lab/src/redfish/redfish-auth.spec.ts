import { describe, expect, it } from 'vitest';
import { BASIC, CREDENTIALS, messageIdOf, startTestBmc } from './test-support';

const SYSTEMS = '/redfish/v1/Systems';
const SESSIONS = '/redfish/v1/SessionService/Sessions';

describe('Redfish BMC authentication', () => {
  it('serves /redfish and the service root without credentials', async () => {
    const { request } = await startTestBmc();
    const version = await request('GET', '/redfish', { headers: { Authorization: '' } });
    expect(version.status).toBe(200);
    expect(await version.json()).toEqual({ v1: '/redfish/v1/' });
    const root = await request('GET', '/redfish/v1/', { headers: { Authorization: '' } });
    expect(root.status).toBe(200);
    expect(root.headers.get('odata-version')).toBe('4.0');
    expect(await root.json()).toMatchObject({
      '@odata.id': '/redfish/v1/',
      Systems: { '@odata.id': SYSTEMS },
    });
  });

  it('answers 401 with WWW-Authenticate and a Redfish error without or with wrong credentials', async () => {
    const { request } = await startTestBmc();
    for (const authorization of ['', `Basic ${Buffer.from('admin:wrong').toString('base64')}`, 'Bearer x']) {
      const response = await request('GET', SYSTEMS, { headers: { Authorization: authorization } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
      const body = (await response.json()) as {
        error: { code: string; message: string; '@Message.ExtendedInfo': unknown[] };
      };
      expect(body.error.code).toMatch(/^Base\.1\.\d+\.NoValidSession$/);
      expect(body.error.message).not.toBe('');
      expect(body.error['@Message.ExtendedInfo']).toHaveLength(1);
    }
  });

  it('accepts Basic credentials', async () => {
    const { request } = await startTestBmc();
    const response = await request('GET', SYSTEMS);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ 'Members@odata.count': 1 });
  });

  it('logs in with a session: 201, X-Auth-Token and Location; the token authenticates until logout', async () => {
    const { request, bmc } = await startTestBmc();
    const login = await request('POST', SESSIONS, {
      headers: { Authorization: '' },
      body: { UserName: CREDENTIALS.username, Password: CREDENTIALS.password },
    });
    expect(login.status).toBe(201);
    const token = login.headers.get('x-auth-token') ?? '';
    const location = login.headers.get('location') ?? '';
    expect(token).not.toBe('');
    expect(location).toMatch(new RegExp(`^${SESSIONS}/[0-9A-F]+$`));
    expect(await login.json()).toMatchObject({ '@odata.id': location, UserName: 'admin' });
    expect(bmc.sessionCount()).toBe(1);

    const withToken = { headers: { Authorization: '', 'X-Auth-Token': token } };
    expect((await request('GET', SYSTEMS, withToken)).status).toBe(200);
    const sessions = (await (await request('GET', SESSIONS, withToken)).json()) as { Members: unknown[] };
    expect(sessions.Members).toEqual([{ '@odata.id': location }]);

    expect((await request('DELETE', location, withToken)).status).toBe(204);
    expect(bmc.sessionCount()).toBe(0);
    expect((await request('GET', SYSTEMS, withToken)).status).toBe(401);
    // A stale token decides even when Basic credentials come along.
    expect(
      (await request('GET', SYSTEMS, { headers: { Authorization: BASIC, 'X-Auth-Token': token } })).status,
    ).toBe(401);
  });

  it('refuses a login with a wrong password (401) or missing fields (400)', async () => {
    const { request, bmc } = await startTestBmc();
    const wrong = await request('POST', SESSIONS, { body: { UserName: 'admin', Password: 'nope' } });
    expect(wrong.status).toBe(401);
    const missing = await request('POST', SESSIONS, { body: { UserName: 'admin' } });
    expect(missing.status).toBe(400);
    expect(messageIdOf(await missing.json())).toMatch(/PropertyMissing$/);
    expect(bmc.sessionCount()).toBe(0);
  });

  it('caps concurrent sessions with 503 SessionLimitExceeded', async () => {
    const { request } = await startTestBmc({ bmc: { maxSessions: 2 } });
    const login = () =>
      request('POST', SESSIONS, { body: { UserName: 'admin', Password: CREDENTIALS.password } });
    expect((await login()).status).toBe(201);
    expect((await login()).status).toBe(201);
    const third = await login();
    expect(third.status).toBe(503);
    expect(messageIdOf(await third.json())).toMatch(/SessionLimitExceeded$/);
  });

  it('expires idle sessions', async () => {
    const { request } = await startTestBmc({ bmc: { sessionTimeoutSeconds: 0.2 } });
    const login = await request('POST', SESSIONS, {
      body: { UserName: 'admin', Password: CREDENTIALS.password },
    });
    const token = login.headers.get('x-auth-token') ?? '';
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(
      (await request('GET', SYSTEMS, { headers: { Authorization: '', 'X-Auth-Token': token } })).status,
    ).toBe(401);
  });

  it('answers unknown paths 404, wrong methods 405 with Allow, bad bodies 400, all as Redfish errors', async () => {
    const { request, bmc } = await startTestBmc();
    const missing = await request('GET', '/redfish/v1/Systems/2');
    expect(missing.status).toBe(404);
    expect(messageIdOf(await missing.json())).toMatch(/ResourceMissingAtURI$/);

    const wrongMethod = await request('DELETE', bmc.systemPath);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, PATCH');
    expect(messageIdOf(await wrongMethod.json())).toMatch(/OperationNotAllowed$/);

    const getAction = await request('GET', `${bmc.systemPath}/Actions/ComputerSystem.Reset`);
    expect(getAction.status).toBe(405);

    const malformed = await request('PATCH', bmc.systemPath, { body: '{"Boot": ' });
    expect(malformed.status).toBe(400);
    expect(messageIdOf(await malformed.json())).toMatch(/MalformedJSON$/);
    const notObject = await request('PATCH', bmc.systemPath, { body: '[1,2]' });
    expect(notObject.status).toBe(400);
  });
});

describe('Redfish BMC addresses', () => {
  it('listens on its own loopback address', async () => {
    const { bmc, request } = await startTestBmc({ bmc: { host: '127.3.4.5' } });
    expect(bmc.url).toMatch(/^http:\/\/127\.3\.4\.5:\d+$/);
    expect((await request('GET', '/redfish/v1/')).status).toBe(200);
  });

  it('refuses to listen beyond loopback', async () => {
    await expect(startTestBmc({ bmc: { host: '0.0.0.0' } })).rejects.toThrow(/loopback only/);
    await expect(startTestBmc({ bmc: { host: '127.0.0.256' } })).rejects.toThrow(/loopback only/);
  });
});
