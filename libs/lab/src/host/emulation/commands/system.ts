import type { CommandContext, CommandDefinition } from '../command';

/**
 * Identity and lifecycle of the host: `uname`, `hostname`, `hostnamectl`, `cloud-init status`,
 * `systemctl`, and the power commands (`reboot`, `poweroff`, `shutdown`).
 */
export const systemCommands: Record<string, CommandDefinition> = {
  uname: { run: uname },
  hostname: { run: hostname },
  hostnamectl: { run: hostnamectl },
  'cloud-init': {
    run: cloudInit,
    available: (os) => os.disk.os.family === 'ubuntu' || os.hasPackage('cloud-init'),
  },
  systemctl: { run: systemctl },
  reboot: { run: (context) => power(context, 'reboot') },
  poweroff: { run: (context) => power(context, 'poweroff') },
  shutdown: { run: shutdown },
};

function uname(context: CommandContext): number {
  const { identity, hostname } = context.os;
  const flags = new Set<string>();
  for (const arg of context.argv.slice(1)) {
    const long: Record<string, string> = {
      '--all': 'a',
      '--kernel-name': 's',
      '--nodename': 'n',
      '--kernel-release': 'r',
      '--kernel-version': 'v',
      '--machine': 'm',
      '--processor': 'p',
      '--hardware-platform': 'i',
      '--operating-system': 'o',
    };
    if (long[arg]) flags.add(long[arg]);
    else if (/^-[asnrvmpio]+$/.test(arg)) for (const letter of arg.slice(1)) flags.add(letter);
    else {
      context.stderr(
        `uname: invalid option -- '${arg.replace(/^-+/, '')}'\nTry 'uname --help' for more information.\n`,
      );
      return 1;
    }
  }
  // Debian's coreutils reports processor and platform as unknown, and `-a` then omits them.
  const debianLike = context.os.disk.os.family === 'debian';
  const fields: Array<[string, string | undefined]> = [
    ['s', 'Linux'],
    ['n', hostname],
    ['r', identity.kernelRelease],
    ['v', identity.kernelVersion],
    ['m', 'x86_64'],
    ['p', debianLike ? undefined : 'x86_64'],
    ['i', debianLike ? undefined : 'x86_64'],
    ['o', 'GNU/Linux'],
  ];
  if (flags.size === 0) flags.add('s');
  const all = flags.has('a');
  const out = fields
    .filter(([letter, value]) => (all ? value !== undefined : flags.has(letter)))
    .map(([, value]) => value ?? 'unknown');
  context.stdout(`${out.join(' ')}\n`);
  return 0;
}

function hostname(context: CommandContext): number {
  const flag = context.argv[1];
  const addresses = context.os.links
    .filter((link) => link.kind !== 'loopback')
    .flatMap((link) => link.addresses.map((cidr) => cidr.split('/')[0] ?? ''));
  switch (flag) {
    case undefined:
    case '-f':
    case '--fqdn':
    case '--long':
    case '-s':
    case '--short':
      context.stdout(
        `${flag === '-s' || flag === '--short' ? context.os.hostname.split('.')[0] : context.os.hostname}\n`,
      );
      return 0;
    case '-I':
    case '--all-ip-addresses':
      context.stdout(`${addresses.join(' ')} \n`);
      return 0;
    case '-i':
    case '--ip-address':
      context.stdout(`${context.os.primaryAddress}\n`);
      return 0;
    default:
      if (flag.startsWith('-')) {
        context.stderr(`hostname: invalid option -- '${flag.replace(/^-+/, '')}'\n`);
        return 1;
      }
      context.stderr(
        context.root
          ? 'hostname: the lab emulates changing the host name with "hostnamectl set-hostname" only\n'
          : 'hostname: you must be root to change the host name\n',
      );
      return 1;
  }
}

