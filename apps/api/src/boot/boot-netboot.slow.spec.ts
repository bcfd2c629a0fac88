import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHardware, generateHostKey, HostSimulator, LabMachine, LabWorld, sshExec } from '@plinth/lab';
import { createTestDatabase, type TestDatabase } from '@plinth/testing';
import { createInstallConfigService } from '@plinth/templates';
import {
  configTokenIn,
  callbackTokenIn,
  seedBootScenario,
  type BootScenario,
} from '@plinth/templates/testing';
import type { OsFamily } from '@plinth/domain';
import { startBootTestApi, type BootTestApi } from './testing/boot-test-api';

/**
 * End to end with the lab: a lab machine (LabMachine + HostSimulator) powered on with a one-time
 * PXE override netboots against the real provisioner — iPXE script by MAC, kernel and initrd from
 * the media folder, the rendered autoinstall / preseed / kickstart — installs, calls back (recorded;
 * the token is then spent), and its SSH server accepts the key rendered into its config.
 */
const operator = generateHostKey('ops@plinth');
const stranger = generateHostKey('stranger@elsewhere');
const world = new LabWorld();
const started: { machine: LabMachine; host: HostSimulator }[] = [];
let mediaDir: string;

beforeAll(() => {
  mediaDir = mkdtempSync(join(tmpdir(), 'plinth-media-'));
  for (const file of [
    'ubuntu/24.04/casper/vmlinuz',
    'ubuntu/24.04/casper/initrd',
    'debian/12/debian-installer/amd64/linux',
    'debian/12/debian-installer/amd64/initrd.gz',
    'rocky/9.4/BaseOS/x86_64/os/images/pxeboot/vmlinuz',
    'rocky/9.4/BaseOS/x86_64/os/images/pxeboot/initrd.img',
  ]) {
    mkdirSync(join(mediaDir, file, '..'), { recursive: true });
    writeFileSync(join(mediaDir, file), Buffer.alloc(4096, 7));
  }
});
afterEach(async () => {
  for (const { machine, host } of started.splice(0)) {
    await machine.reset('ForceOff');
    await host.close();
  }
});
afterAll(() => rmSync(mediaDir, { recursive: true, force: true }));

interface Rig {
  db: TestDatabase;
  api: BootTestApi;
  scenario: BootScenario;
  machine: LabMachine;
  host: HostSimulator;
  render(): ReturnType<ReturnType<typeof createInstallConfigService>['renderAndStore']>;
  close(): Promise<void>;
}

let nextIndex = 1;
async function rig(family: OsFamily, version: string): Promise<Rig> {
  const index = nextIndex++;
  const hardware = createHardware('compute-1u', 300 + index);
  const sshHost = `127.78.0.${index}`;
  const db = await createTestDatabase();
  const scenario = await seedBootScenario(db.dataSource, {
    name: `lab-${family}`,
    family,
    version,
    machines: [{ name: `lab-${family}-${index}`, bootMac: hardware.nics[0]!.mac }],
    sshPublicKeys: [operator.publicKey],
  });
  const api = await startBootTestApi(db, { secretKey: scenario.secretKey, mediaDir, configCacheTtlMs: 0 });
  const host = new HostSimulator({ netbootUrl: `${api.url}/boot/ipxe`, sshHost, sshPort: 0, world });
  const machine = new LabMachine({
    name: `lab-${family}-${index}`,
    hardware,
    timings: { powerMs: 5, postMs: 5, installMs: 50, osBootMs: 20 },
    bootHandler: host,
  });
  started.push({ machine, host });
  const renderer = createInstallConfigService({
    configs: scenario.configs,
    machines: scenario.machines,
    clusters: scenario.clusters,
    revealSecret: (ref) => scenario.secrets.reveal(ref),
    publicBaseUrl: api.url,
  });
  const machineId = scenario.machine[`lab-${family}-${index}`]!.id;
  return {
    db,
    api,
    scenario,
    machine,
    host,
    render: () => renderer.renderAndStore({ runId: scenario.runId, machineId }),
    async close() {
      await api.close();
      await db.drop();
    },
  };
}

async function pxeBoot(machine: LabMachine): Promise<void> {
  machine.setBootOverride({ enabled: 'Once', target: 'Pxe' });
  await machine.reset('On');
  await machine.waitForPhase(['os-running', 'install-failed'], 15_000);
}

