import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/test-api';

const exampleInventory = readFileSync(resolve(__dirname, '../../../../examples/inventory.yaml'), 'utf8');
type Problems = { code: string; details: { problems: { path: string; message: string }[] } };

describe('machines API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  const importYaml = (body: string): Promise<Response> =>
    api.call('POST', '/machines/import', { token: api.tokens.write, body, contentType: 'application/yaml' });

  it('refuses an inventory whose BMC credentials are not stored yet, naming each path', async () => {
    const response = await importYaml(exampleInventory);
    expect(response.status).toBe(400);
    const body = (await response.json()) as Problems;
    expect(body.code).toBe('INVALID_INVENTORY');
    expect(body.details.problems[0]).toEqual({
      path: 'machines[0].bmc.credentialsRef',
      message: 'secret/lab-bmc does not exist; create it with POST /secrets first',
    });
    expect(
      (await (await api.call('GET', '/machines', { token: api.tokens.read })).json()) as unknown[],
    ).toEqual([]);
  });

  it('imports the example inventory as YAML, then updates it in place', async () => {
    const secret = await api.call('POST', '/secrets', {
      token: api.tokens.write,
      body: { name: 'lab-bmc', value: 'admin:password' },
    });
    expect(secret.status).toBe(201);
    const first = await importYaml(exampleInventory);
    expect(first.status).toBe(201);
    const created = (await first.json()) as { created: string[]; updated: string[] };
    expect(created.created).toHaveLength(6);
    expect(created.updated).toEqual([]);
    const again = (await (await importYaml(exampleInventory)).json()) as {
      created: string[];
      updated: string[];
    };
    expect(again).toEqual({ created: [], updated: created.created });
  });

  it('lists with a label filter and shows one machine, credentials only by reference', async () => {
    const control = (await (
      await api.call('GET', '/machines?label=pool=control', { token: api.tokens.read })
    ).json()) as {
      name: string;
    }[];
    expect(control.map((m) => m.name)).toEqual(['lab-cp-1', 'lab-cp-2', 'lab-cp-3']);
    const one = await api.call('GET', '/machines/lab-cp-1', { token: api.tokens.read });
    expect(one.status).toBe(200);
    const text = await one.text();
    expect(JSON.parse(text)).toMatchObject({
      name: 'lab-cp-1',
      bmc: { credentialsRef: 'secret/lab-bmc' },
      labels: { pool: 'control' },
    });
    expect(text).not.toContain('admin:password');
    const missing = await api.call('GET', '/machines/nope', { token: api.tokens.read });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'MACHINE_NOT_FOUND' });
  });

  it('reports every problem of a bad inventory at once, and writes nothing', async () => {
    const response = await api.call('POST', '/machines/import', {
      token: api.tokens.write,
      body: {
        machines: [
          {
            name: 'Bad_Name',
            bmc: { address: 'ftp://x', credentialsRef: 'secret/lab-bmc' },
            bootMac: 'nope',
          },
          {
            name: 'ok-1',
            bmc: { address: 'ipmi://127.0.0.1', credentialsRef: 'secret/lab-bmc' },
            bootMac: '52:54:00:aa:00:01',
            extra: 1,
          },
        ],
      },
    });
    expect(response.status).toBe(400);
    const paths = ((await response.json()) as Problems).details.problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'machines[0].name',
        'machines[0].bmc.address',
        'machines[0].bootMac',
        'machines[1].extra',
      ]),
    );
    expect((await api.call('GET', '/machines/ok-1', { token: api.tokens.read })).status).toBe(404);
  });

  it('answers invalid YAML with its line, and a boot MAC owned by another machine with 409', async () => {
    const broken = await importYaml('machines:\n  - name: [unclosed\n');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as Problems).details.problems[0]!.message).toMatch(/line \d+/);
    const stolen = exampleInventory.replace('name: lab-cp-1', 'name: lab-thief');
    const conflict = await importYaml(stolen);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ code: 'BOOT_MAC_IN_USE' });
  });

  const csvHeader = 'name,bmc_address,bmc_credentials,boot_mac,rack,position,labels,expect_cpu_cores';
  const importCsv = (body: string): Promise<Response> =>
    api.call('POST', '/machines/import', { token: api.tokens.write, body, contentType: 'text/csv' });

  it('imports CSV in one transaction: one bad row rejects all with per-row errors', async () => {
    const bad = [
      csvHeader,
      'csv-1,redfish+http://127.0.0.1:19001,secret/lab-bmc,52:54:00:30:00:01,r2,1,pool=csv,8',
      'csv-2,redfish+http://127.0.0.1:19002,secret/lab-bmc,52:54:00:30:00:zz,r2,2,pool=csv,8',
    ].join('\n');
    const rejected = await importCsv(bad);
    expect(rejected.status).toBe(400);
    const problems = ((await rejected.json()) as Problems).details.problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^line 3 \(csv-2\): boot_mac: /);
    expect((await api.call('GET', '/machines/csv-1', { token: api.tokens.read })).status).toBe(404);

    const good = await importCsv(bad.replace('52:54:00:30:00:zz', '52:54:00:30:00:02'));
    expect(good.status).toBe(201);
    expect(await good.json()).toEqual({ created: ['csv-1', 'csv-2'], updated: [] });
    const listed = (await (
      await api.call('GET', '/machines?label=pool=csv', { token: api.tokens.read })
    ).json()) as { name: string; position: number; expect: { cpuCores: number } }[];
    expect(listed.map((m) => [m.name, m.position, m.expect.cpuCores])).toEqual([
      ['csv-1', 1, 8],
      ['csv-2', 2, 8],
    ]);
    const unknownColumn = await importCsv('name,colour\nx,red\n');
    expect(unknownColumn.status).toBe(400);
  });

  it('creates, replaces and deletes single machines', async () => {
    const machine = {
      name: 'single-1',
      bmc: { address: 'ipmi://127.0.0.1:19623', credentialsRef: 'secret/lab-bmc' },
      bootMac: '52:54:00:40:00:01',
      labels: { pool: 'single' },
    };
    const created = await api.call('POST', '/machines', { token: api.tokens.write, body: machine });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      name: 'single-1',
      bmc: { address: 'ipmi://127.0.0.1:19623' },
    });
    const again = await api.call('POST', '/machines', { token: api.tokens.write, body: machine });
    expect(again.status).toBe(409);
    expect(((await again.json()) as Problems).code).toBe('MACHINE_EXISTS');

    const invalidOne = await api.call('POST', '/machines', {
      token: api.tokens.write,
      body: { ...machine, name: 'single-2', bootMac: 'nope' },
    });
    expect(invalidOne.status).toBe(400);
    expect(((await invalidOne.json()) as Problems).details.problems.map((p) => p.path)).toEqual(['bootMac']);

    const replaced = await api.call('PUT', '/machines/single-1', {
      token: api.tokens.write,
      body: { ...machine, name: undefined, rack: 'r9' },
    });
    expect(replaced.status).toBe(200);
    expect(await replaced.json()).toMatchObject({ name: 'single-1', rack: 'r9' });
    const mismatch = await api.call('PUT', '/machines/single-1', {
      token: api.tokens.write,
      body: { ...machine, name: 'other' },
    });
    expect(mismatch.status).toBe(400);
    const createdByPut = await api.call('PUT', '/machines/single-3', {
      token: api.tokens.write,
      body: { ...machine, name: undefined, bootMac: '52:54:00:40:00:03' },
    });
    expect(createdByPut.status).toBe(201);

    expect((await api.call('DELETE', '/machines/single-1', { token: api.tokens.write })).status).toBe(204);
    expect((await api.call('GET', '/machines/single-1', { token: api.tokens.read })).status).toBe(404);
    const gone = await api.call('DELETE', '/machines/single-1', { token: api.tokens.write });
    expect(gone.status).toBe(404);
    expect((await api.call('DELETE', '/machines/single-3', { token: api.tokens.read })).status).toBe(403);
  });

  it('rotates a secret without ever returning its value', async () => {
    const rotated = await api.call('PUT', '/secrets/lab-bmc', {
      token: api.tokens.write,
      body: { value: 'admin:rotated-value-91c' },
    });
    expect(rotated.status).toBe(200);
    const text = await rotated.text();
    expect(text).toContain('secret/lab-bmc');
    expect(text).not.toContain('rotated-value-91c');
    const missing = await api.call('PUT', '/secrets/nope', { token: api.tokens.write, body: { value: 'x' } });
    expect(missing.status).toBe(404);
    const extra = await api.call('PUT', '/secrets/lab-bmc', {
      token: api.tokens.write,
      body: { value: 'x', name: 'y' },
    });
    expect(extra.status).toBe(400);
    for (const line of api.logLines) expect(line).not.toContain('rotated-value-91c');
  });
});
