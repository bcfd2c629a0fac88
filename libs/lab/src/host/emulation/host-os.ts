import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import type { LabMachine } from '../../machine/lab-machine';
import type { CommandContext } from './command';
import { homeOf, type HostDisk } from './host-disk';
import type { KubeletHost, LabWorld } from './lab-world';
import { loadNetplan, type NetplanFile } from './netplan-config';
import { linksFromAddresses, linksFromNetplan, primaryIpv4, type NetLink } from './network-links';
import { osIdentity, type OsIdentity } from './os-identity';
import { unitsOfPackages } from './package-catalogue';

export type PowerAction = 'reboot' | 'poweroff';

export interface HostOsOptions {
  machine: LabMachine;
  disk: HostDisk;
  world: LabWorld;
  /** The address the host's SSH server listens on (its address on the lab's loopback). */
  sshHost: string;
  /** Reboot or power off the machine, as `reboot`/`poweroff` do. */
  power: (action: PowerAction) => void;
  /** How cluster nodes registered from this host learn whether its kubelet runs. */
  kubeletHost: KubeletHost;
}

export type FileRead =
  | { ok: true; content: string }
  | { ok: false; reason: 'No such file or directory' | 'Permission denied' | 'Is a directory' };
export type FileWrite =
  { ok: true } | { ok: false; reason: 'No such file or directory' | 'Permission denied' | 'Is a directory' };

/**
 * One boot of a lab host's installed OS: the disk it booted from plus what only lives while it
 * runs (active units, configured network). Created when the OS boots, dropped at power-off.
 */
export class HostOs {
  readonly machine: LabMachine;
  readonly disk: HostDisk;
  readonly world: LabWorld;
  readonly identity: OsIdentity;
  readonly sshHost: string;
  readonly kubeletHost: KubeletHost;
  readonly bootedAt = Date.now();
  readonly bootId = randomUUID();
  readonly activeUnits = new Set<string>();
  /** When each active unit last started (kubelet readiness counts from it). */
  readonly unitStartedAt = new Map<string, number>();
  links: NetLink[];
  private readonly powerAction: (action: PowerAction) => void;

  constructor(options: HostOsOptions) {
    this.machine = options.machine;
    this.disk = options.disk;
    this.world = options.world;
    this.sshHost = options.sshHost;
    this.powerAction = options.power;
    this.kubeletHost = options.kubeletHost;
    this.identity = osIdentity(options.disk.os);
    const known = this.knownUnits();
    for (const unit of this.disk.enabledUnits) if (known.has(unit)) this.startUnit(unit);
    this.links = this.bootNetwork();
  }

  get hostname(): string {
    return this.disk.hostname;
  }

  get user(): string {
    return this.disk.os.user;
  }

  get home(): string {
    return homeOf(this.user);
  }

  /** Address other nodes reach this host on: its first static IPv4, else its lab address. */
  get primaryAddress(): string {
    return primaryIpv4(this.links) ?? this.sshHost;
  }

  power(action: PowerAction): void {
    this.powerAction(action);
  }

  hasPackage(name: string): boolean {
    return this.disk.packages.has(name);
  }

  /** Units that exist on this host: the distribution's own and those of installed packages. */
  knownUnits(): Set<string> {
    return new Set([...this.identity.baseUnits, ...unitsOfPackages(this.disk.packages.keys())]);
  }

  startUnit(unit: string): void {
    this.activeUnits.add(unit);
    this.unitStartedAt.set(unit, Date.now());
  }

  stopUnit(unit: string): void {
    this.activeUnits.delete(unit);
    this.unitStartedAt.delete(unit);
  }

  /** netplan exists on Ubuntu, and elsewhere once its package is installed. */
  netplanAvailable(): boolean {
    return this.disk.os.family === 'ubuntu' || this.hasPackage('netplan.io') || this.hasPackage('netplan');
  }

