import { describe, expect, it } from 'vitest';
import { CREDENTIALS, messageIdOf, startTestBmc } from './test-support';

const SESSIONS = '/redfish/v1/SessionService/Sessions';

describe('BMC faults', () => {
  it('answers 503 with Retry-After at the configured rate', async () => {
    const test = await startTestBmc();
    test.machine.faults.http503Rate = 1;
    const refused = await test.request('GET', test.bmc.systemPath);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(messageIdOf(await refused.json())).toMatch(/ServiceTemporarilyUnavailable$/);

    test.machine.faults.http503Rate = 0.5;
    const statuses = new Set<number>();
    for (let n = 0; n < 60; n++) statuses.add((await test.request('GET', '/redfish/v1/')).status);
    expect(statuses).toEqual(new Set([200, 503]));

    test.machine.faults.http503Rate = 0;
    expect((await test.request('GET', test.bmc.systemPath)).status).toBe(200);
  });

  it('answers 401 to correct credentials at the configured rate, but not on the public service root', async () => {
    const test = await startTestBmc();
    test.machine.faults.http401Rate = 1;
    expect((await test.request('GET', test.bmc.systemPath)).status).toBe(401);
    expect(
      (await test.request('POST', SESSIONS, { body: { UserName: 'admin', Password: CREDENTIALS.password } }))
        .status,
    ).toBe(401);
    expect((await test.request('GET', '/redfish/v1/')).status).toBe(200);
    test.machine.faults.http401Rate = 0;
    expect((await test.request('GET', test.bmc.systemPath)).status).toBe(200);
  });

  it('adds latency to every answer', async () => {
    const test = await startTestBmc();
    test.machine.faults.latencyMs = { min: 150, max: 200 };
    const started = performance.now();
    expect((await test.request('GET', '/redfish/v1/')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('hangs: accepts the request and answers only once the fault is cleared', async () => {
    const test = await startTestBmc();
    test.machine.faults.hang = true;
    const pending = test.request('GET', test.bmc.systemPath);
    const early = await Promise.race([
      pending.then(() => 'answered'),
      new Promise((resolve) => setTimeout(() => resolve('waiting'), 300)),
    ]);
    expect(early).toBe('waiting');
    test.machine.faults.hang = false;
    expect((await pending).status).toBe(200);
  });

  it('drops a hung request when the BMC is closed', async () => {
    const test = await startTestBmc();
    test.machine.faults.hang = true;
    const pending = test.request('GET', test.bmc.systemPath);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await test.bmc.close();
    await expect(pending).rejects.toThrow();
  });

  it('reboots the BMC: sessions dropped, connections refused for a while, then answering again', async () => {
    const test = await startTestBmc({ bmc: { rebootDowntimeMs: 400 } });
    const login = await test.request('POST', SESSIONS, {
      body: { UserName: 'admin', Password: CREDENTIALS.password },
    });
    const token = login.headers.get('x-auth-token') ?? '';
    const rebooted = test.bmc.rebootBmc();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(fetch(`${test.bmc.url}/redfish/v1/`)).rejects.toThrow();
    await rebooted;
    expect((await test.request('GET', '/redfish/v1/')).status).toBe(200);
    expect(
      (
        await test.request('GET', test.bmc.systemPath, {
          headers: { Authorization: '', 'X-Auth-Token': token },
        })
      ).status,
    ).toBe(401);
    expect((await test.request('GET', test.bmc.systemPath)).status).toBe(200);
  });

  it('reboots through Manager.Reset after answering 204, leaving the host power alone', async () => {
    const test = await startTestBmc({ bmc: { rebootDowntimeMs: 400 } });
    test.machine.power = 'On';
    const manager = await test.getJson('/redfish/v1/Managers/BMC');
    const target = (manager['Actions'] as Record<string, { target: string }>)['#Manager.Reset']?.target ?? '';
    const answer = await test.request('POST', target, { body: { ResetType: 'GracefulRestart' } });
    expect(answer.status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await expect(fetch(`${test.bmc.url}/redfish/v1/`)).rejects.toThrow();
    const back = async (): Promise<number> => {
      for (;;) {
        try {
          return (await fetch(`${test.bmc.url}/redfish/v1/`)).status;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    expect(await back()).toBe(200);
    expect(test.machine.power).toBe('On');
  });
});
