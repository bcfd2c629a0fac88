import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoleError } from '@plinth/contracts';
import { BootConfigEntity } from '@plinth/db';
import { createTestDatabase, type TestDatabase } from '@plinth/db/testing';
import { createBootService } from './boot-service';
import { createInstallConfigService, type InstallConfigService } from './install-config-service';
import { MASK } from './secrets';
import { callbackTokenIn, configTokenIn, seedBootScenario, type BootScenario } from './testing/boot-fixtures';
import { KEYS, PASSWORD_HASH } from './testing/install-cases';

/** Render-and-store and preview over a real PostgreSQL database. */
let db: TestDatabase;
let scenario: BootScenario;
let clock = new Date('2025-11-23T12:00:00Z');
const now = () => clock;
let service: InstallConfigService;
const base = 'http://127.0.0.1:3000';

beforeAll(async () => {
  db = await createTestDatabase();
  scenario = await seedBootScenario(db.dataSource, {
    family: 'ubuntu',
    version: '24.04',
    machines: [
      { name: 'cp-1', bootMac: '52:54:00:00:01:01', params: { passwordHash: 'secret/plinth-password' } },
      { name: 'w-1', bootMac: '52:54:00:00:02:01' },
    ],
    sshPublicKeys: [KEYS.ops, KEYS.oncall],
  });
  await scenario.secrets.put('plinth-password', PASSWORD_HASH);
  service = createInstallConfigService({
    configs: scenario.configs,
    machines: scenario.machines,
    clusters: scenario.clusters,
    revealSecret: (ref) => scenario.secrets.reveal(ref),
    publicBaseUrl: base,
    tokenTtlMs: 60 * 60 * 1000,
    now,
  });
});
afterAll(() => db.drop());

const machineId = (name: string) => scenario.machine[name]!.id;
const rows = () => db.dataSource.getRepository(BootConfigEntity).find();

describe('renderAndStore', () => {
  it('stores the rendering encrypted, with hashed tokens, and returns only an id, a hash and masked URLs', async () => {
    const result = await service.renderAndStore({ runId: scenario.runId, machineId: machineId('cp-1') });
    expect(result).toEqual({
      configId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      installer: 'autoinstall',
      reused: false,
      expiresAt: new Date(clock.getTime() + 3_600_000).toISOString(),
      urls: {
        ipxe: `${base}/boot/ipxe?mac=52:54:00:00:01:01`,
        installConfig: `${base}/boot/configs/${MASK}/`,
        callback: `${base}/boot/callback`,
      },
    });
    const [row] = await rows();
    expect(row).toMatchObject({
      id: result.configId,
      installer: 'autoinstall',
      osFamily: 'ubuntu',
      osVersion: '24.04',
    });
    expect(row!.configTokenHash).toMatch(/^[0-9a-f]{64}$/);
    // Nothing secret is readable in the row: not the keys, not the password hash.
    const stored = Buffer.concat([
      row!.ciphertext,
      Buffer.from(JSON.stringify({ ...row, ciphertext: undefined })),
    ]).toString('latin1');
    for (const secret of [KEYS.ops.split(' ')[1]!, PASSWORD_HASH, '#cloud-config'])
      expect(stored).not.toContain(secret);
  });

  it('returns the same rendering when called again with the same inputs (no new tokens)', async () => {
    const first = await service.renderAndStore({ runId: scenario.runId, machineId: machineId('w-1') });
    const hashesBefore = (await rows()).find((row) => row.id === first.configId)!.configTokenHash;
    const again = await service.renderAndStore({ runId: scenario.runId, machineId: machineId('w-1') });
    expect(again).toEqual({ ...first, reused: true });
    expect((await rows()).find((row) => row.id === first.configId)!.configTokenHash).toBe(hashesBefore);
    expect((await rows()).filter((row) => row.machineId === machineId('w-1'))).toHaveLength(1);
  });

  it('replaces the rendering when an input changes (a rotated secret), and the old token stops working', async () => {
    const boot = createBootService({
      configs: scenario.configs,
      publicBaseUrl: base,
      now,
      configCacheTtlMs: 0,
    });
    const first = await service.renderAndStore({ runId: scenario.runId, machineId: machineId('w-1') });
    const oldToken = configTokenIn(await boot.ipxeScript('52:54:00:00:02:01'));
    expect((await boot.configFile(oldToken, 'user-data')).status).toBe(200);

    await scenario.secrets.put('ops-keys', KEYS.site);
    const second = await service.renderAndStore({ runId: scenario.runId, machineId: machineId('w-1') });
    expect(second.configId).not.toBe(first.configId);
    expect(second.sha256).not.toBe(first.sha256);
    expect(second.reused).toBe(false);
    expect((await boot.configFile(oldToken, 'user-data')).status).toBe(403);
    const newToken = configTokenIn(await boot.ipxeScript('52:54:00:00:02:01'));
    const served = await boot.configFile(newToken, 'user-data');
    expect(served.status === 200 && served.body).toContain(KEYS.site);
    await scenario.secrets.put('ops-keys', [KEYS.ops, KEYS.oncall].join('\n'));
  });

  it('renders anew once the installer called back (a reinstall gets fresh tokens)', async () => {
    const boot = createBootService({
      configs: scenario.configs,
      publicBaseUrl: base,
      now,
      configCacheTtlMs: 0,
    });
    const first = await service.renderAndStore({ runId: scenario.runId, machineId: machineId('cp-1') });
    const config = await boot.configFile(
      configTokenIn(await boot.ipxeScript('52:54:00:00:01:01')),
      'user-data',
    );
    if (config.status !== 200) throw new Error('config not served');
    const report = {
      mac: '52:54:00:00:01:01',
      hostname: 'cp-1',
      sshHost: '127.0.0.9',
      sshPort: 22,
      hostKeySha256: `SHA256:${'A'.repeat(43)}`,
    };
    expect((await boot.callback(`Bearer ${callbackTokenIn(config.body)}`, report)).status).toBe(204);
    const second = await service.renderAndStore({ runId: scenario.runId, machineId: machineId('cp-1') });
    expect(second.reused).toBe(false);
    expect(second.configId).not.toBe(first.configId);
  });

  it('renders anew when less than half of the validity is left', async () => {
    const first = await service.renderAndStore({ runId: scenario.runId, machineId: machineId('w-1') });
    clock = new Date(clock.getTime() + 40 * 60 * 1000);
    const second = await service.renderAndStore({ runId: scenario.runId, machineId: machineId('w-1') });
    expect(second.configId).not.toBe(first.configId);
    expect(second.expiresAt).toBe(new Date(clock.getTime() + 3_600_000).toISOString());
  });

  it('fails with SecretMissing, naming the reference and where it is used, when a secret does not exist', async () => {
    await scenario.secrets.delete('plinth-password');
    const attempt = service.renderAndStore({ runId: scenario.runId, machineId: machineId('cp-1') });
    await expect(attempt).rejects.toMatchObject({
      code: 'SecretMissing',
      retryable: false,
      message: expect.stringContaining(
        'params.passwordHash references secret/plinth-password, which does not exist',
      ),
    });
    await scenario.secrets.put('plinth-password', PASSWORD_HASH);
  });

  it('fails with TemplateError for an unknown run or machine', async () => {
    await expect(
      service.renderAndStore({ runId: '00000000-0000-4000-8000-000000000000', machineId: machineId('cp-1') }),
    ).rejects.toMatchObject({ code: 'TemplateError', message: expect.stringContaining('does not exist') });
  });

  it('stores nothing when cancelled before the store', async () => {
    const before = (await rows()).map((row) => row.id).sort();
    const controller = new AbortController();
    controller.abort();
    await expect(
      service.renderAndStore(
        { runId: scenario.runId, machineId: machineId('w-1'), bootAddress: { cidr: '10.20.0.77/24' } },
        { signal: controller.signal },
      ),
    ).rejects.toThrow();
    expect((await rows()).map((row) => row.id).sort()).toEqual(before);
  });
});