describe('a lab machine installs from the provisioner', () => {
  it.each([
    ['ubuntu', '24.04', 'autoinstall', 'user-data', 'Ubuntu 24.04'],
    ['debian', '12', 'preseed', 'preseed.cfg', 'Debian GNU/Linux 12 (bookworm)'],
    ['rocky', '9.4', 'kickstart', 'ks.cfg', 'Rocky Linux 9.4'],
  ] as const)('%s %s via %s', async (family, version, installer, configFile, prettyName) => {
    const lab = await rig(family, version);
    try {
      const rendered = await lab.render();
      expect(rendered.installer).toBe(installer);
      // What the installer will fetch, read as the machine would: the script by MAC, the config by its token.
      const script = await (await fetch(`${lab.api.url}/boot/ipxe?mac=${lab.machine.bootMac}`)).text();
      const config = await (
        await fetch(`${lab.api.url}/boot/configs/${configTokenIn(script)}/${configFile}`)
      ).text();
      const callbackToken = callbackTokenIn(config);

      await pxeBoot(lab.machine);
      expect(lab.machine.lastBootError).toBeUndefined();
      expect(lab.machine.phase).toBe('os-running');
      expect(lab.machine.counters).toMatchObject({ netboots: 1, installs: 1, installCallbacks: 1 });
      expect(lab.machine.installedOs).toMatchObject({
        family,
        hostname: lab.machine.name,
        user: 'plinth',
        authorizedKeys: [operator.publicKey],
      });

      // The callback is recorded with what the host reported, and its token is spent.
      const record = await lab.scenario.configs.find(rendered.configId);
      expect(record?.callbackReport).toEqual({
        mac: lab.machine.bootMac,
        hostname: lab.machine.name,
        sshHost: lab.host.sshAddress.host,
        sshPort: lab.host.sshAddress.port,
        hostKeySha256: lab.host.hostKeySha256,
      });
      const again = await fetch(`${lab.api.url}/boot/callback`, {
        method: 'POST',
        headers: { authorization: `Bearer ${callbackToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(record?.callbackReport),
      });
      expect(again.status).toBe(403);
      expect(await (await fetch(`${lab.api.url}/boot/ipxe?mac=${lab.machine.bootMac}`)).text()).toContain(
        'no install is pending',
      );

      // The installed OS accepts the rendered key (and only it), pinned to the reported host key.
      const ssh = { host: lab.host.sshAddress.host, port: lab.host.sshAddress.port ?? 0, username: 'plinth' };
      const result = await sshExec({
        ...ssh,
        privateKey: operator.privateKey,
        hostKeySha256: record?.callbackReport?.hostKeySha256,
        command: 'hostname && cat /etc/os-release',
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`${lab.machine.name}\n`);
      expect(result.stdout).toContain(prettyName);
      await expect(sshExec({ ...ssh, privateKey: stranger.privateKey, command: 'true' })).rejects.toThrow();

      // Its netboot followed the provisioner's chain: script, kernel, initrd, config, callback.
      const paths = lab.api.logLines
        .map((line) => JSON.parse(line) as { msg?: string; method?: string; path?: string; status?: number })
        .filter((line) => line.msg === 'request')
        .map((line) => `${line.method} ${line.path} ${line.status}`);
      expect(paths).toEqual(
        expect.arrayContaining([
          'GET /boot/ipxe 200',
          expect.stringMatching(/^GET \/boot\/media\/.+ 200$/),
          `GET /boot/configs/********/${configFile} 200`,
          'POST /boot/callback 204',
          'POST /boot/callback 403',
        ]),
      );
    } finally {
      await lab.close();
    }
  });

  it('survives a failed install: the same rendering serves the retry, and the callback counts once', async () => {
    const lab = await rig('ubuntu', '24.04');
    try {
      const rendered = await lab.render();
      lab.machine.faults.installFailure = true;
      await pxeBoot(lab.machine);
      expect(lab.machine.phase).toBe('install-failed');
      expect((await lab.scenario.configs.find(rendered.configId))?.callbackUsedAt).toBeNull();

      // The workflow's retry: render again (same inputs: reused, same tokens) and netboot again.
      expect(await lab.render()).toMatchObject({ configId: rendered.configId, reused: true });
      await lab.machine.reset('ForceOff');
      await pxeBoot(lab.machine);
      expect(lab.machine.phase).toBe('os-running');
      expect(lab.machine.counters).toMatchObject({ netboots: 2, installs: 2, installCallbacks: 1 });
      expect((await lab.scenario.configs.find(rendered.configId))?.callbackReport?.mac).toBe(
        lab.machine.bootMac,
      );
    } finally {
      await lab.close();
    }
  });

  it('a machine whose install was not rendered gets the exit script and does not install', async () => {
    const lab = await rig('debian', '12');
    try {
      await pxeBoot(lab.machine);
      expect(lab.machine.phase).toBe('install-failed');
      expect(lab.machine.lastBootError).toContain('ran "exit" instead of booting');
      expect(lab.machine.counters.installs).toBe(0);
    } finally {
      await lab.close();
    }
  });
});
