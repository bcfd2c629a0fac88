import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Lab, LabMachineEntry } from '../lab/lab-types';
import { startLab } from '../lab/start-lab';
import { basicAuth, eventually, request } from '../lab/test-support';

/**
 * The control API over real HTTP, and the effect of each control on what a driver meets at the
 * machine's real Redfish BMC.
 */
describe('lab control API', () => {
  let lab: Lab;
  let api: string;
  let auth: string;

  beforeAll(async () => {
    lab = await startLab({
      machines: 4,
      bmcNetwork: '127.81',
      sshNetwork: '127.82',
      bmcPort: 0,
      sshPort: 0,
      // Nothing listens on port 9 (discard): a netboot fails fast and says why.
      netbootUrl: 'http://127.0.0.1:9/boot/ipxe',
      bmcRebootDowntimeMs: 100,
    });
    api = lab.controlUrl;
    auth = basicAuth(lab.credentials);
  });
  afterAll(async () => {
    await lab?.close();
  });

  const entry = (name: string): LabMachineEntry => {
    const found = lab.machine(name);
    if (!found) throw new Error(`no ${name}`);
    return found;
  };
  const bmcGet = (name: string, path: string, headers: Record<string, string> = { authorization: auth }) =>
    request(`${entry(name).bmc.url}${path}`, { headers });

  it('answers healthz and lists every machine with its BMC, SSH address, state and counters', async () => {
    expect(await request(`${api}/healthz`)).toMatchObject({
      status: 200,
      body: { status: 'ok', machines: 4 },
    });
    const list = await request(`${api}/machines`);
    expect(list.status).toBe(200);
    const machines = list.body as Array<Record<string, unknown>>;
    expect(machines.map((machine) => machine['name'])).toEqual([
      'lab-cp-1',
      'lab-cp-2',
      'lab-cp-3',
      'lab-w-1',
    ]);
    expect(machines[3]).toMatchObject({
      name: 'lab-w-1',
      hardware: 'compute-1u',
      power: 'Off',
      phase: 'off',
      bootOverride: { enabled: 'Disabled', target: 'None' },
      bmc: { protocol: 'redfish', address: entry('lab-w-1').bmc.address, url: entry('lab-w-1').bmc.url },
      ssh: { host: '127.82.0.4', port: null },
      counters: { powerOns: 0, installs: 0 },
      faults: { http503Rate: 0, hang: false },
      installedOs: null,
    });
    const one = await request(`${api}/machines/lab-cp-2`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      name: 'lab-cp-2',
      bootMac: entry('lab-cp-2').machine.bootMac,
      hostKeySha256: null,
    });
    expect((one.body as { drives: unknown[] }).drives).toHaveLength(4);
  });

  it('answers 404 for unknown machines, drives and paths and 405 for unsupported methods', async () => {
    const machine = await request(`${api}/machines/lab-nope`);
    expect(machine).toMatchObject({ status: 404, body: { code: 'MACHINE_NOT_FOUND' } });
    expect((machine.body as { message: string }).message).toContain('"lab-nope"');
    const drive = await request(`${api}/machines/lab-w-1/drives/Disk.Bay.99/fail`, { method: 'POST' });
    expect(drive).toMatchObject({ status: 404, body: { code: 'DRIVE_NOT_FOUND' } });
    expect((drive.body as { message: string }).message).toContain('Disk.Bay.0, Disk.Bay.1');
    expect(await request(`${api}/nowhere`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    const wrongMethod = await request(`${api}/machines`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('injects 503s at the BMC and clears them again', async () => {
    expect((await bmcGet('lab-cp-1', '/redfish/v1/Systems/1')).status).toBe(200);
    const patched = await request(`${api}/machines/lab-cp-1/faults`, {
      method: 'PATCH',
      body: { http503Rate: 1 },
    });
    expect(patched).toMatchObject({ status: 200, body: { http503Rate: 1, http401Rate: 0 } });
    const refused = await bmcGet('lab-cp-1', '/redfish/v1/Systems/1');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await request(`${api}/machines/lab-cp-1/faults`, { method: 'DELETE' })).body).toMatchObject({
      http503Rate: 0,
    });
    expect((await bmcGet('lab-cp-1', '/redfish/v1/Systems/1')).status).toBe(200);
  });

  it('injects 401s for correct credentials, latency and hangs', async () => {
    await request(`${api}/machines/lab-cp-2/faults`, { method: 'PATCH', body: { http401Rate: 1 } });
    expect((await bmcGet('lab-cp-2', '/redfish/v1/Systems/1')).status).toBe(401);
    await request(`${api}/machines/lab-cp-2/faults`, {
      method: 'PATCH',
      body: { http401Rate: 0, latencyMs: { min: 150, max: 150 } },
    });
    const before = Date.now();
    expect((await bmcGet('lab-cp-2', '/redfish/v1/Systems/1')).status).toBe(200);
    expect(Date.now() - before).toBeGreaterThanOrEqual(140);
    await request(`${api}/machines/lab-cp-2/faults`, {
      method: 'PATCH',
      body: { latencyMs: { min: 0, max: 0 }, hang: true },
    });
    const hung = fetch(`${entry('lab-cp-2').bmc.url}/redfish/v1`, { signal: AbortSignal.timeout(400) });
    await expect(hung).rejects.toThrow(/aborted due to timeout/);
    await request(`${api}/machines/lab-cp-2/faults`, { method: 'PATCH', body: { hang: false } });
    expect((await bmcGet('lab-cp-2', '/redfish/v1')).status).toBe(200);
  });

  it('refuses a bad faults patch with a 400 naming the field, and changes nothing', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ http503Rate: 2 }, /http503Rate must be a probability between 0 and 1, got 2/],
      [{ hang: 'yes' }, /hang must be true or false/],
      [{ latencyMs: { min: 50, max: 10 } }, /latencyMs\.min \(50\) must not exceed latencyMs\.max \(10\)/],
      [{ latencyMs: { mean: 5 } }, /latencyMs\.mean is not a field/],
      [{ driveFailure: true }, /unknown fault "driveFailure".*drives\/:driveId\/fail/],
      [[1, 2], /must be a JSON object/],
      ['{not json', /not JSON/],
    ];
    for (const [body, message] of cases) {
      const answer = await request(`${api}/machines/lab-cp-3/faults`, {
        method: 'PATCH',
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect((answer.body as { code: string; message: string }).message).toMatch(message);
    }
    // The valid `hang` beside a bad rate is not applied either.
    const mixed = await request(`${api}/machines/lab-cp-3/faults`, {
      method: 'PATCH',
      body: { hang: true, http401Rate: -1 },
    });
    expect(mixed.status).toBe(400);
    expect(entry('lab-cp-3').machine.faults.hang).toBe(false);
    // Only `min` above the current max means a fixed latency.
    const fixed = await request(`${api}/machines/lab-cp-3/faults`, {
      method: 'PATCH',
      body: { latencyMs: { min: 5 } },
    });
    expect(fixed.body).toMatchObject({ latencyMs: { min: 5, max: 5 } });
    await request(`${api}/machines/lab-cp-3/faults`, { method: 'DELETE' });
  });

  it('fails a drive: the BMC reports it Critical and refuses it in a volume; replacing it heals', async () => {
    const drivePath = '/redfish/v1/Chassis/1/Drives/Disk.Bay.2';
    const failed = await request(`${api}/machines/lab-w-1/drives/Disk.Bay.2/fail`, { method: 'POST' });
    expect(failed).toMatchObject({ status: 200, body: { id: 'Disk.Bay.2', failed: true } });
    expect((await bmcGet('lab-w-1', drivePath)).body).toMatchObject({ Status: { Health: 'Critical' } });
    expect((await bmcGet('lab-w-1', '/redfish/v1/Systems/1')).body).toMatchObject({
      Status: { HealthRollup: 'Critical' },
    });
    expect(() =>
      entry('lab-w-1').machine.createVolume({ raidType: 'RAID1', driveIds: ['Disk.Bay.2', 'Disk.Bay.3'] }),
    ).toThrow(/Disk\.Bay\.2 has failed/);
    await request(`${api}/machines/lab-w-1/drives/Disk.Bay.2/replace`, { method: 'POST' });
    expect((await bmcGet('lab-w-1', drivePath)).body).toMatchObject({ Status: { Health: 'OK' } });
  });

  it('reboots a BMC: sessions are dropped, Basic auth works again afterwards', async () => {
    const bmcUrl = entry('lab-cp-3').bmc.url;
    const login = await request(`${bmcUrl}/redfish/v1/SessionService/Sessions`, {
      method: 'POST',
      body: { UserName: lab.credentials.username, Password: lab.credentials.password },
    });
    expect(login.status).toBe(201);
    const token = login.headers.get('x-auth-token') ?? '';
    expect((await bmcGet('lab-cp-3', '/redfish/v1/Systems/1', { 'x-auth-token': token })).status).toBe(200);
    const reboot = await request(`${api}/machines/lab-cp-3/bmc/reboot`, { method: 'POST' });
    expect(reboot).toMatchObject({ status: 200, body: { rebooted: true } });
    expect((await bmcGet('lab-cp-3', '/redfish/v1/Systems/1', { 'x-auth-token': token })).status).toBe(401);
    expect((await bmcGet('lab-cp-3', '/redfish/v1/Systems/1')).status).toBe(200);
  });

  it('powers a machine on: counted once, and its failed netboot is reported', async () => {
    const bogus = await request(`${api}/machines/lab-cp-1/power/Explode`, { method: 'POST' });
    expect(bogus).toMatchObject({ status: 400 });
    expect((bogus.body as { message: string }).message).toMatch(/"Explode" is not one of On, ForceOff/);
    const on = await request(`${api}/machines/lab-cp-1/power/On`, { method: 'POST' });
    expect(on).toMatchObject({ status: 200, body: { power: 'On', counters: { powerOns: 1 } } });
    expect((await bmcGet('lab-cp-1', '/redfish/v1/Systems/1')).body).toMatchObject({ PowerState: 'On' });
    const failed = await eventually(async () => {
      const view = (await request(`${api}/machines/lab-cp-1`)).body as {
        phase: string;
        lastBootError: string | null;
      };
      return view.phase === 'install-failed' ? view : undefined;
    });
    expect(failed.lastBootError).toContain('127.0.0.1:9');
    const counters = (await request(`${api}/counters`)).body as Record<string, Record<string, number>>;
    expect(Object.keys(counters)).toEqual(['lab-cp-1', 'lab-cp-2', 'lab-cp-3', 'lab-w-1']);
    expect(counters['lab-cp-1']).toMatchObject({ powerOns: 1, netboots: 1, installs: 0 });
    expect(counters['lab-cp-2']).toMatchObject({ powerOns: 0, netboots: 0 });
    await request(`${api}/machines/lab-cp-1/power/ForceOff`, { method: 'POST' });
    expect(entry('lab-cp-1').machine.power).toBe('Off');
  });

  it('serves the inventory as JSON, or YAML when asked', async () => {
    const json = await request(`${api}/inventory`);
    expect(json.status).toBe(200);
    expect(json.body).toEqual(lab.inventory());
    const yaml = await request(`${api}/inventory`, { headers: { accept: 'application/yaml' } });
    expect(yaml.headers.get('content-type')).toBe('application/yaml');
    expect(parse(yaml.text)).toEqual(lab.inventory());
  });
});