describe('preview', () => {
  it('renders with secrets and tokens masked, in the cluster that selects the machine', async () => {
    const preview = await service.preview({ machine: 'cp-1' });
    expect(preview).toMatchObject({
      machine: 'cp-1',
      cluster: 'boot-test',
      role: 'control-plane',
      installer: 'autoinstall',
      maskedSecrets: ['secret/ops-keys', 'secret/plinth-password'],
      paramSources: { sshKeys: 'cluster', passwordHash: 'machine' },
    });
    expect(preview.files.map((file) => file.name)).toEqual(['boot.ipxe', 'user-data', 'meta-data']);
    const text = preview.files.map((file) => file.content).join('\n');
    expect(text).not.toContain(KEYS.ops.split(' ')[1]);
    expect(text).not.toContain(PASSWORD_HASH);
    expect(text).toContain(`password: "${MASK}"`);
    expect(text).toContain(`- "${MASK}"`);
    expect(text).toContain(`/boot/configs/${MASK}/`);
    expect(text).toContain(`Authorization: Bearer ${MASK}`);
    expect(text).not.toMatch(/[A-Za-z0-9_-]{43}/);
  });

  it('renders a machine in a spec that is not stored yet (for cluster plans), storing nothing', async () => {
    const stored = (await scenario.clusters.findByName('boot-test'))!.current.spec;
    const rowsBefore = (await rows()).length;
    const preview = await service.previewInSpec({
      machine: scenario.machine['w-1']!,
      spec: { ...stored, os: { family: 'rocky', version: '9.4' } },
      profileParams: undefined,
    });
    expect(preview).toMatchObject({ machine: 'w-1', role: 'worker', installer: 'kickstart' });
    expect(preview.files.map((file) => file.name)).toEqual(['boot.ipxe', 'ks.cfg']);
    expect(preview.files[1]!.content).toContain(`sshkey --username=plinth "${MASK}"`);
    expect((await rows()).length).toBe(rowsBefore);
  });

  it('explains what is missing when the machine or its cluster cannot be found', async () => {
    await expect(service.preview({ machine: 'nope' })).rejects.toThrow('No machine is named "nope".');
    await expect(service.preview({ machine: 'cp-1', cluster: 'other' })).rejects.toThrow(
      'No cluster is named "other".',
    );
    await scenario.machines.importMachines([
      {
        name: 'spare',
        bmc: { address: 'redfish+http://127.1.0.9:8000', credentialsRef: 'secret/lab-bmc' },
        bootMac: '52:54:00:00:09:01',
        labels: {},
      },
    ]);
    await expect(service.preview({ machine: 'spare' })).rejects.toThrow(/No cluster selects machine "spare"/);
    await expect(service.preview({ machine: 'spare', cluster: 'boot-test' })).rejects.toBeInstanceOf(
      RoleError,
    );
  });
});
