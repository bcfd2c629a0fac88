import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBootConfigRepository, createDataSource, BootConfigEntity } from '@plinth/db';
import { createTestDatabase, type TestDatabase } from '@plinth/db/testing';
import {
  BOOT_TOKEN_REJECTED,
  createBootService,
  normalizeMac,
  readReport,
  type InstallerCallbackHook,
} from './boot-service';
import { mintBootToken } from './boot-tokens';
import { createInstallConfigService, type InstallConfigService } from './install-config-service';
import { callbackTokenIn, configTokenIn, seedBootScenario, type BootScenario } from './testing/boot-fixtures';
import { KEYS } from './testing/install-cases';

/** The provisioner's public side over a real database: boot scripts by MAC, token-guarded files, the callback. */
let db: TestDatabase;
let scenario: BootScenario;
let renderer: InstallConfigService;
let clock = new Date('2025-11-23T12:00:00Z');
const now = () => clock;
const base = 'http://127.0.0.1:3000';
const rejected = { status: 403, body: BOOT_TOKEN_REJECTED };
const report = (mac: string, hostname: string) => ({
  mac,
  hostname,
  sshHost: '127.77.0.5',
  sshPort: 2222,
  hostKeySha256: 'SHA256:Yk9Hc1l2cUxHTmV5TDJqTmtLWUtSb0dBRkx1a0prSmc',
});

