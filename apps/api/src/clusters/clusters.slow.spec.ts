import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../testing/test-api';

const examples = resolve(__dirname, '../../../../examples');
const inventoryYaml = readFileSync(`${examples}/inventory.yaml`, 'utf8');
const clusterYaml = readFileSync(`${examples}/cluster.yaml`, 'utf8');
type Problems = { code: string; details: { problems: { path: string; message: string }[] } };

describe('clusters API', () => {
  let api: TestApi;
  const yaml = (method: string, path: string, body: string): Promise<Response> =>
    api.call(method, path, { token: api.tokens.write, body, contentType: 'application/yaml' });
  const get = async <T>(path: string): Promise<T> =>
    (await api.call('GET', path, { token: api.tokens.read })).json() as Promise<T>;

  beforeAll(async () => {
    api = await startTestApi();
    await api.call('POST', '/secrets', {
      token: api.tokens.write,
      body: { name: 'lab-bmc', value: 'admin:password' },
    });
  });
  afterAll(async () => api.close());

  it('publishes the JSON Schemas without a token', async () => {
    const schema = await fetch(`${api.url}/schemas/cluster.json`);
    expect(schema.status).toBe(200);
    expect(((await schema.json()) as { $schema: string }).$schema).toContain('2020-12');
    expect((await fetch(`${api.url}/schemas/inventory.json`)).status).toBe(200);
  });

  it('refuses a spec whose machines are not in the inventory, with paths', async () => {
    const response = await yaml('POST', '/clusters', clusterYaml);
    expect(response.status).toBe(400);
    const body = (await response.json()) as Problems;
    expect(body.code).toBe('INVALID_CLUSTER_SPEC');
    expect(body.details.problems.map((p) => p.path)).toContain('machines[0].select');
  });

  it('applies the example cluster, then is idempotent, then records a changed spec as a new revision', async () => {
    expect((await yaml('POST', '/machines/import', inventoryYaml)).status).toBe(201);
    const first = await yaml('POST', '/clusters', clusterYaml);
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ name: 'lab-1', revision: 1, created: true, changed: true });
    const same = await yaml('POST', '/clusters', clusterYaml);
    expect(same.status).toBe(200);
    expect(await same.json()).toMatchObject({ revision: 1, created: false, changed: false });
    const changed = await yaml('POST', '/clusters', clusterYaml.replace('maxParallel: 20', 'maxParallel: 2'));
    expect(await changed.json()).toMatchObject({ revision: 2, changed: true });

    const shown = await get<{
      revision: number;
      revisions: { revision: number }[];
      spec: { rollout: { maxParallel: number } };
    }>('/clusters/lab-1');
    expect(shown.revision).toBe(2);
    expect(shown.revisions.map((r) => r.revision)).toEqual([2, 1]);
    expect(shown.spec.rollout.maxParallel).toBe(2);
    const old = await get<{ spec: { rollout: { maxParallel: number } } }>('/clusters/lab-1/revisions/1');
    expect(old.spec.rollout.maxParallel).toBe(20);
    expect((await api.call('GET', '/clusters/lab-1/revisions/9', { token: api.tokens.read })).status).toBe(
      404,
    );
  });

  it('plans every machine with its role and params merged profile → cluster → machine', async () => {
    expect(
      (
        await api.call('PUT', '/profiles/hardened', {
          token: api.tokens.write,
          body: { params: { timezone: 'Europe/Paris', sshd: { passwordAuth: false } } },
        })
      ).status,
    ).toBe(200);
    await yaml(
      'POST',
      '/clusters',
      clusterYaml.replace(
        'os: { family: ubuntu, version: "24.04" }',
        'os: { family: ubuntu, version: "24.04" }\nprofile: hardened',
      ),
    );
    const { plan } = await get<{
      plan: {
        installer: string;
        byRole: Record<string, string[]>;
        machines: { name: string; params: Record<string, unknown>; paramSources: Record<string, string> }[];
        phases: string[];
      };
    }>('/clusters/lab-1/plan');
    expect(plan.installer).toBe('autoinstall');
    expect(plan.byRole['control-plane']).toEqual(['lab-cp-1', 'lab-cp-2', 'lab-cp-3']);
    expect(plan.byRole.worker).toEqual(['lab-w-1', 'lab-w-2', 'lab-w-3']);
    const cp1 = plan.machines.find((m) => m.name === 'lab-cp-1')!;
    expect(cp1.params).toEqual({ timezone: 'UTC', sshd: { passwordAuth: false } });
    expect(cp1.paramSources).toEqual({ timezone: 'cluster', sshd: 'profile' });
    expect(plan.phases.some((p) => p.includes('wait for approval'))).toBe(true);
    type Rendered = Record<
      string,
      { installer?: string; maskedSecrets?: string[]; files?: { content: string }[]; error?: string }
    >;
    const unrenderable = (await get<{ installConfigs: Rendered }>('/clusters/lab-1/plan?render=true'))
      .installConfigs;
    expect(unrenderable['lab-w-1']?.error).toContain(
      'params.sshKeys: must list at least one OpenSSH public key',
    );
    expect((await get<{ installConfigs?: unknown }>('/clusters/lab-1/plan')).installConfigs).toBeUndefined();
    expect(
      (await api.call('GET', '/clusters/lab-1/plan?render=yes', { token: api.tokens.read })).status,
    ).toBe(400);
    const posted = await api.call('POST', '/clusters/lab-1/plan', { token: api.tokens.read });
    expect(posted.status).toBe(200);
    expect(((await posted.json()) as { plan: unknown }).plan).toEqual(plan);
  });

  it("previews every machine's install config with secrets masked", async () => {
    const publicKey =
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMl6bWzQ3cnbbbuBfa2+0n5ZsGsGhF3Pz1y8WcN4hRu7 ops@plinth';
    await api.call('POST', '/secrets', {
      token: api.tokens.write,
      body: { name: 'ops-keys', value: publicKey },
    });
    const withKeys = clusterYaml.replace(
      'params: { timezone: UTC }',
      'params: { timezone: UTC, sshKeys: [secret/ops-keys] }',
    );
    expect(withKeys).not.toBe(clusterYaml);
    expect((await yaml('POST', '/clusters', withKeys)).status).toBe(200);
    const { installConfigs } = await get<{
      installConfigs: Record<
        string,
        { installer: string; maskedSecrets: string[]; files: { content: string }[] }
      >;
    }>('/clusters/lab-1/plan?render=true');
    expect(Object.keys(installConfigs).sort()).toEqual([
      'lab-cp-1',
      'lab-cp-2',
      'lab-cp-3',
      'lab-w-1',
      'lab-w-2',
      'lab-w-3',
    ]);
    const worker = installConfigs['lab-w-1']!;
    expect(worker.installer).toBe('autoinstall');
    expect(worker.maskedSecrets).toContain('secret/ops-keys');
    const text = worker.files.map((file) => file.content).join('\n');
    expect(text).toContain('********');
    expect(text).not.toContain('AAAAC3NzaC1lZDI1NTE5AAAAIMl6bWzQ3cnbbbuBfa2');
  });

  it('reports a missing profile and every spec problem at once', async () => {
    const response = await yaml(
      'POST',
      '/clusters',
      clusterYaml.replace('name: lab-1', 'name: lab-2\nprofile: nope').replace('id: 120', 'id: 5000'),
    );
    expect(response.status).toBe(400);
    const problems = ((await response.json()) as Problems).details.problems;
    expect(problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'network.vlans[0].id' })]),
    );
    const missingProfile = await yaml(
      'POST',
      '/clusters',
      clusterYaml.replace('name: lab-1', 'name: lab-3\nprofile: nope'),
    );
    expect(((await missingProfile.json()) as Problems).details.problems).toContainEqual({
      path: 'profile',
      message: 'no profile is named "nope"; create it with PUT /profiles/nope',
    });
    expect((await api.call('GET', '/clusters/lab-3', { token: api.tokens.read })).status).toBe(404);
  });
});
