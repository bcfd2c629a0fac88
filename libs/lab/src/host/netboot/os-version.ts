import type { InstalledOs } from '../../machine/lab-machine';

/**
 * Which release the host installs. Install configs do not say (an autoinstall or a kickstart is
 * release-agnostic); what does is the media the installer came from. So the version is read from,
 * in order: the kernel and initrd URLs, the kernel command line (`url=…ubuntu-24.04…iso`,
 * `inst.repo=…/9.4/BaseOS/…`), then the config's own media lines (preseed `mirror/suite`,
 * kickstart `url --url=`/`repo --baseurl=`). Release names (`noble`, `bookworm`) count too.
 * Nothing found → the family's current release (ubuntu 24.04, debian 12, rocky/rhel 9.4).
 */
const DEFAULTS: Record<InstalledOs['family'], string> = {
  ubuntu: '24.04',
  debian: '12',
  rocky: '9.4',
  rhel: '9.4',
};

const UBUNTU_CODENAMES: Record<string, string> = {
  focal: '20.04',
  jammy: '22.04',
  noble: '24.04',
  oracular: '24.10',
  plucky: '25.04',
};
const DEBIAN_CODENAMES: Record<string, string> = {
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
};

export function detectOsVersion(family: InstalledOs['family'], hints: string[]): string {
  for (const hint of hints) {
    const version = versionIn(family, hint);
    if (version) return version;
  }
  return DEFAULTS[family];
}

/** rhel when the media says so, else rocky (kickstart is shared by both). */
export function enterpriseFamily(hints: string[]): 'rocky' | 'rhel' {
  return hints.some((hint) => /\b(rhel|redhat|red-hat)\b|rhel-?\d/i.test(hint)) ? 'rhel' : 'rocky';
}

function versionIn(family: InstalledOs['family'], text: string): string | undefined {
  switch (family) {
    case 'ubuntu': {
      const numbered = /ubuntu[-_/ ]?v?(\d{2}\.\d{2}(?:\.\d+)?)/i.exec(text);
      if (numbered?.[1]) return numbered[1];
      const codename = /\b(focal|jammy|noble|oracular|plucky)\b/i.exec(text)?.[1]?.toLowerCase();
      return codename ? UBUNTU_CODENAMES[codename] : undefined;
    }
    case 'debian': {
      const numbered = /debian[-_/ ]?(\d{1,2})(?:\.\d+)*(?![\d.])/i.exec(text);
      if (numbered?.[1]) return numbered[1];
      const codename = /\b(buster|bullseye|bookworm|trixie)\b/i.exec(text)?.[1]?.toLowerCase();
      return codename ? DEBIAN_CODENAMES[codename] : undefined;
    }
    case 'rocky':
    case 'rhel': {
      const named = /(?:rocky(?:linux)?|rhel|redhat|almalinux)[-_/ ]?(\d{1,2}(?:\.\d+)?)/i.exec(text);
      if (named?.[1]) return named[1];
      // Mirrors lay releases out as /<version>/BaseOS/x86_64/os/.
      const mirror = /\/(\d{1,2}(?:\.\d+)?)\/(?:BaseOS|AppStream)\//i.exec(text);
      return mirror?.[1];
    }
  }
}
