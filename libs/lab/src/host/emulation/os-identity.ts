import type { InstalledOs } from '../../machine/lab-machine';

/**
 * What an installed distribution calls itself: `/etc/os-release`, the kernel `uname` reports and
 * the package tooling it ships. Values are those of the real releases (kernel builds of their
 * install media); unknown versions get the family's shape with the version filled in.
 */
export interface OsIdentity {
  osRelease: string;
  prettyName: string;
  kernelRelease: string;
  kernelVersion: string;
  packageManager: 'apt' | 'dnf';
  /** The SSH daemon's systemd unit. */
  sshUnit: string;
  /** What its sshd announces after `SSH-2.0-`. */
  sshIdent: string;
  /** Units enabled out of the box. */
  baseUnits: string[];
  /** Packages installed out of the box (name → version). */
  basePackages: Record<string, string>;
}

const UBUNTU_CODENAMES: Record<string, string> = {
  '20.04': 'focal',
  '22.04': 'jammy',
  '24.04': 'noble',
  '24.10': 'oracular',
  '25.04': 'plucky',
};
const UBUNTU_KERNELS: Record<string, [string, string]> = {
  '20.04': ['5.4.0-192-generic', '#212-Ubuntu SMP Fri Jul 5 09:47:39 UTC 2024'],
  '22.04': ['5.15.0-119-generic', '#129-Ubuntu SMP Fri Aug 2 19:25:20 UTC 2024'],
  '24.04': ['6.8.0-41-generic', '#41-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug  2 20:41:06 UTC 2024'],
};
const DEBIAN_CODENAMES: Record<string, string> = {
  '10': 'buster',
  '11': 'bullseye',
  '12': 'bookworm',
  '13': 'trixie',
};
const DEBIAN_KERNELS: Record<string, [string, string]> = {
  '11': ['5.10.0-32-amd64', '#1 SMP Debian 5.10.223-1 (2024-08-10)'],
  '12': ['6.1.0-25-amd64', '#1 SMP PREEMPT_DYNAMIC Debian 6.1.106-3 (2024-08-26)'],
  '13': ['6.12.38+deb13-amd64', '#1 SMP PREEMPT_DYNAMIC Debian 6.12.38-1 (2025-07-16)'],
};
const EL_KERNELS: Record<string, string> = {
  '8': '4.18.0-553.el8_10.x86_64',
  '9': '5.14.0-427.13.1.el9_4.x86_64',
  '10': '6.12.0-55.9.1.el10_0.x86_64',
};

export function osIdentity(os: Pick<InstalledOs, 'family' | 'version'>): OsIdentity {
  switch (os.family) {
    case 'ubuntu':
      return ubuntu(os.version);
    case 'debian':
      return debian(os.version);
    case 'rocky':
    case 'rhel':
      return enterpriseLinux(os.family, os.version);
  }
}

function ubuntu(version: string): OsIdentity {
  const short = version.split('.').slice(0, 2).join('.');
  const codename = UBUNTU_CODENAMES[short] ?? 'noble';
  const [kernelRelease, kernelVersion] = UBUNTU_KERNELS[short] ?? [
    '6.8.0-41-generic',
    '#41-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug  2 20:41:06 UTC 2024',
  ];
  const lts = short.endsWith('.04') && Number(short.split('.')[0]) % 2 === 0;
  const prettyName = `Ubuntu ${version}${lts ? ' LTS' : ''}`;
  return {
    prettyName,
    kernelRelease,
    kernelVersion,
    packageManager: 'apt',
    sshUnit: 'ssh',
    sshIdent: 'OpenSSH_9.6p1 Ubuntu-3ubuntu13.5',
    baseUnits: ['ssh', 'systemd-networkd', 'systemd-resolved', 'systemd-timesyncd', 'cron'],
    basePackages: {
      'openssh-server': '1:9.6p1-3ubuntu13.5',
      curl: '8.5.0-2ubuntu10.4',
      'netplan.io': '1.0.1-1ubuntu2~24.04.1',
      'cloud-init': '24.2-0ubuntu1~24.04.2',
    },
    osRelease: [
      `PRETTY_NAME="${prettyName}"`,
      'NAME="Ubuntu"',
      `VERSION_ID="${short}"`,
      `VERSION="${version}${lts ? ' LTS' : ''} (${capitalise(codename)})"`,
      `VERSION_CODENAME=${codename}`,
      'ID=ubuntu',
      'ID_LIKE=debian',
      'HOME_URL="https://www.ubuntu.com/"',
      'SUPPORT_URL="https://help.ubuntu.com/"',
      'BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"',
      'PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"',
      `UBUNTU_CODENAME=${codename}`,
      'LOGO=ubuntu-logo',
      '',
    ].join('\n'),
  };
}

