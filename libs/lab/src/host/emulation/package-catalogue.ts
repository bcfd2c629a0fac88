/**
 * Packages the lab knows more about than "it installs": the commands and systemd units they
 * provide and the version they install by default. Every other package name installs too (the
 * lab has no repositories), with a generic version and nothing attached.
 */
export interface CataloguedPackage {
  /** Upstream version installed when none is pinned. */
  upstream: string;
  /** Debian revision suffix and RPM release, as the Kubernetes/vendor repositories publish them. */
  debRevision: string;
  rpmRelease: string;
  description: string;
  commands: string[];
  units: string[];
}

const KUBE_VERSION = '1.30.2';

const CATALOGUE: Record<string, CataloguedPackage> = {
  kubeadm: {
    upstream: KUBE_VERSION,
    debRevision: '1.1',
    rpmRelease: '150500.1.1',
    description: 'Command-line utility for administering a Kubernetes cluster',
    commands: ['kubeadm'],
    units: [],
  },
  kubelet: {
    upstream: KUBE_VERSION,
    debRevision: '1.1',
    rpmRelease: '150500.1.1',
    description: 'Node agent for Kubernetes clusters',
    commands: [],
    units: ['kubelet'],
  },
  kubectl: {
    upstream: KUBE_VERSION,
    debRevision: '1.1',
    rpmRelease: '150500.1.1',
    description: 'Command-line utility for interacting with a Kubernetes cluster',
    commands: ['kubectl'],
    units: [],
  },
  helm: {
    upstream: '3.15.2',
    debRevision: '1',
    rpmRelease: '1',
    description: 'The Kubernetes Package Manager',
    commands: ['helm'],
    units: [],
  },
  containerd: {
    upstream: '1.7.12',
    debRevision: '0ubuntu4.1',
    rpmRelease: '1.el9',
    description: 'daemon to control runC',
    commands: [],
    units: ['containerd'],
  },
  'containerd.io': {
    upstream: '1.7.19',
    debRevision: '1',
    rpmRelease: '3.1.el9',
    description: 'An open and reliable container runtime',
    commands: [],
    units: ['containerd'],
  },
  'cri-o': {
    upstream: '1.30.3',
    debRevision: '1.1',
    rpmRelease: '150500.1.1',
    description: 'Open Container Initiative-based implementation of Kubernetes Container Runtime Interface',
    commands: [],
    units: ['crio'],
  },
  'netplan.io': {
    upstream: '0.106',
    debRevision: '2',
    rpmRelease: '1.el9',
    description: 'Declarative network configuration for various backends at runtime',
    commands: ['netplan'],
    units: [],
  },
  netplan: {
    upstream: '0.106',
    debRevision: '2',
    rpmRelease: '1.el9',
    description: 'Declarative network configuration for various backends at runtime',
    commands: ['netplan'],
    units: [],
  },
  chrony: {
    upstream: '4.5',
    debRevision: '1',
    rpmRelease: '1.el9',
    description: 'Versatile implementation of the Network Time Protocol',
    commands: [],
    units: ['chrony'],
  },
};

export function cataloguedPackage(name: string): CataloguedPackage | undefined {
  return CATALOGUE[name];
}

/** The version string the package manager records when no version is pinned. */
export function defaultPackageVersion(name: string, manager: 'apt' | 'dnf'): string {
  const known = CATALOGUE[name];
  if (!known) return manager === 'apt' ? '1.0-1' : '1.0-1.el9';
  return `${known.upstream}-${manager === 'apt' ? known.debRevision : known.rpmRelease}`;
}

/** `1:1.30.2-1.1` → `1.30.2`. */
export function upstreamVersion(packageVersion: string): string {
  return packageVersion.replace(/^\d+:/, '').split('-')[0] ?? packageVersion;
}

/** Packages (among those installed) providing a command. */
export function packagesProvidingCommand(command: string): string[] {
  return Object.entries(CATALOGUE)
    .filter(([, entry]) => entry.commands.includes(command))
    .map(([name]) => name);
}

/** Units the installed packages add. */
export function unitsOfPackages(installed: Iterable<string>): string[] {
  const units: string[] = [];
  for (const name of installed) units.push(...(CATALOGUE[name]?.units ?? []));
  return units;
}
