import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RoleError } from '@plinth/contracts';
import { createMemoryHostKeyStore } from './host-key-store';
import { createSshDriver, type SshDriver } from './ssh-driver';
import { generateClientKey, LabHosts, type LabHost } from './testing/lab-hosts';
import { truncationMarker } from './bounded-output';

/**
 * The SSH driver against lab hosts: real SSH (the lab's ssh2 server) on loopback, after a real
 * netboot and install through a provisioner.
 */
const lab = new LabHosts(91);
const hostKeys = createMemoryHostKeyStore();
let ubuntu: LabHost;
let rocky: LabHost;
const drivers: SshDriver[] = [];

function driver(
  options: { idleCloseMs?: number; maxChannelsPerConnection?: number; connectTimeoutMs?: number } = {},
): SshDriver {
  const created = createSshDriver({ hostKeys, secrets: lab.secrets, ...options });
  drivers.push(created);
  return created;
}

async function roleError(promise: Promise<unknown>): Promise<RoleError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof RoleError)) throw new Error(`expected a RoleError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  await lab.start();
  ubuntu = lab.add({ format: 'autoinstall', hostname: 'ssh-ubuntu', address: '10.91.0.11/24' });
  rocky = lab.add({ format: 'kickstart', hostname: 'ssh-rocky', address: '10.91.0.12/24' });
  await Promise.all([ubuntu.install(), rocky.install()]);
});

afterEach(async () => {
  for (const created of drivers.splice(0)) await created.close();
  ubuntu.machine.faults.sshRefuse = false;
});

afterAll(() => lab.close());

describe('commands over a pooled connection', () => {
  it('reuses one connection for many commands and pins the host key on first use', async () => {
    const ssh = driver();
    const access = ubuntu.access();
    const hostname = await ssh.run(access, 'hostname');
    expect(hostname.stdout).toBe('ssh-ubuntu\n');
    const release = await ssh.run(access, 'cat /etc/os-release');
    expect(release.stdout).toContain('ID=ubuntu');
    const parallel = await Promise.all(Array.from({ length: 20 }, (_, n) => ssh.run(access, `echo ${n}`)));
    expect(parallel.map((result) => result.stdout)).toEqual(Array.from({ length: 20 }, (_, n) => `${n}\n`));
    expect(ssh.stats()).toEqual({ connectionsOpened: 1, open: 1 });
    expect(hostKeys.pins.get('ssh-ubuntu')).toEqual({ sha256: ubuntu.host.hostKeySha256 });
  });

  it('closes an idle connection and opens a new one when needed', async () => {
    const ssh = driver({ idleCloseMs: 50 });
    await ssh.run(rocky.access(), 'true');
    expect(ssh.stats().open).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ssh.stats().open).toBe(0);
    await ssh.run(rocky.access(), 'true');
    expect(ssh.stats()).toEqual({ connectionsOpened: 2, open: 1 });
  });

  it('returns non-zero exits from exec and fails run with CommandFailed naming the command and stderr', async () => {
    const ssh = driver();
    const result = await ssh.exec(ubuntu.access(), 'cat /etc/nothing-here');
    expect(result).toMatchObject({ exitCode: 1, stdout: '' });
    expect(result.stderr).toContain('No such file or directory');
    const error = await roleError(ssh.run(ubuntu.access(), 'kubeadm version'));
    expect(error.code).toBe('CommandFailed');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('"kubeadm version" on machine ssh-ubuntu (plinth@127.91.0.1:');
    expect(error.message).toContain('exited 127: bash: line 1: kubeadm: command not found');
  });
});

describe('stdin, secrets and output limits', () => {
  it('hands secrets to the command on stdin, refuses them in the command line, and redacts them from output', async () => {
    const ssh = driver();
    const secret = 'abcdef.0123456789abcdef';
    const written = await ssh.run(
      ubuntu.access(),
      'sudo tee /root/token > /dev/null && sudo cat /root/token',
      {
        stdin: `${secret}\n`,
        secrets: [secret],
      },
    );
    // The command received the value (it wrote it and read it back); what we got back is redacted.
    expect(written.stdout).toBe('[redacted]\n');
    expect((await ssh.run(ubuntu.access(), 'sudo cat /root/token')).stdout).toBe(`${secret}\n`);
    await expect(ssh.run(ubuntu.access(), `echo ${secret}`, { secrets: [secret] })).rejects.toThrow(
      /command line contains a secret value: pass secrets on stdin/,
    );
    const failed = await roleError(
      ssh.run(ubuntu.access(), 'cat - >&2 && false', { stdin: `token ${secret}`, secrets: [secret] }),
    );
    expect(failed.message).toContain('token [redacted]');
    expect(failed.message).not.toContain(secret);
  });

  it('keeps at most maxOutputBytes of each stream and says how much it dropped', async () => {
    const ssh = driver();
    const big = 'x'.repeat(10_000);
    await ssh.run(rocky.access(), 'tee /tmp/big > /dev/null', { stdin: big });
    const result = await ssh.run(rocky.access(), 'cat /tmp/big && cat /tmp/big >&2', {
      maxOutputBytes: 1000,
    });
    expect(result.truncated).toBe(true);
    expect(result.stdout).toBe(`${'x'.repeat(1000)}\n${truncationMarker(9000)}\n`);
    expect(result.stderr).toBe(`${'x'.repeat(1000)}\n${truncationMarker(9000)}\n`);
    const whole = await ssh.run(rocky.access(), 'cat /tmp/big');
    expect(whole).toMatchObject({ stdout: big, truncated: false });
  });
});

describe('timeouts and cancellation', () => {
  it('stops a command at its timeout with a retryable CommandFailed, and the connection stays usable', async () => {
    const ssh = driver();
    const error = await roleError(ssh.run(ubuntu.access(), 'sleep 30', { timeoutMs: 200 }));
    expect(error.code).toBe('CommandFailed');
    expect(error.details).toMatchObject({ timedOut: true, timeoutMs: 200 });
    expect(error.message).toContain('"sleep 30" on machine ssh-ubuntu');
    expect((await ssh.run(ubuntu.access(), 'echo still-here')).stdout).toBe('still-here\n');
    expect(ssh.stats().connectionsOpened).toBe(1);
  });

  it('kills the command when the caller aborts, rejecting with the abort reason', async () => {
    const ssh = driver();
    const controller = new AbortController();
    const running = ssh.run(ubuntu.access(), 'sleep 30', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('activity cancelled')), 100);
    await expect(running).rejects.toThrow('activity cancelled');
  });

  it('lets a caller interact with a running command', async () => {
    const ssh = driver();
    const process = await ssh.start(ubuntu.access(), 'echo ready && sleep 30');
    expect(await process.waitForStdout(/ready/, 2000)).toBe(true);
    expect(await process.waitForStdout(/never/, 100)).toBe(false);
    process.kill();
    // Killed by the caller (not a timeout, not an abort): it ends without an exit status.
    expect(await process.result).toMatchObject({ stdout: 'ready\n', exitCode: null });
    const echo = await ssh.start(ubuntu.access(), 'cat');
    echo.write('hello\n');
    echo.endInput();
    expect((await echo.result).stdout).toBe('hello\n');
  });
});

describe('faults', () => {
  it('fails with a retryable SshUnreachable while the host refuses connections (sshRefuse)', async () => {
    ubuntu.machine.faults.sshRefuse = true;
    const error = await roleError(driver().run(ubuntu.access(), 'true'));
    expect(error.code).toBe('SshUnreachable');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('Could not reach machine ssh-ubuntu (plinth@127.91.0.1:');
  });

  it('fails with SshUnreachable when nothing listens', async () => {
    const error = await roleError(driver().run({ ...ubuntu.access(), host: '127.91.9.9' }, 'true'));
    expect(error.code).toBe('SshUnreachable');
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('fails with a non-retryable SshAuthFailed for a key the host does not accept', async () => {
    const stranger = generateClientKey('stranger@elsewhere');
    lab.putSecret('secret/stranger-key', stranger.privateKey);
    const error = await roleError(
      driver().run({ ...ubuntu.access(), privateKeyRef: 'secret/stranger-key' }, 'true'),
    );
    expect(error.code).toBe('SshAuthFailed');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('SSH refused the key secret/stranger-key for user plinth');
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  it('fails with SecretMissing when the key reference does not resolve', async () => {
    const error = await roleError(driver().run({ ...ubuntu.access(), privateKeyRef: 'secret/nope' }, 'true'));
    expect(error.code).toBe('SecretMissing');
    expect(error.retryable).toBe(false);
  });

  it('replaces a pooled connection that a reboot dropped', async () => {
    const ssh = driver();
    await ssh.run(rocky.access(), 'true');
    const reboot = await ssh.exec(rocky.access(), 'sudo reboot');
    expect(reboot.exitCode).toBeNull();
    await rocky.machine.waitForPhase('booting-os');
    await rocky.machine.waitForPhase('os-running');
    expect((await ssh.run(rocky.access(), 'hostname')).stdout).toBe('ssh-rocky\n');
    expect(ssh.stats().connectionsOpened).toBe(2);
  });
});

describe('host keys', () => {
  it('refuses a changed host key after a reinstall until the installer-reported key is expected, then re-pins exactly that one', async () => {
    const host = lab.add({ format: 'preseed', hostname: 'ssh-debian', address: '10.91.0.13/24' });
    await host.install();
    const ssh = driver();
    await ssh.run(host.access(), 'true');
    const firstKey = host.host.hostKeySha256;
    expect(hostKeys.pins.get('ssh-debian')?.sha256).toBe(firstKey);

    await host.machine.reset('ForceOff');
    await host.install();
    const newKey = host.host.hostKeySha256 ?? '';
    expect(newKey).not.toBe(firstKey);
    const changed = await roleError(ssh.run(host.access(), 'true'));
    expect(changed.code).toBe('SshHostKeyChanged');
    expect(changed.retryable).toBe(false);
    expect(changed.message).toContain(`pinned ${firstKey}, presented ${newKey}`);

    // An expectation for some other key does not let this one in.
    await ssh.expectNewHostKey('ssh-debian', 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect((await roleError(ssh.run(host.access(), 'true'))).code).toBe('SshHostKeyChanged');

    await ssh.expectNewHostKey('ssh-debian', newKey);
    expect((await ssh.run(host.access(), 'hostname')).stdout).toBe('ssh-debian\n');
    expect(hostKeys.pins.get('ssh-debian')).toEqual({ sha256: newKey });
    // The expectation was consumed: the old key would now be refused again.
    await ssh.checkReachable(host.access());
  });

  it('pins the installer-reported key directly when the machine has no pin yet', async () => {
    const ssh = driver();
    await ssh.expectNewHostKey('fresh-machine', rocky.host.hostKeySha256 ?? '');
    expect(hostKeys.pins.get('fresh-machine')).toEqual({ sha256: rocky.host.hostKeySha256 });
    await ssh.checkReachable(rocky.access('fresh-machine'));
    await ssh.expectNewHostKey('other-machine', ubuntu.host.hostKeySha256 ?? '');
    const wrongHost = await roleError(ssh.checkReachable(rocky.access('other-machine')));
    expect(wrongHost.code).toBe('SshHostKeyChanged');
  });
});