beforeAll(async () => {
  db = await createTestDatabase();
  scenario = await seedBootScenario(db.dataSource, {
    family: 'debian',
    version: '12',
    machines: [
      { name: 'd-1', bootMac: '52:54:00:00:03:01' },
      { name: 'd-2', bootMac: '52:54:00:00:03:02' },
      { name: 'd-3', bootMac: '52:54:00:00:03:03' },
      { name: 'd-4', bootMac: '52:54:00:00:03:04' },
    ],
    sshPublicKeys: [KEYS.ops],
  });
  renderer = createInstallConfigService({
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

async function pending(
  name: string,
  service = createBootService({ configs: scenario.configs, publicBaseUrl: base, now }),
) {
  await renderer.renderAndStore({ runId: scenario.runId, machineId: scenario.machine[name]!.id });
  const script = await service.ipxeScript(scenario.machine[name]!.bootMac);
  const configToken = configTokenIn(script);
  const preseed = await service.configFile(configToken, 'preseed.cfg');
  if (preseed.status !== 200) throw new Error(`preseed not served: ${preseed.status}`);
  return {
    service,
    script,
    configToken,
    callbackToken: callbackTokenIn(preseed.body),
    preseed: preseed.body,
  };
}

describe('GET /boot/ipxe?mac=', () => {
  it('serves the pending rendering’s script to its MAC, in any spelling iPXE sends', async () => {
    const { service, script } = await pending('d-1');
    expect(script).toMatch(/^#!ipxe\n/);
    expect(script).toContain('url=http://127.0.0.1:3000/boot/configs/');
    for (const spelling of [
      '52:54:00:00:03:01',
      '52-54-00-00-03-01',
      '525400000301',
      '52:54:00:00:03:01'.toUpperCase(),
    ]) {
      expect(await service.ipxeScript(spelling)).toBe(script);
    }
  });

  it('answers an unknown MAC, a machine with nothing to install and a garbled MAC with a script that exits', async () => {
    const service = createBootService({ configs: scenario.configs, publicBaseUrl: base, now });
    expect(await service.ipxeScript('52:54:00:99:99:99')).toBe(
      '#!ipxe\necho Plinth: no machine with boot MAC 52:54:00:99:99:99 is registered; nothing to install\nexit\n',
    );
    expect(await service.ipxeScript('52:54:00:00:03:04')).toContain(
      'no install is pending for 52:54:00:00:03:04',
    );
    for (const garbled of [undefined, '', 'x'.repeat(5000), ['52:54:00:00:03:01'], '52:54:00:00:03:01${x}']) {
      expect(await service.ipxeScript(garbled)).toContain('did not carry a MAC address');
    }
  });

  it('answers with a wait-and-retry script when the database cannot be reached', async () => {
    // A database that went away: its connections are closed under the repository.
    const broken = createDataSource(db.url, { poolSize: 1 });
    await broken.initialize();
    const configs = createBootConfigRepository(broken, scenario.secretKey);
    await broken.destroy();
    const errors: string[] = [];
    const service = createBootService({
      configs,
      publicBaseUrl: base,
      onError: (_error, what) => errors.push(what),
    });
    const script = await service.ipxeScript('52:54:00:00:03:01');
    expect(script).toBe(
      '#!ipxe\necho Plinth: the provisioner cannot answer right now; asking again in 10 seconds\nsleep 10\nchain http://127.0.0.1:3000/boot/ipxe?mac=52:54:00:00:03:01\n',
    );
    expect(errors).toEqual(['boot script lookup']);
  });
});

describe('GET /boot/configs/<token>/<file>', () => {
  it('serves the installer’s files while the token is valid, as often as it asks', async () => {
    const { service, configToken, preseed } = await pending('d-2');
    expect(preseed).toContain('d-i netcfg/choose_interface select 52:54:00:00:03:02');
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await service.configFile(configToken, 'preseed.cfg')).toEqual({
        status: 200,
        contentType: 'text/plain; charset=utf-8',
        body: preseed,
      });
    }
    for (const other of ['user-data', '__proto__', 'constructor', 'toString']) {
      expect(await service.configFile(configToken, other)).toMatchObject({
        status: 404,
        body: { code: 'BOOT_FILE_NOT_FOUND' },
      });
    }
    // The boot script is the MAC's to fetch, not the token's.
    expect((await service.configFile(configToken, 'boot.ipxe')).status).toBe(404);
  });

  it('refuses an unknown, malformed, expired or spent token with the same 403', async () => {
    const { service, configToken, callbackToken } = await pending('d-3');
    expect(await service.configFile(mintBootToken(), 'preseed.cfg')).toEqual(rejected);
    expect(await service.configFile('short', 'preseed.cfg')).toEqual(rejected);
    expect(await service.configFile(`${configToken.slice(0, -1)}!`, 'preseed.cfg')).toEqual(rejected);
    // The callback token does not open the config.
    expect(await service.configFile(callbackToken, 'preseed.cfg')).toEqual(rejected);

    const saved = clock;
    clock = new Date(clock.getTime() + 61 * 60 * 1000);
    expect(await service.configFile(configToken, 'preseed.cfg')).toEqual(rejected);
    expect(await service.ipxeScript('52:54:00:00:03:03')).toContain('no install is pending');
    clock = saved;

    expect((await service.configFile(configToken, 'preseed.cfg')).status).toBe(200);
    expect(
      (await service.callback(`Bearer ${callbackToken}`, report('52:54:00:00:03:03', 'd-3'))).status,
    ).toBe(204);
    // Spent: evicted from the cache at once, and the MAC now boots its disk.
    expect(await service.configFile(configToken, 'preseed.cfg')).toEqual(rejected);
    expect(await service.ipxeScript('52:54:00:00:03:03')).toContain('no install is pending');
  });

  it('answers from memory within the cache TTL, and reads the database again after it', async () => {
    const { service, configToken } = await pending('d-4');
    // Another process replaces the rendering: this one's cache may serve the old one for at most its TTL.
    await db.dataSource
      .getRepository(BootConfigEntity)
      .update({ machineId: scenario.machine['d-4']!.id }, { expiresAt: new Date(clock.getTime() - 1) });
    expect((await service.configFile(configToken, 'preseed.cfg')).status).toBe(200);
    clock = new Date(clock.getTime() + 2001);
    expect(await service.configFile(configToken, 'preseed.cfg')).toEqual(rejected);
    const uncached = createBootService({
      configs: scenario.configs,
      publicBaseUrl: base,
      now,
      configCacheTtlMs: 0,
    });
    expect(await uncached.configFile(configToken, 'preseed.cfg')).toEqual(rejected);
  });

  it('re-checks every cached token in the background, so an entry spent elsewhere goes before its TTL', async () => {
    const { service, configToken, callbackToken } = await pending('d-1');
    // The installer calls back through another API process: this one still has the config cached.
    const other = createBootService({ configs: scenario.configs, publicBaseUrl: base, now });
    expect((await other.callback(`Bearer ${callbackToken}`, report('52:54:00:00:03:01', 'd-1'))).status).toBe(
      204,
    );
    expect((await service.configFile(configToken, 'preseed.cfg')).status).toBe(200);
    // Past half the TTL, the next hit starts one query that re-checks every cached token…
    clock = new Date(clock.getTime() + 1001);
    expect((await service.configFile(configToken, 'preseed.cfg')).status).toBe(200);
    // …and once it has answered, the spent token is refused, still within the TTL.
    const deadline = Date.now() + 5000;
    let answer = await service.configFile(configToken, 'preseed.cfg');
    while (answer.status === 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      answer = await service.configFile(configToken, 'preseed.cfg');
    }
    expect(answer).toEqual(rejected);
  });
});

describe('POST /boot/callback', () => {
  it('records the report once; any other attempt gets the same 403', async () => {
    const events: unknown[] = [];
    const hook: InstallerCallbackHook = { onInstallerCallback: async (event) => void events.push(event) };
    const service = createBootService({ configs: scenario.configs, publicBaseUrl: base, now, hook });
    const { callbackToken } = await pending('d-1', service);
    expect(await service.callback(undefined, report('52:54:00:00:03:01', 'd-1'))).toEqual(rejected);
    expect(await service.callback(`Basic ${callbackToken}`, report('52:54:00:00:03:01', 'd-1'))).toEqual(
      rejected,
    );
    expect(await service.callback(`Bearer ${mintBootToken()}`, report('52:54:00:00:03:01', 'd-1'))).toEqual(
      rejected,
    );

    expect(await service.callback(`Bearer ${callbackToken}`, report('52:54:00:00:03:01', 'd-1'))).toEqual({
      status: 204,
    });
    const record = await scenario.configs.current(scenario.runId, scenario.machine['d-1']!.id);
    expect(record?.callbackReport).toEqual(report('52:54:00:00:03:01', 'd-1'));
    expect(record?.callbackUsedAt).toEqual(clock);
    expect(events).toEqual([
      {
        runId: scenario.runId,
        machineId: scenario.machine['d-1']!.id,
        configId: record?.id,
        report: report('52:54:00:00:03:01', 'd-1'),
      },
    ]);

    expect(await service.callback(`Bearer ${callbackToken}`, report('52:54:00:00:03:01', 'd-1'))).toEqual(
      rejected,
    );
    expect(events).toHaveLength(1);
  });

  it('refuses a malformed report or one for another MAC with a 400, and the token stays valid', async () => {
    const { service, callbackToken } = await pending('d-2');
    const bad = await service.callback(`Bearer ${callbackToken}`, { mac: 'nope', sshPort: 0, extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.status === 400 && bad.body.details.problems.map((problem) => problem.path)).toEqual([
      'mac',
      'hostname',
      'sshHost',
      'sshPort',
      'hostKeySha256',
      'extra',
    ]);
    const other = await service.callback(`Bearer ${callbackToken}`, report('52:54:00:00:03:01', 'd-2'));
    expect(other).toMatchObject({
      status: 400,
      body: { message: 'The installer report names another machine; the callback was not recorded.' },
    });
    expect(await service.callback(`Bearer ${callbackToken}`, report('52:54:00:00:03:02', 'd-2'))).toEqual({
      status: 204,
    });
  });

  it('lets exactly one of many concurrent callbacks with one token through', async () => {
    let delivered = 0;
    const service = createBootService({
      configs: scenario.configs,
      publicBaseUrl: base,
      now,
      hook: { onInstallerCallback: async () => void delivered++ },
    });
    const { callbackToken } = await pending('d-3', service);
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        service.callback(`Bearer ${callbackToken}`, report('52:54:00:00:03:03', 'd-3')),
      ),
    );
    expect(results.filter((result) => result.status === 204)).toHaveLength(1);
    expect(results.filter((result) => result.status === 403)).toHaveLength(7);
    expect(delivered).toBe(1);
  });

  it('answers 503 and records nothing when the hook fails, so the installer’s retry succeeds', async () => {
    let failures = 1;
    const service = createBootService({
      configs: scenario.configs,
      publicBaseUrl: base,
      now,
      hook: {
        onInstallerCallback: async () => {
          if (failures-- > 0) throw new Error('Temporal is unreachable');
        },
      },
    });
    const { callbackToken } = await pending('d-4', service);
    expect(
      await service.callback(`Bearer ${callbackToken}`, report('52:54:00:00:03:04', 'd-4')),
    ).toMatchObject({
      status: 503,
      body: { code: 'CALLBACK_NOT_DELIVERED' },
    });
    expect(
      (await scenario.configs.current(scenario.runId, scenario.machine['d-4']!.id))?.callbackUsedAt,
    ).toBeNull();
    expect(await service.callback(`Bearer ${callbackToken}`, report('52:54:00:00:03:04', 'd-4'))).toEqual({
      status: 204,
    });
  });

  it('refuses an expired callback token', async () => {
    const { service, callbackToken } = await pending('d-2');
    clock = new Date(clock.getTime() + 2 * 60 * 60 * 1000);
    expect(await service.callback(`Bearer ${callbackToken}`, report('52:54:00:00:03:02', 'd-2'))).toEqual(
      rejected,
    );
  });
});

describe('input readers', () => {
  it('normalises MACs and rejects anything else', () => {
    expect(normalizeMac('52%3A54'.replace('%3A', ':') + ':00:AA:bb:01')).toBe('52:54:00:aa:bb:01');
    expect(normalizeMac('52:54:00:aa:bb')).toBeUndefined();
    expect(normalizeMac(42)).toBeUndefined();
  });

  it('reads the report the lab’s installer posts', () => {
    expect(readReport(report('52:54:00:AA:00:01', 'h'))).toEqual({
      ok: true,
      report: report('52:54:00:aa:00:01', 'h'),
    });
    expect(readReport([])).toEqual({ ok: false, problems: [{ path: '', message: 'must be a JSON object' }] });
  });
});
