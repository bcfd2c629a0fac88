import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LabWorld } from './emulation/lab-world';
import { sshExec } from './ssh/ssh-exec';
import { TestProvisioner, type InstallFormat } from './testing/test-provisioner';
import { createTestHost, generateClientKey, type TestHost } from './testing/test-hosts';

/**
 * The host simulator over real protocols: a provisioner on loopback HTTP serves iPXE scripts,
 * boot images and install configs; lab machines power on with a PXE override, netboot, call back
 * and then answer SSH (npm ssh2 client) on their own 127.77.0.x address.
 */
const provisioner = new TestProvisioner();
const world = new LabWorld();
const admin = generateClientKey('admin@plinth');
const stranger = generateClientKey('stranger@elsewhere');
const started: TestHost[] = [];

beforeAll(() => provisioner.start());
afterEach(async () => {
  for (const { machine, host } of started.splice(0)) {
    await machine.reset('ForceOff');
    await host.close();
  }
});
afterAll(() => provisioner.close());

let nextIndex = 1;
function provisionedHost(
  format: InstallFormat,
  extra: { renderForMac?: string } = {},
): TestHost & { hostname: string } {
  const index = nextIndex++;
  const testHost = createTestHost(index, { world, netbootUrl: provisioner.netbootUrl });
  const hostname = `${format}-${index}`;
  provisioner.provision({
    format,
    mac: testHost.machine.bootMac,
    hostname,
    address: `10.20.0.${index}/24`,
    user: 'plinth',
    authorizedKeys: [admin.publicKey],
    ...extra,
  });
  started.push(testHost);
  return { ...testHost, hostname };
}

async function pxeInstall(testHost: TestHost): Promise<void> {
  testHost.machine.setBootOverride({ enabled: 'Once', target: 'Pxe' });
  await testHost.machine.reset('On');
  await testHost.machine.waitForPhase(['os-running', 'install-failed'], 10_000);
}

function ssh(
  testHost: TestHost,
  command: string,
  key = admin.privateKey,
  username = 'plinth',
): ReturnType<typeof sshExec> {
  return sshExec({
    host: testHost.sshHost,
    port: testHost.host.sshAddress.port ?? 0,
    username,
    privateKey: key,
    command,
  });
}

