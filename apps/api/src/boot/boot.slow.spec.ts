import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BootConfigEntity } from '@plinth/db';
import { createTestDatabase, type TestDatabase } from '@plinth/testing';
import { BOOT_TOKEN_REJECTED, createInstallConfigService, MASK } from '@plinth/templates';
import {
  callbackTokenIn,
  configTokenIn,
  KEYS,
  PASSWORD_HASH,
  seedBootScenario,
  type BootScenario,
} from '@plinth/templates/testing';
import { startBootTestApi, type BootTestApi } from './testing/boot-test-api';

/**
 * The boot endpoints over HTTP, as a netbooting machine and its installer call them: public
 * routes guarded by one-time tokens, identical 403s, tokens kept out of the request log, and the
 * masked preview behind an API token.
 */
let db: TestDatabase;
let scenario: BootScenario;
let api: BootTestApi;
let mediaDir: string;
const events: unknown[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  scenario = await seedBootScenario(db.dataSource, {
    family: 'ubuntu',
    version: '24.04',
    machines: [
      { name: 'api-1', bootMac: '52:54:00:10:00:01', params: { passwordHash: 'secret/pw' } },
      { name: 'api-2', bootMac: '52:54:00:10:00:02' },
      { name: 'api-3', bootMac: '52:54:00:10:00:03' },
    ],
    sshPublicKeys: [KEYS.ops],
  });
  await scenario.secrets.put('pw', PASSWORD_HASH);
  mediaDir = mkdtempSync(join(tmpdir(), 'plinth-media-'));
  mkdirSync(join(mediaDir, 'ubuntu/24.04/casper'), { recursive: true });
  writeFileSync(join(mediaDir, 'ubuntu/24.04/casper/vmlinuz'), 'kernel bytes');
  api = await startBootTestApi(db, {
    secretKey: scenario.secretKey,
    mediaDir,
    configCacheTtlMs: 0,
    onInstallerCallback: { onInstallerCallback: async (event) => void events.push(event) },
  });
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
  rmSync(mediaDir, { recursive: true, force: true });
});

/** Renders as the worker's activity would (same public base URL), then fetches what the machine would. */
async function renderAndFetch(name: string) {
  const renderer = createInstallConfigService({
    configs: scenario.configs,
    machines: scenario.machines,
    clusters: scenario.clusters,
    revealSecret: (ref) => scenario.secrets.reveal(ref),
    publicBaseUrl: api.url,
  });
  const rendered = await renderer.renderAndStore({
    runId: scenario.runId,
    machineId: scenario.machine[name]!.id,
  });
  const mac = scenario.machine[name]!.bootMac;
  const script = await (await fetch(`${api.url}/boot/ipxe?mac=${encodeURIComponent(mac)}`)).text();
  const configToken = configTokenIn(script);
  const userData = await (await fetch(`${api.url}/boot/configs/${configToken}/user-data`)).text();
  return { rendered, mac, script, configToken, userData, callbackToken: callbackTokenIn(userData) };
}

