import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment as TemporalMockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RenderedInstallConfig, RenderInstallConfigInput } from '@plinth/contracts';
import { BootConfigEntity } from '@plinth/db';
import { createTestDatabase, type TestDatabase } from '@plinth/db/testing';
import { createBootService, createInstallConfigService } from '@plinth/templates';
import {
  callbackTokenIn,
  configTokenIn,
  KEYS,
  PASSWORD_HASH,
  seedBootScenario,
  type BootScenario,
} from '@plinth/templates/testing';
import { createProvisionActivities } from './provision-activities';

/** The provisioning activities under Temporal's MockActivityEnvironment, over a real database. */
let db: TestDatabase;
let scenario: BootScenario;
let activities: ReturnType<typeof createProvisionActivities>;
const base = 'http://127.0.0.1:3000';

beforeAll(async () => {
  db = await createTestDatabase();
  scenario = await seedBootScenario(db.dataSource, {
    family: 'rocky',
    version: '9.4',
    machines: [
      { name: 'act-1', bootMac: '52:54:00:20:00:01', params: { passwordHash: 'secret/pw' } },
      { name: 'act-2', bootMac: '52:54:00:20:00:02' },
      { name: 'act-3', bootMac: '52:54:00:20:00:03', params: { passwordHash: 'secret/missing' } },
    ],
    sshPublicKeys: [KEYS.ops],
  });
  await scenario.secrets.put('pw', PASSWORD_HASH);
  activities = createProvisionActivities({
    installConfigs: createInstallConfigService({
      configs: scenario.configs,
      machines: scenario.machines,
      clusters: scenario.clusters,
      revealSecret: (ref) => scenario.secrets.reveal(ref),
      publicBaseUrl: base,
    }),
    configs: scenario.configs,
  });
});
afterAll(() => db.drop());

/** The SDK's mock environment, with its logger quiet below errors (an activity failure logs a warning). */
class MockActivityEnvironment extends TemporalMockActivityEnvironment {
  constructor(info: ConstructorParameters<typeof TemporalMockActivityEnvironment>[0] = {}) {
    super(info, { logger: new DefaultLogger('ERROR') });
  }
}

const input = (name: string): RenderInstallConfigInput => ({
  runId: scenario.runId,
  machineId: scenario.machine[name]!.id,
});
const render = (env: MockActivityEnvironment, value: RenderInstallConfigInput) =>
  env.run(activities.renderInstallConfig, value) as Promise<RenderedInstallConfig>;

describe('renderInstallConfig', () => {
  it('heartbeats, stores the rendering and returns only references (nothing secret crosses history)', async () => {
    const env = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const result = await render(env, input('act-1'));
    expect(heartbeats).toEqual([{ step: 'render' }]);
    expect(result).toMatchObject({
      installer: 'kickstart',
      reused: false,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    // What it stored is what the machine gets…
    const boot = createBootService({ configs: scenario.configs, publicBaseUrl: base });
    const configToken = configTokenIn(await boot.ipxeScript('52:54:00:20:00:01'));
    const kickstart = await boot.configFile(configToken, 'ks.cfg');
    if (kickstart.status !== 200) throw new Error('kickstart not served');
    expect(kickstart.body).toContain(`--password=${PASSWORD_HASH}`);
    // …and none of its secrets or tokens is in the result that goes into history.
    const history = JSON.stringify(result);
    for (const secret of [
      PASSWORD_HASH,
      KEYS.ops.split(' ')[1]!,
      configToken,
      callbackTokenIn(kickstart.body),
    ]) {
      expect(history).not.toContain(secret);
    }
  });

  it('is idempotent: a rerun returns the same rendering and stores nothing new', async () => {
    const first = await render(new MockActivityEnvironment(), input('act-2'));
    const rowsBefore = await db.dataSource.getRepository(BootConfigEntity).count();
    const again = await render(new MockActivityEnvironment({ attempt: 2 }), input('act-2'));
    expect(again).toEqual({ ...first, reused: true });
    expect(await db.dataSource.getRepository(BootConfigEntity).count()).toBe(rowsBefore);
  });

  it('stores nothing when cancelled mid-run', async () => {
    const env = new MockActivityEnvironment();
    env.on('heartbeat', () => env.cancel());
    const rowsBefore = await db.dataSource.getRepository(BootConfigEntity).count();
    await expect(
      env.run(activities.renderInstallConfig, { ...input('act-2'), bootAddress: { cidr: '10.20.0.99/24' } }),
    ).rejects.toBeInstanceOf(CancelledFailure);
    expect(await db.dataSource.getRepository(BootConfigEntity).count()).toBe(rowsBefore);
    expect(
      (await scenario.configs.current(scenario.runId, scenario.machine['act-2']!.id))?.inputHash,
    ).toBeDefined();
  });

  it('fails with a non-retryable SecretMissing naming the reference', async () => {
    const failure = await new MockActivityEnvironment()
      .run(activities.renderInstallConfig, input('act-3'))
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'SecretMissing',
      nonRetryable: true,
      message: expect.stringContaining('secret/missing'),
    });
  });
});

describe('installerReport', () => {
  it('is empty until the installer called back, then returns what it reported', async () => {
    const env = new MockActivityEnvironment();
    const rendered = await render(env, input('act-1'));
    expect(await env.run(activities.installerReport, { configId: rendered.configId })).toEqual({
      reported: false,
    });

    const boot = createBootService({ configs: scenario.configs, publicBaseUrl: base });
    const kickstart = await boot.configFile(
      configTokenIn(await boot.ipxeScript('52:54:00:20:00:01')),
      'ks.cfg',
    );
    if (kickstart.status !== 200) throw new Error('kickstart not served');
    const report = {
      mac: '52:54:00:20:00:01',
      hostname: 'act-1',
      sshHost: '10.20.0.61',
      sshPort: 22,
      hostKeySha256: `SHA256:${'b'.repeat(43)}`,
    };
    expect(await boot.callback(`Bearer ${callbackTokenIn(kickstart.body)}`, report)).toEqual({ status: 204 });
    expect(await env.run(activities.installerReport, { configId: rendered.configId })).toEqual({
      reported: true,
      report,
      reportedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });
});