function hostnamectl(context: CommandContext): number {
  const [verb = 'status', value] = context.argv.slice(1).filter((arg) => !arg.startsWith('--'));
  if (verb === 'hostname' && value === undefined) {
    context.stdout(`${context.os.hostname}\n`);
    return 0;
  }
  if (verb === 'set-hostname' || verb === 'hostname') {
    if (!value) {
      context.stderr('Too few arguments.\n');
      return 1;
    }
    if (!context.root) {
      context.stderr('Could not set static hostname: Access denied\n');
      return 1;
    }
    context.os.disk.writeFile('/etc/hostname', `${value}\n`, 0o644, 'root');
    return 0;
  }
  if (verb !== 'status') {
    context.stderr(`Unknown command verb '${verb}'.\n`);
    return 1;
  }
  const { hardware } = context.os.machine;
  context.stdout(
    [
      ` Static hostname: ${context.os.hostname}`,
      '       Icon name: computer-server',
      '         Chassis: server',
      `      Machine ID: ${context.os.disk.id.replace(/-/g, '')}`,
      `         Boot ID: ${context.os.bootId.replace(/-/g, '')}`,
      `Operating System: ${context.os.identity.prettyName}`,
      `          Kernel: Linux ${context.os.identity.kernelRelease}`,
      '    Architecture: x86-64',
      ` Hardware Vendor: ${hardware.manufacturer}`,
      `  Hardware Model: ${hardware.model}`,
      `Firmware Version: ${hardware.biosVersion}`,
      '',
    ].join('\n'),
  );
  return 0;
}

function cloudInit(context: CommandContext): number {
  const [verb, ...flags] = context.argv.slice(1);
  if (verb !== 'status') {
    context.stderr(`cloud-init: the lab emulates only "cloud-init status", not "${verb ?? ''}"\n`);
    return 2;
  }
  context.stdout(
    flags.includes('--long')
      ? 'status: done\nextended_status: done\nboot_status_code: enabled-by-generator\ndetail: DataSourceNoCloud\nerrors: []\n'
      : 'status: done\n',
  );
  return 0;
}

const UNIT_DESCRIPTIONS: Record<string, string> = {
  kubelet: 'kubelet: The Kubernetes Node Agent',
  containerd: 'containerd container runtime',
  crio: 'Container Runtime Interface for OCI (CRI-O)',
  ssh: 'OpenBSD Secure Shell server',
  sshd: 'OpenSSH server daemon',
};