const callback = (token: string | undefined, body: unknown) =>
  fetch(`${api.url}/boot/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
const report = (mac: string, hostname: string) => ({
  mac,
  hostname,
  sshHost: '127.77.0.9',
  sshPort: 22,
  hostKeySha256: 'SHA256:Yk9Hc1l2cUxHTmV5TDJqTmtLWUtSb0dBRkx1a0prSmc',
});

describe('the boot endpoints', () => {
  it('serve a machine its boot script and install config without an API token', async () => {
    const { script, configToken, userData, rendered } = await renderAndFetch('api-1');
    expect(script).toMatch(/^#!ipxe\n/);
    expect(script).toContain(`ds=nocloud-net;s=${api.url}/boot/configs/${configToken}/`);
    const response = await fetch(`${api.url}/boot/configs/${configToken}/user-data`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/cloud-config; charset=utf-8');
    expect(userData).toMatch(/^#cloud-config\n/);
    expect(userData).toContain(PASSWORD_HASH);
    const meta = await fetch(`${api.url}/boot/configs/${configToken}/meta-data`);
    expect(await meta.text()).toBe(`instance-id: "plinth-${rendered.configId}"\nlocal-hostname: "api-1"\n`);
    // cloud-init asks for vendor-data too: the token is valid, the file does not exist.
    expect((await fetch(`${api.url}/boot/configs/${configToken}/vendor-data`)).status).toBe(404);
  });

  it('answer an unknown MAC and a request without one with a 200 script that exits', async () => {
    for (const query of ['?mac=52%3A54%3A00%3A99%3A99%3A99', '', '?mac=%00%ff', '?mac=a&mac=b']) {
      const response = await fetch(`${api.url}/boot/ipxe${query}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await response.text()).toMatch(/^#!ipxe\necho Plinth: .*\nexit\n$/);
    }
  });

  it('refuse every bad token with the same 403 body: unknown, malformed, spent, expired', async () => {
    const { configToken, callbackToken, mac } = await renderAndFetch('api-2');
    const bodies: string[] = [];
    const expect403 = async (response: Response) => {
      expect(response.status).toBe(403);
      bodies.push(await response.text());
    };
    await expect403(await fetch(`${api.url}/boot/configs/${'A'.repeat(43)}/user-data`));
    await expect403(await fetch(`${api.url}/boot/configs/not-a-token/user-data`));
    await expect403(await fetch(`${api.url}/boot/configs/${callbackToken}/user-data`));
    await expect403(await callback(undefined, report(mac, 'api-2')));
    await expect403(await callback(configToken, report(mac, 'api-2')));

    expect((await callback(callbackToken, report(mac, 'api-2'))).status).toBe(204);
    await expect403(await callback(callbackToken, report(mac, 'api-2')));
    await expect403(await fetch(`${api.url}/boot/configs/${configToken}/user-data`));

    const expiring = await renderAndFetch('api-3');
    await db.dataSource
      .getRepository(BootConfigEntity)
      .update({ id: expiring.rendered.configId }, { expiresAt: new Date(Date.now() - 1000) });
    await expect403(await fetch(`${api.url}/boot/configs/${expiring.configToken}/user-data`));
    await expect403(await callback(expiring.callbackToken, report(expiring.mac, 'api-3')));

    expect(new Set(bodies)).toEqual(new Set([JSON.stringify(BOOT_TOKEN_REJECTED)]));
    expect(bodies).toHaveLength(9);
  });

  it('record the callback and hand it to the hook once, and the MAC then boots its disk', async () => {
    const { callbackToken, mac, rendered } = await renderAndFetch('api-1');
    const malformed = await callback(callbackToken, { mac, hostname: 'api-1' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'INVALID_INSTALLER_REPORT' });
    const before = events.length;
    expect((await callback(callbackToken, report(mac, 'api-1'))).status).toBe(204);
    expect(events.slice(before)).toEqual([
      {
        runId: scenario.runId,
        machineId: scenario.machine['api-1']!.id,
        configId: rendered.configId,
        report: report(mac, 'api-1'),
      },
    ]);
    expect((await scenario.configs.find(rendered.configId))?.callbackReport).toEqual(report(mac, 'api-1'));
    expect(await (await fetch(`${api.url}/boot/ipxe?mac=${mac}`)).text()).toContain('no install is pending');
  });

  it('keep tokens out of the request log', async () => {
    const { configToken, callbackToken, mac } = await renderAndFetch('api-3');
    await callback(callbackToken, report(mac, 'api-3'));
    const log = api.logLines.join('');
    expect(log).toContain(`/boot/configs/${MASK}/user-data`);
    expect(log).not.toContain(configToken);
    expect(log).not.toContain(callbackToken);
  });

  it('serve installer media from the media folder, and nothing outside it', async () => {
    const kernel = await fetch(`${api.url}/boot/media/ubuntu/24.04/casper/vmlinuz`);
    expect(kernel.status).toBe(200);
    expect(await kernel.text()).toBe('kernel bytes');
    for (const path of [
      'ubuntu/24.04/casper/initrd',
      '..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    ]) {
      const response = await fetch(`${api.url}/boot/media/${path}`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('root:');
    }
    expect(await (await fetch(`${api.url}/boot/media/nope`)).json()).toEqual({
      code: 'MEDIA_NOT_FOUND',
      message: 'No such installer media file.',
    });
  });
});

