import { createServer } from 'node:net';
import { validateInventory } from '@plinth/domain';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Lab } from './lab-types';
import { startLab } from './start-lab';
import { basicAuth, request, refusesConnections } from './test-support';

/** Port 0 everywhere: test files run in parallel, and each lab gets its own networks as well. */
const PORTS = { bmcPort: 0, sshPort: 0, controlPort: 0 };
const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((lab) => lab.close()));
});
async function lab(options: Parameters<typeof startLab>[0]): Promise<Lab> {
  const started = await startLab({ ...PORTS, ...options });
  labs.push(started);
  return started;
}

describe('startLab', () => {
  it('starts six Redfish machines, each BMC on its own loopback address answering with real auth', async () => {
    const started = await lab({ machines: 6, bmcNetwork: '127.61', sshNetwork: '127.62' });
    expect(started.machines.map((entry) => entry.name)).toEqual([
      'lab-cp-1',
      'lab-cp-2',
      'lab-cp-3',
      'lab-w-1',
      'lab-w-2',
      'lab-w-3',
    ]);
    expect(started.credentials.username).toBe('admin');
    expect(started.credentials.password).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(started.credentialsRef).toBe('secret/lab-bmc');
    for (const [offset, entry] of started.machines.entries()) {
      expect(entry.bmc.host).toBe(`127.61.0.${offset + 1}`);
      expect(entry.sshAddress().host).toBe(`127.62.0.${offset + 1}`);
      expect(entry.bmc.address).toBe(`redfish+http://127.61.0.${offset + 1}:${entry.bmc.port}`);
      const root = await request(`${entry.bmc.url}/redfish/v1`);
      expect(root.status).toBe(200);
      expect(await request(`${entry.bmc.url}/redfish/v1/Systems/1`)).toMatchObject({ status: 401 });
      const system = await request(`${entry.bmc.url}/redfish/v1/Systems/1`, {
        headers: { authorization: basicAuth(started.credentials) },
      });
      expect(system.status).toBe(200);
      expect(system.body).toMatchObject({ PowerState: 'Off', SerialNumber: entry.machine.hardware.serial });
    }
    const wrong = await request(`${started.machines[0]?.bmc.url}/redfish/v1/Systems/1`, {
      headers: { authorization: basicAuth({ username: 'admin', password: 'not-it' }) },
    });
    expect(wrong.status).toBe(401);
  });

  it('generates a different password per lab unless one is given', async () => {
    const a = await lab({ machines: 1, bmcNetwork: '127.63', sshNetwork: '127.64' });
    const b = await lab({ machines: 1, bmcNetwork: '127.65', sshNetwork: '127.66' });
    expect(a.credentials.password).not.toBe(b.credentials.password);
    const given = await lab({
      machines: 1,
      bmcNetwork: '127.67',
      sshNetwork: '127.68',
      credentials: { username: 'ops', password: 'chosen-one' },
    });
    const system = await request(`${given.machines[0]?.bmc.url}/redfish/v1/Systems/1`, {
      headers: { authorization: basicAuth({ username: 'ops', password: 'chosen-one' }) },
    });
    expect(system.status).toBe(200);
  });

  it('exports an inventory that passes validateInventory, with expectations that match the hardware', async () => {
    const started = await lab({ machines: 4, storage: 1, bmcNetwork: '127.69', sshNetwork: '127.70' });
    const inventory = started.inventory();
    const validation = validateInventory(inventory);
    expect(validation.ok ? [] : validation.problems).toEqual([]);
    expect(inventory.machines[0]).toEqual({
      name: 'lab-cp-1',
      serial: started.machines[0]?.machine.hardware.serial,
      bmc: { address: started.machines[0]?.bmc.address, credentialsRef: 'secret/lab-bmc' },
      bootMac: started.machines[0]?.machine.bootMac,
      rack: 'lab-r1',
      position: 1,
      labels: { pool: 'control' },
      expect: { cpuCores: 16, memoryMiB: 131_072, disks: 4 },
    });
    expect(inventory.machines[3]).toMatchObject({
      name: 'lab-w-1',
      labels: { pool: 'worker' },
      expect: { cpuCores: 64, disks: 4 },
    });
    expect(inventory.machines[4]).toMatchObject({
      name: 'lab-st-1',
      position: 5,
      labels: { pool: 'storage' },
      expect: { disks: 10 },
    });
    // The YAML says the same thing, and validates too.
    const yaml = started.inventoryYaml();
    expect(yaml).toContain('bmc: { address: redfish+http://127.69.0.1:');
    expect(yaml).toMatch(/^# Machines of a Plinth lab/);
    expect(parse(yaml)).toEqual(inventory);
    expect(validateInventory(parse(yaml)).ok).toBe(true);
  });

  it('serves the DMTF mockups as two more machines, which share one identity as published', async () => {
    const started = await lab({ machines: 1, mockups: true, bmcNetwork: '127.71', sshNetwork: '127.72' });
    const [rackmount, localstorage] = started.machines.slice(1);
    expect(rackmount?.hardwareShape).toBe('dmtf-public-rackmount1');
    expect(localstorage?.hardwareShape).toBe('dmtf-public-localstorage');
    const system = await request(`${rackmount?.bmc.url}/redfish/v1/Systems/437XR1138R2`, {
      headers: { authorization: basicAuth(started.credentials) },
    });
    expect(system.status).toBe(200);
    expect(system.body).toMatchObject({ Manufacturer: 'Contoso', PowerState: 'Off' });
    // Both mockups capture the same Contoso server: same serial and NICs. The lab serves them as
    // published, so an inventory holding both has a duplicate boot MAC — and validation says so.
    const validation = validateInventory(started.inventory());
    expect(validation.ok).toBe(false);
    expect(validation.ok ? [] : validation.problems.map((problem) => problem.path)).toEqual([
      'machines[2].bootMac',
    ]);
    const one = await lab({
      topology: [
        {
          name: 'contoso-1',
          hardware: 'dmtf-public-localstorage',
          bmc: 'redfish',
          labels: { pool: 'mockup' },
        },
      ],
      bmcNetwork: '127.73',
      sshNetwork: '127.74',
    });
    const single = validateInventory(one.inventory());
    expect(single.ok ? [] : single.problems).toEqual([]);
    expect(one.inventory().machines[0]).toMatchObject({ serial: '437XR1138R2', expect: { disks: 4 } });
  });

  it('close stops every BMC and may be called again', async () => {
    const started = await lab({ machines: 2, bmcNetwork: '127.75', sshNetwork: '127.76' });
    const urls = started.machines.map((entry) => entry.bmc.url ?? '');
    const control = started.controlUrl;
    expect((await request(`${control}/healthz`)).status).toBe(200);
    await Promise.all([started.close(), started.close()]);
    await started.close();
    for (const url of [...urls, control]) expect(await refusesConnections(url), url).toBe(true);
  });

  it('stops what it started and names the machine when a BMC cannot start', async () => {
    // Something else holds machine 2's BMC address and port.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.77.0.2', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      await expect(
        startLab({
          machines: 3,
          bmcNetwork: '127.77',
          sshNetwork: '127.78',
          bmcPort: port,
          startConcurrency: 1,
        }),
      ).rejects.toThrow(
        new RegExp(
          `lab machine lab-cp-2: its redfish BMC did not start on 127\\.77\\.0\\.2:${port}: .*EADDRINUSE`,
        ),
      );
      expect(await refusesConnections(`http://127.77.0.1:${port}/redfish/v1`)).toBe(true);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('refuses bad options before starting anything', async () => {
    await expect(startLab({ machines: 1, bmcNetwork: '10.1' })).rejects.toThrow(/not a loopback network/);
    await expect(startLab({ machines: 1, bmcNetwork: '127.9', sshNetwork: '127.9' })).rejects.toThrow(
      /different networks/,
    );
    await expect(startLab({ machines: 1, bmcPort: 70_000 })).rejects.toThrow(/bmcPort: 70000 is not a port/);
    await expect(startLab({ machines: 1, netbootUrl: 'not a url' })).rejects.toThrow(/Invalid URL/);
    await expect(
      startLab({ machines: 1, ipmi: 1, credentials: { username: 'admin', password: 'x'.repeat(20) } }),
    ).rejects.toThrow(/at most 19 characters/);
  });
});
