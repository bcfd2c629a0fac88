import { randomUUID } from 'node:crypto';
import { dirname, posix } from 'node:path';
import type { InstalledOs } from '../../machine/lab-machine';
import type { HostKey } from '../ssh/host-keys';
import { osIdentity } from './os-identity';

/** A file on a lab host's disk. Owner is a user name; mode is the permission bits. */
export interface DiskFile {
  content: string;
  mode: number;
  owner: string;
}

/** The host's kubelet/control-plane membership, as kubeadm leaves it on disk. */
export interface KubeMembership {
  clusterId: string;
  nodeName: string;
  controlPlane: boolean;
}

/**
 * What an install leaves on a lab host's disk and a reboot keeps: files the emulated commands
 * wrote, installed packages, enabled units, the SSH host key and kubeadm's membership. A reinstall
 * replaces the whole object (new {@link HostDisk.id}, new host key). Created only when a host
 * installs or first boots its OS, so idle machines cost nothing.
 */
export class HostDisk {
  /** Distinguishes installs: state elsewhere (a cluster's node) pinned to an old disk is stale. */
  readonly id = randomUUID();
  readonly files = new Map<string, DiskFile>();
  readonly dirs = new Set<string>();
  /** Installed packages, name → version. */
  readonly packages = new Map<string, string>();
  readonly heldPackages = new Set<string>();
  readonly enabledUnits = new Set<string>();
  /** `helm repo add` entries, name → URL. */
  readonly helmRepos = new Map<string, string>();
  kube: KubeMembership | undefined;

  constructor(
    readonly os: InstalledOs,
    readonly hostKey: HostKey,
  ) {
    const identity = osIdentity(os);
    for (const dir of [
      '/',
      '/etc',
      '/etc/ssh',
      '/etc/systemd/system',
      '/home',
      '/root',
      '/tmp',
      '/var',
      '/var/lib',
      '/usr',
      '/usr/bin',
      '/run',
      '/opt',
    ]) {
      this.dirs.add(dir);
    }
    this.dirs.add(homeOf(os.user));
    if (identity.packageManager === 'apt') this.dirs.add('/etc/apt/sources.list.d');
    else this.dirs.add('/etc/yum.repos.d');
    for (const unit of identity.baseUnits) this.enabledUnits.add(unit);
    for (const [name, version] of Object.entries(identity.basePackages)) this.packages.set(name, version);
    if (os.family === 'ubuntu') this.dirs.add('/etc/netplan');
    this.writeFile('/etc/hostname', `${os.hostname}\n`, 0o644, 'root');
    this.writeFile(
      '/etc/ssh/ssh_host_ed25519_key.pub',
      `${hostKey.publicKey} root@${os.hostname}\n`,
      0o644,
      'root',
    );
    this.writeFile(
      `${homeOf(os.user)}/.ssh/authorized_keys`,
      `${os.authorizedKeys.join('\n')}\n`,
      0o600,
      os.user,
    );
  }

  /** The host name as `/etc/hostname` has it now (`hostnamectl set-hostname` changes it). */
  get hostname(): string {
    return (this.files.get('/etc/hostname')?.content ?? this.os.hostname).trim();
  }

  isDir(path: string): boolean {
    if (this.dirs.has(path)) return true;
    const prefix = path.endsWith('/') ? path : `${path}/`;
    for (const file of this.files.keys()) if (file.startsWith(prefix)) return true;
    return false;
  }

  writeFile(path: string, content: string, mode: number, owner: string): void {
    this.files.set(path, { content, mode, owner });
    for (let dir = dirname(path); !this.dirs.has(dir); dir = dirname(dir)) this.dirs.add(dir);
  }

  /** Files directly or indirectly below a directory. */
  filesUnder(dir: string): string[] {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    return [...this.files.keys()].filter((path) => path.startsWith(prefix)).sort();
  }
}

/** The home directory of a login user. */
export function homeOf(user: string): string {
  return user === 'root' ? '/root' : `/home/${user}`;
}

/** Resolve a path as a shell in `cwd` would (`~` is the user's home). */
export function resolvePath(path: string, cwd: string, home: string): string {
  const expanded = path === '~' ? home : path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
  return posix.resolve(cwd, expanded);
}