describe('netboot and install', () => {
  it.each([
    ['autoinstall', 'ubuntu', 'Ubuntu 24.04.1 LTS', 'curl/'],
    ['preseed', 'debian', 'Debian GNU/Linux 12 (bookworm)', 'Wget/'],
    ['kickstart', 'rocky', 'Rocky Linux 9.4 (Blue Onyx)', 'curl/'],
  ] as const)(
    '%s: netboots, installs, calls back with its address and host key, then serves SSH',
    async (format, family, prettyName, agent) => {
      const testHost = provisionedHost(format);
      await pxeInstall(testHost);
      expect(testHost.machine.lastBootError).toBeUndefined();
      expect(testHost.machine.phase).toBe('os-running');

      const callbacks = provisioner.callbacks.filter((callback) => callback.mac === testHost.machine.bootMac);
      expect(callbacks).toHaveLength(1);
      expect(callbacks[0]?.authorization).toBe(
        `Bearer ${provisioner.callbackToken(testHost.machine.bootMac)}`,
      );
      expect(callbacks[0]?.userAgent).toContain(agent);
      expect(callbacks[0]?.body).toEqual({
        mac: testHost.machine.bootMac,
        hostname: testHost.hostname,
        sshHost: testHost.sshHost,
        sshPort: testHost.host.sshAddress.port,
        hostKeySha256: testHost.host.hostKeySha256,
      });
      expect(testHost.machine.installedOs).toMatchObject({
        family,
        hostname: testHost.hostname,
        user: 'plinth',
        authorizedKeys: [admin.publicKey],
      });
      expect(testHost.machine.counters).toMatchObject({ netboots: 1, installs: 1, installCallbacks: 1 });

      const result = await ssh(testHost, 'hostname && cat /etc/os-release');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`${testHost.hostname}\n`);
      expect(result.stdout).toContain(`PRETTY_NAME="${prettyName}"`);

      // The static address from the install config is what the host reports.
      const addresses = JSON.parse((await ssh(testHost, 'ip -j addr show dev eno1')).stdout) as Array<{
        addr_info: Array<{ local: string; prefixlen: number }>;
      }>;
      expect(addresses[0]?.addr_info).toContainEqual(
        expect.objectContaining({
          local: testHost.machine.installedOs?.addresses['eno1']?.[0]?.split('/')[0],
          prefixlen: 24,
        }),
      );
    },
  );

  it('follows the provisioner chain: script, per-MAC script, kernel, initrd, then the config', async () => {
    const testHost = provisionedHost('autoinstall');
    const before = provisioner.requests.length;
    await pxeInstall(testHost);
    const mac = testHost.machine.bootMac.replace(/:/g, '-');
    expect(provisioner.requests.slice(before)).toEqual([
      '/boot/ipxe',
      `/boot/${mac}.ipxe`,
      '/images/ubuntu-24.04.1-live-server-amd64/casper/vmlinuz',
      '/images/ubuntu-24.04.1-live-server-amd64/casper/initrd',
      `/autoinstall/${mac}/user-data`,
      `/autoinstall/${mac}/meta-data`,
      `/callback/${testHost.machine.bootMac}`,
    ]);
  });

  it('rejects an install config written for another machine', async () => {
    const testHost = provisionedHost('kickstart', { renderForMac: '52:54:00:99:99:99' });
    await pxeInstall(testHost);
    expect(testHost.machine.phase).toBe('install-failed');
    expect(testHost.machine.lastBootError).toContain(
      `install config is not for this machine (boot MAC ${testHost.machine.bootMac}`,
    );
    expect(testHost.machine.counters.installs).toBe(0);
    expect(provisioner.callbacks.some((callback) => callback.mac === testHost.machine.bootMac)).toBe(false);
  });

  it('fails with the URL when a boot image answers 404', async () => {
    const testHost = provisionedHost('preseed');
    provisioner.missing.add('/images/debian-installer/bookworm/amd64/initrd.gz');
    await pxeInstall(testHost).finally(() => provisioner.missing.clear());
    expect(testHost.machine.phase).toBe('install-failed');
    expect(testHost.machine.lastBootError).toMatch(
      /iPXE initrd: GET http:\/\/127\.0\.0\.1:\d+\/images\/debian-installer\/bookworm\/amd64\/initrd\.gz answered 404/,
    );
  });

  it('honours the installFailure fault: no callback, nothing installed, and the next attempt succeeds', async () => {
    const testHost = provisionedHost('autoinstall');
    testHost.machine.faults.installFailure = true;
    await pxeInstall(testHost);
    expect(testHost.machine.phase).toBe('install-failed');
    expect(testHost.machine.lastBootError).toContain('installFailure fault');
    expect(testHost.machine.installedOs).toBeUndefined();
    expect(testHost.machine.counters).toMatchObject({ installs: 1, installCallbacks: 0 });

    await testHost.machine.reset('ForceOff');
    await pxeInstall(testHost);
    expect(testHost.machine.phase).toBe('os-running');
    expect(testHost.machine.counters).toMatchObject({ installs: 2, installCallbacks: 1 });
  });

  it('loses the install when power goes mid-install, and netboots again at the next power-on', async () => {
    const testHost = provisionedHost('autoinstall');
    // Long enough that the power-off surely lands mid-install even on a loaded machine.
    testHost.machine.timings.installMs = 500;
    testHost.machine.setBootOverride({ enabled: 'Once', target: 'Pxe' });
    await testHost.machine.reset('On');
    await testHost.machine.waitForPhase('installing');
    await testHost.machine.reset('ForceOff');
    // Longer than the install would have taken: nothing may complete behind the power loss.
    await new Promise((resolve) => setTimeout(resolve, testHost.machine.timings.installMs + 200));
    expect(testHost.machine.installedOs).toBeUndefined();
    expect(testHost.machine.counters.installCallbacks).toBe(0);
    expect(testHost.machine.phase).toBe('off');

    // No override and no OS on disk: firmware falls back to the network and the install completes.
    await testHost.machine.reset('On');
    await testHost.machine.waitForPhase('os-running');
    expect(testHost.machine.counters).toMatchObject({ netboots: 2, installs: 2, installCallbacks: 1 });
  });
});

