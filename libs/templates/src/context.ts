import { RoleError } from '@plinth/contracts';
import {
  installerKindFor,
  parseIpv4,
  type ClusterSpec,
  type HardwareInventory,
  type InstallerKind,
  type Machine,
  type MachineRole,
  type OsFamily,
  type Params,
  type Problem,
} from '@plinth/domain';

/**
 * The typed context every install template renders from. Roots: `machine`, `hardware`, `network`,
 * `params` (the house roots) plus `os`, `storage`, `users`, `install` and `boot`, which are the
 * params and the spec already read, checked and defaulted — templates never parse raw params.
 */
export interface InstallContext {
  machine: {
    /** Inventory name, also the host name. */
    name: string;
    hostname: string;
    /** DNS domain (`params.domain`), `''` when none. */
    domain: string;
    /** `hostname.domain`, or the host name alone. */
    fqdn: string;
    /** Lowercase `aa:bb:cc:dd:ee:ff`. */
    bootMac: string;
    /** `aa-bb-cc-dd-ee-ff`, as in PXE file names. */
    bootMacHyphen: string;
    role: MachineRole;
    serial: string;
    rack: string;
    labels: Record<string, string>;
  };
  cluster: { name: string };
  os: {
    family: OsFamily;
    version: string;
    /** Major release as a number (`24`, `12`, `9`). */
    major: number;
    installer: InstallerKind;
    /** `os.profile` of the spec, `''` when none. */
    profile: string;
    /** The `hardened` profile: no root login, no password SSH, key-only sudo user. */
    hardened: boolean;
    /** Release code name (`noble`, `bookworm`), `''` when Plinth does not know it. */
    codename: string;
  };
  /** What discovery found; `known: false` when the machine was not discovered yet. */
  hardware: {
    known: boolean;
    drives: { id: string; serial: string; sizeBytes: number; mediaType: string }[];
    nics: { id: string; mac: string }[];
  };
  /** Partitioning chosen from the role's RAID layout (see docs/templates.md). */
  storage: {
    /** Snippet name under `snippets/partitioning/`. */
    layout: 'lvm' | 'raid1-lvm';
    /** Device the OS goes on (`lvm`), `''` to pick the smallest disk at install time. */
    osDisk: string;
    /** `raid1-lvm`: serials of the two member drives (smallest two discovered). */
    raidSerials: string[];
    /** Why this layout, in words (rendered as a comment). */
    reason: string;
  };
  network: {
    boot: {
      mac: string;
      /** DHCP on the boot NIC, or the static address below. */
      dhcp: boolean;
      /** Static IPv4 address without prefix; `''` with DHCP. */
      address: string;
      prefix: number;
      gateway: string;
    };
    dns: string[];
    ntp: string[];
  };
  users: {
    /** The login user roles SSH in as (passwordless sudo). */
    name: string;
    /** crypt(3) hash, or `!` (locked password: key-only login). */
    passwordHash: string;
    /** OpenSSH public keys, one per entry. */
    sshKeys: string[];
  };
  install: {
    locale: string;
    keyboard: string;
    timezone: string;
    /** Package mirror URL, `''` for the distribution default. */
    mirrorUrl: string;
    /** `mirrorUrl` split for debian-installer. */
    mirrorScheme: string;
    mirrorHost: string;
    mirrorDirectory: string;
    /** HTTP proxy URL for the installer, `''` when none. */
    proxy: string;
    /** Extra packages. */
    packages: string[];
    /** Extra kernel arguments (after the installer's own). */
    kernelArgs: string[];
    /** Port the installed sshd listens on (reported in the callback). */
    sshPort: number;
  };
  boot: {
    configId: string;
    /** Where iPXE chains back to on failure (the MAC entry point). */
    ipxeUrl: string;
    kernelUrl: string;
    initrdUrls: string[];
    /** Ubuntu live-server ISO (`url=`), `''` for other families. */
    isoUrl: string;
    /** Anaconda install tree (`inst.repo`, `url --url`), `''` for other families. */
    treeUrl: string;
    /** The install config: the NoCloud seed prefix (ends with `/`), or the preseed/kickstart file. */
    configUrl: string;
    callbackUrl: string;
    /** The installer's one-time callback token (or the mask in previews). */
    callbackToken: string;
  };
  /** The merged params (secrets resolved), for site snippets that read their own keys. */
  params: Params;
}