  netplanFiles(): NetplanFile[] {
    return ['/lib/netplan', '/etc/netplan', '/run/netplan'].flatMap((dir) =>
      this.disk
        .filesUnder(dir)
        .filter((path) => posix.dirname(path) === dir && path.endsWith('.yaml'))
        .map((path) => {
          const file = this.disk.files.get(path);
          return { path, content: file?.content ?? '', mode: file?.mode ?? 0o600 };
        }),
    );
  }

  /** At boot networkd applies netplan (when present and valid); otherwise the installer's static configuration. */
  private bootNetwork(): NetLink[] {
    if (this.netplanAvailable()) {
      const files = this.netplanFiles();
      if (files.length > 0) {
        const loaded = loadNetplan(files);
        if (loaded.ok) return linksFromNetplan(loaded.tree, this.machine.hardware.nics);
      }
    }
    return linksFromAddresses(this.disk.os.addresses, this.machine.hardware.nics);
  }

  resolve(context: Pick<CommandContext, 'cwd'>, path: string): string {
    const expanded = path === '~' ? this.home : path.startsWith('~/') ? `${this.home}${path.slice(1)}` : path;
    return posix.resolve(context.cwd, expanded);
  }

  readFile(context: Pick<CommandContext, 'cwd' | 'root' | 'user'>, path: string): FileRead {
    const absolute = this.resolve(context, path);
    const virtual = this.virtualFile(absolute);
    if (virtual !== undefined) return { ok: true, content: virtual };
    const file = this.disk.files.get(absolute);
    if (!file)
      return this.disk.isDir(absolute)
        ? { ok: false, reason: 'Is a directory' }
        : { ok: false, reason: 'No such file or directory' };
    if (!context.root && file.owner !== context.user && (file.mode & 0o004) === 0)
      return { ok: false, reason: 'Permission denied' };
    return { ok: true, content: file.content };
  }

  writeFile(
    context: Pick<CommandContext, 'cwd' | 'root' | 'user'>,
    path: string,
    content: string,
    options: { append?: boolean; mode?: number } = {},
  ): FileWrite {
    const absolute = this.resolve(context, path);
    if (absolute === '/dev/null') return { ok: true };
    if (this.disk.isDir(absolute)) return { ok: false, reason: 'Is a directory' };
    if (!this.disk.isDir(posix.dirname(absolute))) return { ok: false, reason: 'No such file or directory' };
    const existing = this.disk.files.get(absolute);
    if (!context.root && !this.userMayWrite(context.user, absolute, existing?.owner))
      return { ok: false, reason: 'Permission denied' };
    const owner = existing?.owner ?? (context.root ? 'root' : context.user);
    const mode = existing?.mode ?? options.mode ?? 0o644;
    this.disk.writeFile(
      absolute,
      options.append && existing ? existing.content + content : content,
      mode,
      owner,
    );
    return { ok: true };
  }

  fileExists(context: Pick<CommandContext, 'cwd'>, path: string): boolean {
    const absolute = this.resolve(context, path);
    return this.disk.files.has(absolute) || this.virtualFile(absolute) !== undefined;
  }

  private userMayWrite(user: string, path: string, owner: string | undefined): boolean {
    if (owner !== undefined) return owner === user;
    const home = homeOf(user);
    return path.startsWith(`${home}/`) || path.startsWith('/tmp/');
  }

  /** Files the OS generates rather than stores. */
  private virtualFile(path: string): string | undefined {
    switch (path) {
      case '/etc/os-release':
      case '/usr/lib/os-release':
        return this.identity.osRelease;
      case '/etc/machine-id':
        return `${this.disk.id.replace(/-/g, '')}\n`;
      case '/proc/sys/kernel/random/boot_id':
        return `${this.bootId}\n`;
      case '/proc/sys/net/ipv4/ip_forward':
        return '1\n';
      default:
        return undefined;
    }
  }
}