describe('SSH on the installed host', () => {
  it('accepts only the rendered key for the rendered user', async () => {
    const testHost = provisionedHost('autoinstall');
    await pxeInstall(testHost);
    expect((await ssh(testHost, 'whoami')).stdout).toBe('plinth\n');
    await expect(ssh(testHost, 'whoami', stranger.privateKey)).rejects.toThrow(
      /authentication methods failed/,
    );
    await expect(ssh(testHost, 'whoami', admin.privateKey, 'root')).rejects.toThrow(
      /authentication methods failed/,
    );
    await expect(
      sshExec({
        host: testHost.sshHost,
        port: testHost.host.sshAddress.port ?? 0,
        username: 'plinth',
        password: 'ubuntu',
        command: 'true',
      } as never),
    ).rejects.toThrow();
  });

  it('refuses connections under the sshRefuse fault and accepts them again once it is cleared', async () => {
    const testHost = provisionedHost('preseed');
    await pxeInstall(testHost);
    expect(testHost.machine.lastBootError).toBeUndefined();
    testHost.machine.faults.sshRefuse = true;
    await expect(ssh(testHost, 'true')).rejects.toThrow();
    testHost.machine.faults.sshRefuse = false;
    expect((await ssh(testHost, 'true')).code).toBe(0);
  });

  it('runs unknown commands as bash does: exit 127 and "command not found"', async () => {
    const testHost = provisionedHost('autoinstall');
    await pxeInstall(testHost);
    const result = await ssh(testHost, 'frobnicate --now');
    expect(result.code).toBe(127);
    expect(result.stderr).toContain('frobnicate: command not found');
  });

  it('keeps the host key over a reboot and changes it on reinstall', async () => {
    const testHost = provisionedHost('kickstart');
    await pxeInstall(testHost);
    const firstKey = testHost.host.hostKeySha256;
    expect(firstKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const pinned = {
      host: testHost.sshHost,
      port: testHost.host.sshAddress.port ?? 0,
      username: 'plinth',
      privateKey: admin.privateKey,
    };

    // `sudo reboot` drops the session (no exit status) and the host comes back with the same key.
    const reboot = await sshExec({ ...pinned, command: 'sudo reboot', hostKeySha256: firstKey });
    expect(reboot.code).toBeNull();
    // The session ended at power-off, so the host is now booting again (or already up).
    await testHost.machine.waitForPhase('os-running');
    expect(testHost.machine.counters.reboots).toBe(1);
    expect((await sshExec({ ...pinned, command: 'true', hostKeySha256: firstKey })).code).toBe(0);

    await testHost.machine.reset('ForceOff');
    await pxeInstall(testHost);
    expect(testHost.host.hostKeySha256).not.toBe(firstKey);
    await expect(sshExec({ ...pinned, command: 'true', hostKeySha256: firstKey })).rejects.toThrow();
    expect(
      (await sshExec({ ...pinned, command: 'true', hostKeySha256: testHost.host.hostKeySha256 })).code,
    ).toBe(0);
  });

  it('drops sessions and stops answering when the machine powers off', async () => {
    const testHost = provisionedHost('autoinstall');
    await pxeInstall(testHost);
    const running = ssh(testHost, 'sleep 30');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await testHost.machine.reset('ForceOff');
    await expect(running).resolves.toMatchObject({ code: null });
    await expect(ssh(testHost, 'true')).rejects.toThrow(/ECONNREFUSED/);
    // Powering on boots the installed OS from disk without netbooting again.
    await testHost.machine.reset('On');
    await testHost.machine.waitForPhase('os-running');
    expect(testHost.machine.counters).toMatchObject({ netboots: 1, installs: 1 });
    expect((await ssh(testHost, 'true')).code).toBe(0);
  });
});