/** What an install config is rendered for. */
export interface InstallSubject {
  machine: Machine;
  role: MachineRole;
  cluster: Pick<ClusterSpec, 'name' | 'os' | 'network' | 'raid'>;
  /** Merged params (global → profile → cluster → machine) with secret references resolved. */
  params: Params;
  /** The newest discovered inventory, when discovery ran. */
  hardware?: HardwareInventory;
  /** A static address for the boot NIC at install time (else `params.installAddress`, else DHCP). */
  bootAddress?: { cidr: string; gateway?: string };
  /** Values that came from secrets: problems never quote them. */
  revealed?: readonly string[];
}

/** Where the provisioner answers and the one-time tokens of this rendering. */
export interface BootEndpoints {
  /** Base URL machines reach the provisioner at, e.g. `http://10.0.0.2:3000` (no trailing slash). */
  publicBaseUrl: string;
  configId: string;
  configToken: string;
  callbackToken: string;
}

const USER_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;
const SSH_KEY_PATTERN =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) AAAA[A-Za-z0-9+/]+={0,3}(?: [\w.@+-]{1,100})?$/;
const CRYPT_PATTERN = /^(!|\*|\$(?:1|5|6|y|2[aby])\$[./A-Za-z0-9$=]{8,200})$/;
const HOST_PATTERN =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const URL_PATTERN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$/;
const WORD_PATTERN = /^[A-Za-z0-9_.@:+,/=-]{1,200}$/;
const PACKAGE_PATTERN = /^[A-Za-z0-9@][A-Za-z0-9+._:@^-]{0,100}$/;
const LOCALE_PATTERN = /^[A-Za-z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]+)?(@[a-z]+)?$/;
const TIMEZONE_PATTERN = /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/;
const DEVICE_PATTERN = /^\/dev\/[A-Za-z0-9/_.-]+$/;

/** Release code names by family and version (the preseed mirror suite needs one). */
const CODENAMES: Partial<Record<OsFamily, Record<string, string>>> = {
  debian: { '10': 'buster', '11': 'bullseye', '12': 'bookworm', '13': 'trixie' },
  ubuntu: { '20.04': 'focal', '22.04': 'jammy', '24.04': 'noble', '24.10': 'oracular', '25.04': 'plucky' },
};

/** Default login user when `params.user` is not set. */
export const DEFAULT_USER = 'plinth';

/**
 * Reads the params and spec into an {@link InstallContext}. Every problem (a bad SSH key, a URL
 * with spaces, a missing key list…) is collected and reported at once as a non-retryable
 * `TemplateError` whose details list `{ path, message }`.
 */