function systemctl(context: CommandContext): Promise<number> | number {
  const args = context.argv.slice(1);
  const quiet = args.includes('--quiet') || args.includes('-q');
  const now = args.includes('--now');
  const [verb = 'list-units', ...rawUnits] = args.filter((arg) => !arg.startsWith('-'));
  const units = rawUnits.map((unit) => unit.replace(/\.service$/, ''));
  const { os } = context;
  const known = os.knownUnits();
  const activeState = (unit: string): string => {
    if (!os.activeUnits.has(unit)) return 'inactive';
    // Without a kubeadm-written config the kubelet crash-loops, which systemd shows as "activating".
    if (unit === 'kubelet' && !os.disk.files.has('/var/lib/kubelet/config.yaml')) return 'activating';
    return 'active';
  };
  const denied = (action: string, unit?: string): number => {
    context.stderr(
      unit
        ? `Failed to ${action} ${unit}.service: Interactive authentication required.\nSee system logs and 'systemctl status ${unit}.service' for details.\n`
        : `Failed to ${action} unit: Interactive authentication required.\n`,
    );
    return 1;
  };
  switch (verb) {
    case 'is-active': {
      let status = 0;
      for (const unit of units) {
        const state = activeState(unit);
        if (!quiet) context.stdout(`${state}\n`);
        if (state !== 'active') status = 3;
      }
      return status;
    }
    case 'is-enabled': {
      let status = 0;
      for (const unit of units) {
        if (!known.has(unit)) {
          context.stderr(`Failed to get unit file state for ${unit}.service: No such file or directory\n`);
          status = 1;
          continue;
        }
        const enabled = os.disk.enabledUnits.has(unit);
        if (!quiet) context.stdout(enabled ? 'enabled\n' : 'disabled\n');
        if (!enabled) status = 1;
      }
      return status;
    }
    case 'start':
    case 'restart':
    case 'reload':
    case 'try-restart':
    case 'stop': {
      for (const unit of units) {
        if (!context.root) return denied(verb, unit);
        if (!known.has(unit)) {
          context.stderr(`Failed to ${verb} ${unit}.service: Unit ${unit}.service not found.\n`);
          return 5;
        }
        if (verb === 'stop') os.stopUnit(unit);
        else if (verb !== 'try-restart' || os.activeUnits.has(unit)) os.startUnit(unit);
      }
      return 0;
    }
    case 'enable':
    case 'disable': {
      if (!context.root) return denied(verb);
      for (const unit of units) {
        if (!known.has(unit)) {
          context.stderr(`Failed to ${verb} unit: Unit file ${unit}.service does not exist.\n`);
          return 1;
        }
        const link = `/etc/systemd/system/multi-user.target.wants/${unit}.service`;
        if (verb === 'enable') {
          if (!os.disk.enabledUnits.has(unit))
            context.stderr(`Created symlink ${link} → /usr/lib/systemd/system/${unit}.service.\n`);
          os.disk.enabledUnits.add(unit);
          if (now) os.startUnit(unit);
        } else {
          if (os.disk.enabledUnits.has(unit)) context.stderr(`Removed "${link}".\n`);
          os.disk.enabledUnits.delete(unit);
          if (now) os.stopUnit(unit);
        }
      }
      return 0;
    }
    case 'daemon-reload':
      return context.root ? 0 : denied('reload daemon');
    case 'status': {
      let status = 0;
      for (const unit of units) {
        if (!known.has(unit)) {
          context.stderr(`Unit ${unit}.service could not be found.\n`);
          status = 4;
          continue;
        }
        const state = activeState(unit);
        const enabled = os.disk.enabledUnits.has(unit) ? 'enabled' : 'disabled';
        const since = new Date(os.unitStartedAt.get(unit) ?? os.bootedAt).toUTCString();
        const active =
          state === 'active'
            ? `active (running) since ${since}`
            : state === 'activating'
              ? `activating (auto-restart) since ${since}`
              : 'inactive (dead)';
        context.stdout(
          [
            `${state === 'active' ? '●' : '○'} ${unit}.service - ${UNIT_DESCRIPTIONS[unit] ?? unit}`,
            `     Loaded: loaded (/usr/lib/systemd/system/${unit}.service; ${enabled}; preset: enabled)`,
            `     Active: ${active}`,
            '',
          ].join('\n'),
        );
        if (state !== 'active') status = 3;
      }
      return status;
    }
    case 'reboot':
      return power(context, 'reboot');
    case 'poweroff':
      return power(context, 'poweroff');
    default:
      context.stderr(`systemctl: the lab does not emulate "systemctl ${verb}"\n`);
      return 1;
  }
}

function shutdown(context: CommandContext): Promise<number> | number {
  const args = context.argv.slice(1);
  return power(context, args.includes('-r') || args.includes('--reboot') ? 'reboot' : 'poweroff');
}

/**
 * The command does not return: the host goes down and the SSH connection drops, as with a real
 * `ssh host sudo reboot` (the client sees the connection closed, not an exit status).
 */
async function power(context: CommandContext, action: 'reboot' | 'poweroff'): Promise<number> {
  if (!context.root) {
    const verb = action === 'reboot' ? 'Reboot' : 'PowerOff';
    context.stderr(
      `Failed to set wall message, ignoring: Interactive authentication required.\nCall to ${verb} failed: Interactive authentication required.\n`,
    );
    return 1;
  }
  context.os.power(action);
  await new Promise<void>((resolve) => {
    if (context.signal.aborted) resolve();
    else context.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  return 0;
}