describe('the fast lane', () => {
  it('answers exactly as the Nest controller does, without going through Express', async () => {
    const nest = await startBootTestApi(db, {
      secretKey: scenario.secretKey,
      mediaDir,
      configCacheTtlMs: 0,
      fastLane: false,
    });
    try {
      const { configToken } = await renderAndFetch('api-3');
      const paths = [
        `/boot/ipxe?mac=${encodeURIComponent('52:54:00:10:00:03')}`,
        '/boot/ipxe?mac=52%3A54%3A00%3A99%3A99%3A99',
        '/boot/ipxe?mac=a&mac=b',
        '/boot/ipxe',
        `/boot/configs/${configToken}/user-data`,
        `/boot/configs/${configToken}/meta-data`,
        `/boot/configs/${configToken}/ks.cfg`,
        `/boot/configs/${'B'.repeat(43)}/user-data`,
        '/boot/configs/%zz/user-data',
      ];
      for (const path of paths) {
        const [fast, slow] = await Promise.all([fetch(`${api.url}${path}`), fetch(`${nest.url}${path}`)]);
        expect({
          path,
          status: fast.status,
          type: fast.headers.get('content-type'),
          body: await fast.text(),
        }).toEqual({
          path,
          status: slow.status,
          type: slow.headers.get('content-type'),
          body: (await slow.text()).replaceAll(nest.url, api.url),
        });
        // Express stamps its responses; the fast lane's come straight from Node's server.
        if (!path.includes('%zz')) expect(fast.headers.get('x-powered-by')).toBeNull();
        expect(slow.headers.get('x-powered-by')).toBe('Express');
      }
    } finally {
      await nest.close();
    }
  });
});

describe('the OpenAPI document', () => {
  it('describes every boot and templates operation; only the preview needs a bearer token', () => {
    const document = SwaggerModule.createDocument(api.app, new DocumentBuilder().addBearerAuth().build());
    // The whole API is served here; this test looks at the boot module's part of the document.
    const bootPaths = Object.entries(document.paths).filter(([path]) => /^\/(boot|templates)\//.test(path));
    const operations = bootPaths.flatMap(([path, methods]) =>
      Object.entries(
        methods as Record<string, { summary?: string; responses?: object; security?: unknown }>,
      ).map(([method, operation]) => ({ key: `${method} ${path}`, operation })),
    );
    expect(operations.map((entry) => entry.key).sort()).toEqual([
      'get /boot/configs/{token}/{file}',
      'get /boot/ipxe',
      'get /boot/media/{path}',
      'get /templates/render',
      'post /boot/callback',
    ]);
    for (const { key, operation } of operations) {
      expect(operation.summary, key).toBeTruthy();
      expect(Object.keys(operation.responses ?? {}).length, key).toBeGreaterThan(0);
      expect(Boolean(operation.security), key).toBe(key === 'get /templates/render');
    }
  });
});

describe('GET /templates/render', () => {
  it('needs an API token', async () => {
    expect((await fetch(`${api.url}/templates/render?machine=api-1`)).status).toBe(401);
  });

  it('shows the rendered files with secrets and tokens masked', async () => {
    const response = await fetch(`${api.url}/templates/render?machine=api-1`, {
      headers: { authorization: `Bearer ${api.adminToken}` },
    });
    expect(response.status).toBe(200);
    const preview = (await response.json()) as {
      files: { name: string; content: string }[];
      maskedSecrets: string[];
    };
    expect(preview.maskedSecrets).toEqual(['secret/ops-keys', 'secret/pw']);
    const text = JSON.stringify(preview);
    expect(text).not.toContain(PASSWORD_HASH);
    expect(text).not.toContain(KEYS.ops.split(' ')[1]);
    expect(text).toContain(MASK);
  });

  it('answers 400, 404 and 422 in operator words', async () => {
    const get = (query: string) =>
      fetch(`${api.url}/templates/render${query}`, {
        headers: { authorization: `Bearer ${api.adminToken}` },
      });
    expect((await get('')).status).toBe(400);
    expect(await (await get('?machine=ghost')).json()).toEqual({
      code: 'NOT_FOUND',
      message: 'No machine is named "ghost".',
      details: { machine: 'ghost' },
    });
    await scenario.secrets.delete('pw');
    const missing = await get('?machine=api-1');
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({
      code: 'SECRET_MISSING',
      message: expect.stringContaining('secret/pw'),
    });
    await scenario.secrets.put('pw', PASSWORD_HASH);
  });
});