export function buildInstallContext(subject: InstallSubject, endpoints: BootEndpoints): InstallContext {
  const problems: Problem[] = [];
  const params = subject.params;
  const problem = (path: string, message: string): void => void problems.push({ path, message });
  const secrets = new Set(subject.revealed ?? []);
  const read = new ParamReader(params, problem, secrets);

  const { machine, cluster } = subject;
  const family = cluster.os.family;
  const installer = installerKindFor(family);
  const major = Number.parseInt(cluster.os.version, 10);
  if (!Number.isFinite(major)) problem('os.version', `"${cluster.os.version}" does not start with a number`);

  const user = read.string('user', USER_PATTERN, 'a login name such as "plinth"') ?? DEFAULT_USER;
  const sshKeys = read.sshKeys('sshKeys');
  const passwordHash =
    read.string('passwordHash', CRYPT_PATTERN, 'a crypt(3) hash ($6$…, $y$…) or "!" for a locked password') ??
    '!';
  const domain = read.string('domain', HOST_PATTERN, 'a DNS domain such as "lab.example"') ?? '';
  const dns = read.hosts('dns') ?? cluster.network.dns;
  const ntp = read.hosts('ntp') ?? cluster.network.ntp;
  const locale = read.string('locale', LOCALE_PATTERN, 'a locale such as "en_US.UTF-8"') ?? 'en_US.UTF-8';
  const keyboard = read.string('keyboard', /^[a-z]{2,8}(\([a-z0-9_-]+\))?$/, 'a keymap such as "us"') ?? 'us';
  const timezone =
    read.string('timezone', TIMEZONE_PATTERN, 'a time zone such as "UTC" or "Europe/Paris"') ?? 'UTC';
  const mirrorUrl = read.url('mirror') ?? '';
  const proxy = read.url('proxy') ?? '';
  const mediaUrl = read.url('mediaUrl') ?? `${endpoints.publicBaseUrl}/boot/media`;
  const isoParam = read.url('isoUrl');
  const packages = read.list('packages', PACKAGE_PATTERN, 'a package name') ?? [];
  const kernelArgs =
    read.list('kernelArgs', WORD_PATTERN, 'one kernel argument without spaces or quotes') ?? [];
  const sshPort = read.integer('sshPort', 1, 65535) ?? 22;
  const storageParams = read.object('storage');
  const osDiskParam = storageParams
    ? new ParamReader(
        storageParams,
        (path, message) => problem(path.replace(/^params\./, 'params.storage.'), message),
        secrets,
      ).string('osDisk', DEVICE_PATTERN, 'a device path such as /dev/sda')
    : undefined;
  const softwareRaid = storageParams?.['softwareRaid'] === true;

  const codename = CODENAMES[family]?.[cluster.os.version] ?? '';
  if (installer === 'preseed' && !codename) {
    problem(
      'os.version',
      `Debian ${cluster.os.version} is not a release Plinth knows (${Object.keys(CODENAMES.debian ?? {}).join(', ')})`,
    );
  }
  const boot = bootNetwork(subject, read, problem);
  if (softwareRaid && installer === 'preseed') {
    problem(
      'params.storage.softwareRaid',
      'the Debian preseed snippets do not build software RAID; use a hardware RAID layout, or Ubuntu/Rocky',
    );
  }
  const storage = chooseStorage(subject, softwareRaid && installer !== 'preseed', osDiskParam, problem);

  if (problems.length > 0) {
    throw new RoleError(
      'TemplateError',
      `Cannot render the install config of ${machine.name}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      { machine: machine.name, problems },
    );
  }

  const version = cluster.os.version;
  const base = endpoints.publicBaseUrl;
  const configBase = `${base}/boot/configs/${endpoints.configToken}/`;
  let kernelUrl: string;
  let initrdUrls: string[];
  let isoUrl = '';
  let treeUrl = '';
  let configUrl: string;
  switch (installer) {
    case 'autoinstall':
      kernelUrl = `${mediaUrl}/ubuntu/${version}/casper/vmlinuz`;
      initrdUrls = [`${mediaUrl}/ubuntu/${version}/casper/initrd`];
      isoUrl = isoParam ?? `${mediaUrl}/ubuntu/${version}/ubuntu-${version}-live-server-amd64.iso`;
      configUrl = configBase;
      break;
    case 'preseed':
      kernelUrl = `${mediaUrl}/debian/${version}/debian-installer/amd64/linux`;
      initrdUrls = [`${mediaUrl}/debian/${version}/debian-installer/amd64/initrd.gz`];
      configUrl = `${configBase}preseed.cfg`;
      break;
    case 'kickstart':
      treeUrl = mirrorUrl || `${mediaUrl}/${family}/${version}/BaseOS/x86_64/os`;
      kernelUrl = `${treeUrl}/images/pxeboot/vmlinuz`;
      initrdUrls = [`${treeUrl}/images/pxeboot/initrd.img`];
      configUrl = `${configBase}ks.cfg`;
      break;
  }
  const mirror = mirrorUrl ? new URL(mirrorUrl) : undefined;

  return {
    machine: {
      name: machine.name,
      hostname: machine.name,
      domain,
      fqdn: domain ? `${machine.name}.${domain}` : machine.name,
      bootMac: machine.bootMac.toLowerCase(),
      bootMacHyphen: machine.bootMac.toLowerCase().replace(/:/g, '-'),
      role: subject.role,
      serial: machine.serial ?? '',
      rack: machine.rack ?? '',
      labels: machine.labels,
    },
    cluster: { name: cluster.name },
    os: {
      family,
      version,
      major,
      installer,
      profile: cluster.os.profile ?? '',
      hardened: cluster.os.profile === 'hardened',
      codename,
    },
    hardware: {
      known: subject.hardware !== undefined,
      drives: (subject.hardware?.drives ?? []).map((drive) => ({
        id: drive.id,
        serial: drive.serial ?? '',
        sizeBytes: drive.sizeBytes,
        mediaType: drive.mediaType,
      })),
      nics: (subject.hardware?.nics ?? []).map((nic) => ({ id: nic.id, mac: nic.mac.toLowerCase() })),
    },
    storage,
    network: { boot, dns, ntp },
    users: { name: user, passwordHash, sshKeys },
    install: {
      locale,
      keyboard,
      timezone,
      mirrorUrl,
      mirrorScheme: mirror ? mirror.protocol.replace(/:$/, '') : '',
      mirrorHost: mirror ? mirror.host : '',
      mirrorDirectory: mirror ? mirror.pathname.replace(/\/$/, '') || '/' : '',
      proxy,
      packages,
      kernelArgs,
      sshPort,
    },
    boot: {
      configId: endpoints.configId,
      ipxeUrl: `${base}/boot/ipxe?mac=${machine.bootMac.toLowerCase()}`,
      kernelUrl,
      initrdUrls,
      isoUrl,
      treeUrl,
      configUrl,
      callbackUrl: `${base}/boot/callback`,
      callbackToken: endpoints.callbackToken,
    },
    params,
  };
}

function bootNetwork(
  subject: InstallSubject,
  read: ParamReader,
  problem: (path: string, message: string) => void,
): InstallContext['network']['boot'] {
  const mac = subject.machine.bootMac.toLowerCase();
  const fromParams = read.string(
    'installAddress',
    /^[0-9./]+$/,
    'an address with prefix such as 10.20.0.51/24',
  );
  const gatewayParam = read.string('installGateway', /^[0-9.]+$/, 'an IPv4 address');
  const cidr = subject.bootAddress?.cidr ?? fromParams;
  if (!cidr) return { mac, dhcp: true, address: '', prefix: 0, gateway: '' };
  const path = subject.bootAddress ? 'bootAddress' : 'params.installAddress';
  const match = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr);
  const address = match?.[1] ?? '';
  const prefix = Number(match?.[2]);
  if (!match || parseIpv4(address) === undefined || prefix < 1 || prefix > 32) {
    problem(path, `"${cidr}" is not an IPv4 address with a prefix such as 10.20.0.51/24`);
    return { mac, dhcp: true, address: '', prefix: 0, gateway: '' };
  }
  const gateway = subject.bootAddress?.gateway ?? gatewayParam ?? subject.cluster.network.gateway ?? '';
  if (gateway && parseIpv4(gateway) === undefined)
    problem(`${path}.gateway`, `"${gateway}" is not an IPv4 address`);
  return { mac, dhcp: false, address, prefix, gateway };
}

/**
 * The OS goes on LVM. With a hardware RAID layout the installer sees the OS volume as one disk;
 * without RAID it sees the bare drives: either way the OS disk is the smallest one (the OS volume
 * is the small mirror, data volumes the big ones) unless `params.storage.osDisk` names it.
 * `params.storage.softwareRaid: true` with an `os` volume of `raid1` builds the mirror in the
 * installer instead (machines whose controller cannot), on the two smallest discovered drives.
 */
function chooseStorage(
  subject: InstallSubject,
  softwareRaid: boolean,
  osDisk: string | undefined,
  problem: (path: string, message: string) => void,
): InstallContext['storage'] {
  const layout = subject.cluster.raid[subject.role];
  const osVolume = layout?.['os'];
  if (softwareRaid) {
    if (osVolume?.level !== 'raid1') {
      problem(
        'params.storage.softwareRaid',
        `software RAID needs raid.${subject.role}.os with level raid1 (found ${osVolume ? osVolume.level : 'no os volume'})`,
      );
      return { layout: 'lvm', osDisk: '', raidSerials: [], reason: '' };
    }
    const drives = [...(subject.hardware?.drives ?? [])]
      .sort((a, b) => a.sizeBytes - b.sizeBytes)
      .slice(0, 2);
    if (drives.length < 2 || drives.some((drive) => !drive.serial)) {
      problem(
        'params.storage.softwareRaid',
        'software RAID1 needs the serials of two discovered drives: run discovery first',
      );
      return { layout: 'lvm', osDisk: '', raidSerials: [], reason: '' };
    }
    return {
      layout: 'raid1-lvm',
      osDisk: '',
      raidSerials: drives.map((drive) => drive.serial ?? ''),
      reason: `raid.${subject.role}.os is raid1 built in software (params.storage.softwareRaid) on the two smallest drives`,
    };
  }
  const reason = osVolume
    ? `raid.${subject.role}.os is a hardware ${osVolume.level} volume: the installer sees it as one disk`
    : `no RAID layout for ${subject.role}: the OS goes on one bare disk`;
  return {
    layout: 'lvm',
    osDisk: osDisk ?? '',
    raidSerials: [],
    reason: osDisk ? `${reason}; params.storage.osDisk names it` : `${reason}, the smallest one`,
  };
}

/** Reads one params object, reporting problems with their `params.` path. */
class ParamReader {
  constructor(
    private readonly params: Params,
    private readonly problem: (path: string, message: string) => void,
    private readonly secrets: ReadonlySet<string>,
  ) {}

  private shown(value: unknown): string {
    return typeof value === 'string' && this.secrets.has(value)
      ? ' (the value comes from a secret)'
      : shown(value);
  }

  private value(key: string): unknown {
    return Object.prototype.hasOwnProperty.call(this.params, key) ? this.params[key] : undefined;
  }

  string(key: string, pattern: RegExp, expected: string): string | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) {
      this.problem(`params.${key}`, `must be ${expected}${this.shown(value)}`);
      return undefined;
    }
    return value;
  }

  url(key: string): string | undefined {
    const url = this.string(key, URL_PATTERN, 'an http(s) URL without spaces or quotes');
    return url?.replace(/\/$/, '');
  }

  integer(key: string, min: number, max: number): number | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.problem(`params.${key}`, `must be an integer from ${min} to ${max}${this.shown(value)}`);
      return undefined;
    }
    return value;
  }

  object(key: string): Record<string, unknown> | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.problem(`params.${key}`, 'must be an object');
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  list(key: string, pattern: RegExp, expected: string): string[] | undefined {
    const value = this.value(key);
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      this.problem(`params.${key}`, `must be a list of ${expected}s`);
      return undefined;
    }
    const items: string[] = [];
    value.forEach((item, index) => {
      if (typeof item === 'string' && pattern.test(item)) items.push(item);
      else this.problem(`params.${key}[${index}]`, `must be ${expected}${this.shown(item)}`);
    });
    return items;
  }

  hosts(key: string): string[] | undefined {
    return this.list(key, HOST_PATTERN, 'a host name or IPv4 address');
  }

  /**
   * `sshKeys`: a list whose entries are OpenSSH public keys or secrets holding one key per line
   * (already resolved). At least one key is required: roles log in with it.
   */
  sshKeys(key: string): string[] {
    const value = this.value(key);
    if (!Array.isArray(value) || value.length === 0) {
      this.problem(
        `params.${key}`,
        'must list at least one OpenSSH public key (or secret/<name> holding keys): roles log in with it',
      );
      return [];
    }
    const keys: string[] = [];
    value.forEach((entry, index) => {
      if (typeof entry !== 'string') {
        this.problem(`params.${key}[${index}]`, `must be an OpenSSH public key${this.shown(entry)}`);
        return;
      }
      const lines = entry
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'));
      if (lines.length === 0) this.problem(`params.${key}[${index}]`, 'holds no key');
      // The message never quotes the entry: it may have come from a secret.
      lines.forEach((line, lineIndex) => {
        if (SSH_KEY_PATTERN.test(line)) keys.push(line);
        else
          this.problem(
            `params.${key}[${index}]`,
            `line ${lineIndex + 1} is not an OpenSSH public key ("<type> AAAA… [comment]")`,
          );
      });
    });
    return [...new Set(keys)];
  }
}

function shown(value: unknown): string {
  if (typeof value === 'string') return `, got "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`;
}
