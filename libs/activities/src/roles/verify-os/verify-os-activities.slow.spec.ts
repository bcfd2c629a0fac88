import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifyOsActivities } from './verify-os-activities';
import { activityEnvironment, failureOf, RoleTestbed, runActivity, type LabHost } from './role-testbed';

/** verify-os under MockActivityEnvironment, against lab hosts installed through a real netboot. */
const bed = new RoleTestbed(93);
let ubuntu: LabHost;
let debian: LabHost;
let rocky: LabHost;

beforeAll(async () => {
  await bed.start();
  [ubuntu, debian, rocky] = (await bed.addHosts([
    { hostname: 'v-ubuntu', address: '10.93.0.11/24', format: 'autoinstall' },
    { hostname: 'v-debian', address: '10.93.0.12/24', format: 'preseed' },
    { hostname: 'v-rocky', address: '10.93.0.13/24', format: 'kickstart' },
  ])) as [LabHost, LabHost, LabHost];
  await Promise.all([ubuntu, debian, rocky].map((host) => host.install()));
});
afterAll(() => bed.close());

function callbackKey(host: LabHost): string {
  const callbacks = bed.lab.provisioner.callbacks.filter((callback) => callback.mac === host.machine.bootMac);
  return (callbacks[callbacks.length - 1]?.body as { hostKeySha256: string }).hostKeySha256;
}

describe('verifyInstalledOs', () => {
  it.each([
    ['v-ubuntu', 'ubuntu', '24.04', 'Ubuntu 24.04.1 LTS'],
    ['v-debian', 'debian', '12', 'Debian GNU/Linux 12 (bookworm)'],
    ['v-rocky', 'rocky', '9', 'Rocky Linux 9.4 (Blue Onyx)'],
  ] as const)(
    'confirms %s runs %s %s and pins the host key the installer reported',
    async (name, family, version, prettyName) => {
      const host = [ubuntu, debian, rocky].find((candidate) => candidate.hostname === name)!;
      const activities = createVerifyOsActivities({ ssh: bed.ssh });
      const { env } = activityEnvironment();
      const verified = await env.run(activities.verifyInstalledOs, {
        ssh: bed.access(host),
        expected: { family, version, hostname: name },
        hostKeySha256: callbackKey(host),
      });
      expect(verified).toMatchObject({
        family,
        prettyName,
        hostname: name,
        hostKeySha256: host.host.hostKeySha256,
      });
      expect(await bed.ssh.pinnedHostKey(bed.idOf(host))).toBe(host.host.hostKeySha256);
    },
  );

  it('lists every difference in a non-retryable InstallVerificationFailed', async () => {
    const activities = createVerifyOsActivities({ ssh: bed.ssh });
    const failure = await failureOf(
      activityEnvironment().env.run(activities.verifyInstalledOs, {
        ssh: bed.access(debian),
        expected: { family: 'ubuntu' as const, version: '24.04', hostname: 'someone-else' },
      }),
    );
    expect(failure.type).toBe('InstallVerificationFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('OS is debian, asked for ubuntu');
    expect(failure.message).toContain('release is 12 (Debian GNU/Linux 12 (bookworm)), asked for 24.04');
    expect(failure.message).toContain('hostname is v-debian, asked for someone-else');
  });

  it('after a reinstall, refuses the new host key unless the installer reported it, then re-pins', async () => {
    const activities = createVerifyOsActivities({ ssh: bed.ssh });
    const expected = { family: 'rocky' as const, version: '9.4', hostname: 'v-rocky' };
    await activityEnvironment().env.run(activities.verifyInstalledOs, { ssh: bed.access(rocky), expected });
    const before = rocky.host.hostKeySha256;
    await rocky.machine.reset('ForceOff');
    await rocky.install();
    expect(rocky.host.hostKeySha256).not.toBe(before);

    const refused = await failureOf(
      activityEnvironment().env.run(activities.verifyInstalledOs, { ssh: bed.access(rocky), expected }),
    );
    expect(refused.type).toBe('SshHostKeyChanged');
    expect(refused.nonRetryable).toBe(true);

    // A second worker (new driver, same database) completes the provision flow with the callback's key.
    const afterCrash = createVerifyOsActivities({ ssh: bed.newDriver() });
    const verified = await runActivity(activityEnvironment().env, afterCrash.verifyInstalledOs, {
      ssh: bed.access(rocky),
      expected,
      hostKeySha256: callbackKey(rocky),
    });
    expect(verified.hostKeySha256).toBe(rocky.host.hostKeySha256);
    // Retrying with the same callback key is harmless.
    await activityEnvironment().env.run(afterCrash.verifyInstalledOs, {
      ssh: bed.access(rocky),
      expected,
      hostKeySha256: callbackKey(rocky),
    });
  });

  it('fails with a retryable SshUnreachable while the host refuses SSH', async () => {
    ubuntu.machine.faults.sshRefuse = true;
    try {
      const failure = await failureOf(
        activityEnvironment().env.run(createVerifyOsActivities({ ssh: bed.newDriver() }).verifyInstalledOs, {
          ssh: bed.access(ubuntu),
          expected: { family: 'ubuntu' as const, version: '24.04', hostname: 'v-ubuntu' },
        }),
      );
      expect(failure).toMatchObject({ type: 'SshUnreachable', nonRetryable: false });
    } finally {
      ubuntu.machine.faults.sshRefuse = false;
    }
  });
});
