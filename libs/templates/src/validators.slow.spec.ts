import { describe, expect, it } from 'vitest';
import { buildInstallContext } from './context';
import { createTemplateEnvironment } from './environment';
import { renderInstall, renderNoInstallScript, renderRetryScript } from './render';
import { GOLDEN_ENDPOINTS, INSTALL_CASES } from './testing/install-cases';
import {
  autoinstallParts,
  checkIpxeScript,
  checkKickstart,
  cloudInitSchema,
  debconfCheck,
  kickstartScripts,
  missingValidators,
  netplanGenerate,
  preseedCommands,
  shellcheck,
  yamllint,
} from './testing/validators';

/**
 * Every rendered install config through the real validators from Debian: cloud-init's schema,
 * debconf-set-selections, shellcheck on every embedded script, netplan generate, yamllint. Kickstart
 * has no offline validator in Debian 12 (pykickstart is not packaged): it gets a structural check.
 * CI installs the packages (.ci/run); here a missing tool is a failure that names its package.
 */
const environment = createTemplateEnvironment();
const rendered = INSTALL_CASES.map((installCase) => ({
  name: installCase.name,
  subject: installCase.subject,
  files: renderInstall(environment, buildInstallContext(installCase.subject, GOLDEN_ENDPOINTS)).files,
}));
const byInstaller = (file: 'user-data' | 'preseed.cfg' | 'ks.cfg') =>
  rendered
    .filter((entry) => entry.files[file] !== undefined)
    .map((entry) => [entry.name, entry.files[file] ?? '', entry] as const);

describe('validators are installed', () => {
  it('has cloud-init, debconf-set-selections, shellcheck, netplan and yamllint', () => {
    expect(missingValidators()).toEqual([]);
  });
});

describe('Ubuntu autoinstall', () => {
  it.each(byInstaller('user-data'))(
    '%s: cloud-init schema accepts user-data and its cloud-config section',
    (_name, userData) => {
      expect(cloudInitSchema(userData)).toMatchObject({ ok: true });
      const parts = autoinstallParts(userData);
      const section = cloudInitSchema(parts.userDataSection);
      expect(section.output).toContain('Valid cloud-config');
      expect(section.ok).toBe(true);
    },
  );

  it.each(byInstaller('user-data'))(
    '%s: yamllint passes user-data and meta-data (warnings fail)',
    (_name, userData, entry) => {
      expect(yamllint(userData)).toEqual({ ok: true, output: '' });
      expect(yamllint(entry.files['meta-data'] ?? '')).toEqual({ ok: true, output: '' });
    },
  );

  it.each(byInstaller('user-data'))('%s: shellcheck passes every late-command', (_name, userData) => {
    const { lateCommands } = autoinstallParts(userData);
    expect(lateCommands.length).toBeGreaterThanOrEqual(2);
    for (const command of lateCommands) expect(shellcheck(command, 'sh')).toEqual({ ok: true, output: '' });
  });

  it.each(byInstaller('user-data'))(
    '%s: netplan generate accepts the network section and matches the boot MAC',
    (_name, userData, entry) => {
      const result = netplanGenerate(autoinstallParts(userData).netplan);
      expect(result.output).toBe('');
      expect(result.ok).toBe(true);
      const networks = Object.values(result.networkd).join('\n');
      expect(networks).toContain(`MACAddress=${entry.subject.machine.bootMac}`);
      const address = entry.subject.bootAddress?.cidr;
      if (address) expect(networks).toContain(`Address=${address}`);
      else expect(networks).toContain('DHCP=ipv4');
    },
  );
});