function debian(version: string): OsIdentity {
  const major = version.split('.')[0] ?? version;
  const codename = DEBIAN_CODENAMES[major] ?? 'bookworm';
  const [kernelRelease, kernelVersion] = DEBIAN_KERNELS[major] ?? [
    '6.1.0-25-amd64',
    '#1 SMP PREEMPT_DYNAMIC Debian 6.1.106-3 (2024-08-26)',
  ];
  const prettyName = `Debian GNU/Linux ${major} (${codename})`;
  return {
    prettyName,
    kernelRelease,
    kernelVersion,
    packageManager: 'apt',
    sshUnit: 'ssh',
    sshIdent: 'OpenSSH_9.2p1 Debian-2+deb12u3',
    baseUnits: ['ssh', 'networking', 'cron'],
    basePackages: { 'openssh-server': '1:9.2p1-2+deb12u3', ifupdown: '0.8.41' },
    osRelease: [
      `PRETTY_NAME="${prettyName}"`,
      'NAME="Debian GNU/Linux"',
      `VERSION_ID="${major}"`,
      `VERSION="${major} (${codename})"`,
      `VERSION_CODENAME=${codename}`,
      'ID=debian',
      'HOME_URL="https://www.debian.org/"',
      'SUPPORT_URL="https://www.debian.org/support"',
      'BUG_REPORT_URL="https://bugs.debian.org/"',
      '',
    ].join('\n'),
  };
}

function enterpriseLinux(family: 'rocky' | 'rhel', version: string): OsIdentity {
  const major = version.split('.')[0] ?? version;
  const kernelRelease = EL_KERNELS[major] ?? EL_KERNELS['9'] ?? '';
  const kernelVersion = '#1 SMP PREEMPT_DYNAMIC Wed May 1 19:11:28 UTC 2024';
  const rocky = family === 'rocky';
  const prettyName = rocky
    ? `Rocky Linux ${version} (Blue Onyx)`
    : `Red Hat Enterprise Linux ${version} (Plow)`;
  return {
    prettyName,
    kernelRelease,
    kernelVersion,
    packageManager: 'dnf',
    sshUnit: 'sshd',
    sshIdent: 'OpenSSH_8.7',
    baseUnits: ['sshd', 'NetworkManager', 'crond', 'firewalld', 'chronyd'],
    basePackages: { 'openssh-server': '8.7p1-38.el9', NetworkManager: '1.46.0-8.el9', chrony: '4.5-1.el9' },
    osRelease: [
      rocky ? 'NAME="Rocky Linux"' : 'NAME="Red Hat Enterprise Linux"',
      rocky ? `VERSION="${version} (Blue Onyx)"` : `VERSION="${version} (Plow)"`,
      rocky ? 'ID="rocky"' : 'ID="rhel"',
      rocky ? 'ID_LIKE="rhel centos fedora"' : 'ID_LIKE="fedora"',
      `VERSION_ID="${version}"`,
      `PLATFORM_ID="platform:el${major}"`,
      `PRETTY_NAME="${prettyName}"`,
      'ANSI_COLOR="0;32"',
      rocky ? 'LOGO="fedora-logo-icon"' : 'LOGO="fedora-logo-icon"',
      rocky
        ? `CPE_NAME="cpe:/o:rocky:rocky:${major}::baseos"`
        : `CPE_NAME="cpe:/o:redhat:enterprise_linux:${major}::baseos"`,
      rocky ? 'HOME_URL="https://rockylinux.org/"' : 'HOME_URL="https://www.redhat.com/"',
      rocky ? 'BUG_REPORT_URL="https://bugs.rockylinux.org/"' : 'BUG_REPORT_URL="https://issues.redhat.com/"',
      '',
    ].join('\n'),
  };
}

function capitalise(word: string): string {
  const names: Record<string, string> = {
    focal: 'Focal Fossa',
    jammy: 'Jammy Jellyfish',
    noble: 'Noble Numbat',
    oracular: 'Oracular Oriole',
    plucky: 'Plucky Puffin',
  };
  return names[word] ?? word;
}