describe('Debian preseed', () => {
  it.each(byInstaller('preseed.cfg'))(
    '%s: debconf-set-selections -c accepts it with no warning',
    (_name, preseed) => {
      expect(debconfCheck(preseed)).toEqual({ ok: true, output: '' });
    },
  );

  it.each(byInstaller('preseed.cfg'))(
    '%s: shellcheck passes late_command and early commands',
    (_name, preseed) => {
      const commands = preseedCommands(preseed);
      expect(Object.keys(commands)).toContain('preseed/late_command');
      for (const script of Object.values(commands))
        expect(shellcheck(script, 'sh')).toEqual({ ok: true, output: '' });
    },
  );
});

describe('Rocky / RHEL kickstart (structural: no offline validator in Debian)', () => {
  it.each(byInstaller('ks.cfg'))(
    '%s: known commands and options, closed sections, %include written by %pre',
    (_name, kickstart) => {
      expect(checkKickstart(kickstart)).toEqual([]);
    },
  );

  it.each(byInstaller('ks.cfg'))('%s: shellcheck passes %pre and %post', (_name, kickstart) => {
    const scripts = kickstartScripts(kickstart);
    expect(scripts.map((script) => script.section).sort()).toEqual(['%post', '%pre']);
    for (const script of scripts) {
      expect(script.header).toContain('--interpreter=/bin/bash');
      expect(shellcheck(script.body, 'bash')).toEqual({ ok: true, output: '' });
    }
  });
});

describe('iPXE scripts', () => {
  it.each(rendered.map((entry) => [entry.name, entry.files['boot.ipxe'] ?? ''] as const))(
    '%s: boot script is well formed',
    (_name, script) => {
      expect(checkIpxeScript(script)).toEqual([]);
    },
  );

  it('the safe scripts exit or chain, never boot', () => {
    for (const script of [
      renderNoInstallScript(environment, 'unknown-mac', '52:54:00:99:99:99'),
      renderNoInstallScript(environment, 'bad-mac', undefined),
      renderRetryScript(environment, 'http://10.0.0.2:3000/boot/ipxe?mac=52:54:00:aa:00:01'),
    ]) {
      expect(script.startsWith('#!ipxe\n')).toBe(true);
      expect(script).not.toMatch(/^(kernel|boot)\b/m);
      expect(script).toMatch(/^(exit|chain \S+)$/m);
    }
  });
});

describe('the validators bite', () => {
  const ubuntu = byInstaller('user-data')[0]![1];
  const preseed = byInstaller('preseed.cfg')[0]![1];
  const kickstart = byInstaller('ks.cfg')[0]![1];

  it('cloud-init schema rejects a wrongly typed key', () => {
    const parts = autoinstallParts(ubuntu);
    expect(cloudInitSchema(`${parts.userDataSection}ssh_pwauth: [not, a, boolean]\n`).ok).toBe(false);
  });

  it('debconf-set-selections -c flags a bad type (a warning only)', () => {
    expect(debconfCheck(`${preseed}d-i foo/bar strnig value\n`).ok).toBe(false);
  });

  it('shellcheck flags an unquoted expansion', () => {
    expect(shellcheck('rm -rf $target/*\n', 'sh').ok).toBe(false);
  });

  it('netplan generate rejects a bad address', () => {
    expect(
      netplanGenerate('network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.20.0.300/24]\n')
        .ok,
    ).toBe(false);
  });

  it('yamllint flags duplicated keys', () => {
    expect(yamllint('#cloud-config\na: 1\na: 2\n').ok).toBe(false);
  });

  it('the kickstart check flags an unknown option, an unclosed section and a missing include', () => {
    expect(checkKickstart(kickstart.replace('--bootproto=', '--boot-proto='))).toEqual([
      expect.stringContaining('network has no option --boot-proto'),
    ]);
    expect(checkKickstart(kickstart.replace(/%end\n*$/, ''))).toContain('%post has no %end');
    expect(
      checkKickstart(kickstart.replace('cat > /tmp/plinth-storage.ks', 'cat > /tmp/elsewhere.ks')),
    ).toContain('%include /tmp/plinth-storage.ks is not written by %pre');
  });
});
