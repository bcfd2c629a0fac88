import type { CommandContext, CommandDefinition } from '../command';
import type { HostOs } from '../host-os';
import { cataloguedPackage, defaultPackageVersion } from '../package-catalogue';

/**
 * Package managers: `apt-get`/`apt`, `apt-mark`, `dpkg` on Debian and Ubuntu; `dnf`/`yum`, `rpm`
 * on Rocky and RHEL. The lab has no repositories, so any package name installs; every package
 * newly installed or changed counts once in `packageInstalls`.
 */
const onApt = (os: HostOs): boolean => os.identity.packageManager === 'apt';
const onDnf = (os: HostOs): boolean => os.identity.packageManager === 'dnf';

export const packageCommands: Record<string, CommandDefinition> = {
  'apt-get': { run: (context) => apt(context, false), available: onApt },
  apt: { run: (context) => apt(context, true), available: onApt },
  'apt-mark': { run: aptMark, available: onApt },
  dpkg: { run: dpkg, available: onApt },
  'dpkg-query': {
    run: (context) => dpkg({ ...context, argv: ['dpkg', ...context.argv.slice(1)] }),
    available: onApt,
  },
  dnf: { run: dnf, available: onDnf },
  yum: { run: dnf, available: onDnf },
  rpm: { run: rpm, available: onDnf },
};

interface Request {
  name: string;
  version: string;
}

/** `kubeadm=1.30.2-1.1` (apt) or `kubeadm-1.30.2` (dnf) → name and version. */
function parseRequests(words: string[], manager: 'apt' | 'dnf', installed: Map<string, string>): Request[] {
  return words.map((word) => {
    if (manager === 'apt') {
      const [name = word, version] = word.split('=');
      return { name, version: version ?? defaultPackageVersion(name, 'apt') };
    }
    const pinned = /^(.+?)-(\d[\w.:~+-]*)$/.exec(word);
    if (pinned && pinned[1] && pinned[2] && !installed.has(word)) {
      const release = cataloguedPackage(pinned[1])?.rpmRelease ?? '1.el9';
      return { name: pinned[1], version: pinned[2].includes('-') ? pinned[2] : `${pinned[2]}-${release}` };
    }
    return { name: word, version: defaultPackageVersion(word, 'dnf') };
  });
}

async function apt(context: CommandContext, friendly: boolean): Promise<number> {
  const args = context.argv.slice(1);
  const options = args.filter((arg) => arg.startsWith('-'));
  // `-o Key=Value` takes a separate argument.
  const words: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '-o' || arg === '-c' || arg === '-t') index += 1;
    else if (!arg.startsWith('-')) words.push(arg);
  }
  const [verb, ...names] = words;
  const assumeYes = options.some(
    (option) => /^-[a-z]*y/.test(option) || option === '--yes' || option === '--assume-yes',
  );
  if (friendly)
    context.stderr('\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\n');
  const { os } = context;
  if (verb === undefined) {
    context.stderr('E: No command given\n');
    return 100;
  }
  if (['install', 'remove', 'purge', 'update', 'upgrade'].includes(verb) && !context.root) {
    context.stderr(
      verb === 'update'
        ? 'Reading package lists...\nE: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)\nE: Unable to lock directory /var/lib/apt/lists/\n'
        : 'E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n',
    );
    return 100;
  }
  switch (verb) {
    case 'update':
      context.stdout(
        `Hit:1 http://archive.lab.invalid/${os.disk.os.family} ${os.disk.os.version} InRelease\nReading package lists...\n`,
      );
      return 0;
    case 'upgrade':
      context.stdout(
        'Reading package lists...\nBuilding dependency tree...\nReading state information...\nCalculating upgrade...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n',
      );
      return 0;
    case 'install': {
      const requests = parseRequests(names, 'apt', os.disk.packages);
      const changesHeld = requests.some(
        (request) =>
          os.disk.heldPackages.has(request.name) && os.disk.packages.get(request.name) !== request.version,
      );
      context.stdout('Reading package lists...\nBuilding dependency tree...\nReading state information...\n');
      if (changesHeld && !options.includes('--allow-change-held-packages')) {
        context.stderr(
          'E: Held packages were changed and -y was used without --allow-change-held-packages.\n',
        );
        return 100;
      }
      const changes = requests.filter((request) => os.disk.packages.get(request.name) !== request.version);
      for (const request of requests) {
        if (!changes.includes(request))
          context.stdout(`${request.name} is already the newest version (${request.version}).\n`);
      }
      const fresh = changes.filter((request) => !os.disk.packages.has(request.name));
      const upgraded = changes.filter((request) => os.disk.packages.has(request.name));
      if (fresh.length > 0)
        context.stdout(
          `The following NEW packages will be installed:\n  ${fresh.map((request) => request.name).join(' ')}\n`,
        );
      if (upgraded.length > 0)
        context.stdout(
          `The following packages will be upgraded:\n  ${upgraded.map((request) => request.name).join(' ')}\n`,
        );
      context.stdout(
        `${upgraded.length} upgraded, ${fresh.length} newly installed, 0 to remove and 0 not upgraded.\n`,
      );
      if (changes.length > 0 && !assumeYes) {
        context.stdout('Do you want to continue? [Y/n] ');
        const answer = (await context.stdin.readLine())?.trim().toLowerCase();
        if (answer !== '' && answer !== 'y' && answer !== 'yes') {
          context.stdout('Abort.\n');
          return 1;
        }
      }
      for (const request of changes) {
        context.stdout(`Setting up ${request.name} (${request.version}) ...\n`);
        os.disk.packages.set(request.name, request.version);
        os.machine.count('packageInstalls');
      }
      return 0;
    }
    case 'remove':
    case 'purge': {
      context.stdout('Reading package lists...\nBuilding dependency tree...\nReading state information...\n');
      const present = names.filter((name) => os.disk.packages.has(name));
      for (const name of names.filter((candidate) => !present.includes(candidate)))
        context.stdout(`Package '${name}' is not installed, so not removed\n`);
      for (const name of present) {
        context.stdout(`Removing ${name} (${os.disk.packages.get(name) ?? ''}) ...\n`);
        os.disk.packages.delete(name);
      }
      return 0;
    }
    default:
      context.stderr(`E: Invalid operation ${verb}\n`);
      return 100;
  }
}

function aptMark(context: CommandContext): number {
  const [verb, ...names] = context.argv.slice(1).filter((arg) => !arg.startsWith('-'));
  const { disk } = context.os;
  if (verb === 'showhold') {
    for (const name of [...disk.heldPackages].sort()) context.stdout(`${name}\n`);
    return 0;
  }
  if (verb !== 'hold' && verb !== 'unhold') {
    context.stderr(`E: Invalid operation ${verb ?? ''}\n`);
    return 100;
  }
  if (!context.root) {
    context.stderr(
      'E: Could not create temporary file for /var/lib/apt/extended_states - mkstemp (13: Permission denied)\n',
    );
    return 100;
  }
  for (const name of names) {
    if (!disk.packages.has(name)) {
      context.stderr(`E: Unable to locate package ${name}\n`);
      return 100;
    }
    const held = disk.heldPackages.has(name);
    if (verb === 'hold') {
      context.stdout(held ? `${name} was already set on hold.\n` : `${name} set on hold.\n`);
      disk.heldPackages.add(name);
    } else {
      context.stdout(held ? `Canceled hold on ${name}.\n` : `${name} was already not on hold.\n`);
      disk.heldPackages.delete(name);
    }
  }
  return 0;
}

function dpkg(context: CommandContext): number {
  const [option, ...names] = context.argv.slice(1);
  const { packages } = context.os.disk;
  if (option === '-l' || option === '--list') {
    const selected = names.length > 0 ? names : [...packages.keys()].sort();
    const missing = selected.filter((name) => !packages.has(name));
    const found = selected.filter((name) => packages.has(name));
    if (found.length > 0) {
      context.stdout(
        'Desired=Unknown/Install/Remove/Purge/Hold\n' +
          '| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n' +
          '|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n' +
          '||/ Name                Version              Architecture Description\n' +
          '+++-===================-====================-============-=================================\n',
      );
      for (const name of found) {
        const state = context.os.disk.heldPackages.has(name) ? 'hi' : 'ii';
        const description = cataloguedPackage(name)?.description ?? name;
        context.stdout(
          `${state}  ${name.padEnd(19)} ${(packages.get(name) ?? '').padEnd(20)} amd64        ${description}\n`,
        );
      }
    }
    for (const name of missing) context.stderr(`dpkg-query: no packages found matching ${name}\n`);
    return missing.length > 0 ? 1 : 0;
  }
  if (option === '-s' || option === '--status') {
    let status = 0;
    for (const name of names) {
      const version = packages.get(name);
      if (version === undefined) {
        context.stderr(`dpkg-query: package '${name}' is not installed and no information is available\n`);
        status = 1;
        continue;
      }
      context.stdout(
        `Package: ${name}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: ${version}\nDescription: ${cataloguedPackage(name)?.description ?? name}\n`,
      );
    }
    return status;
  }
  if (option === '-W' || option === '--show') {
    let status = 0;
    for (const name of names) {
      const version = packages.get(name);
      if (version === undefined) {
        context.stderr(`dpkg-query: no packages found matching ${name}\n`);
        status = 1;
      } else context.stdout(`${name}\t${version}\n`);
    }
    return status;
  }
  context.stderr(`dpkg: the lab emulates only -l, -s and -W, not "${option ?? ''}"\n`);
  return 2;
}

async function dnf(context: CommandContext): Promise<number> {
  const args = context.argv.slice(1);
  const options = args.filter((arg) => arg.startsWith('-'));
  const [verb, ...names] = args.filter((arg) => !arg.startsWith('-'));
  const assumeYes = options.some(
    (option) => option === '-y' || option === '--assumeyes' || option === '--yes',
  );
  const { os } = context;
  if (verb === 'install' || verb === 'remove' || verb === 'upgrade') {
    if (!context.root) {
      context.stderr(
        'Error: This command has to be run with superuser privileges (under the root user on most systems).\n',
      );
      return 1;
    }
  }
  switch (verb) {
    case 'makecache':
      context.stdout('Metadata cache created.\n');
      return 0;
    case 'install':
    case 'upgrade': {
      const requests = parseRequests(names, 'dnf', os.disk.packages);
      context.stdout('Last metadata expiration check: 0:01:12 ago.\n');
      const changes = requests.filter((request) => os.disk.packages.get(request.name) !== request.version);
      for (const request of requests.filter((candidate) => !changes.includes(candidate))) {
        context.stdout(`Package ${request.name}-${request.version}.x86_64 is already installed.\n`);
      }
      context.stdout('Dependencies resolved.\n');
      if (changes.length === 0) {
        context.stdout('Nothing to do.\nComplete!\n');
        return 0;
      }
      context.stdout(
        `Transaction Summary\n${'='.repeat(80)}\nInstall  ${changes.length} Package${changes.length === 1 ? '' : 's'}\n\n`,
      );
      if (!assumeYes) {
        context.stdout('Is this ok [y/N]: ');
        const answer = (await context.stdin.readLine())?.trim().toLowerCase();
        if (answer !== 'y' && answer !== 'yes') {
          context.stdout('Operation aborted.\n');
          return 1;
        }
      }
      context.stdout('Installed:\n');
      for (const request of changes) {
        os.disk.packages.set(request.name, request.version);
        os.machine.count('packageInstalls');
        context.stdout(`  ${request.name}-${request.version}.x86_64\n`);
      }
      context.stdout('\nComplete!\n');
      return 0;
    }
    case 'remove': {
      for (const name of names) os.disk.packages.delete(name);
      context.stdout('Dependencies resolved.\nComplete!\n');
      return 0;
    }
    default:
      context.stderr(`No such command: ${verb ?? ''}. Please use /usr/bin/dnf --help\n`);
      return 1;
  }
}

function rpm(context: CommandContext): number {
  const [option, ...names] = context.argv.slice(1);
  const { packages } = context.os.disk;
  if (option === '-q' || option === '--query') {
    let missing = 0;
    for (const name of names) {
      const version = packages.get(name);
      if (version === undefined) {
        context.stdout(`package ${name} is not installed\n`);
        missing += 1;
      } else context.stdout(`${name}-${version}.x86_64\n`);
    }
    return missing;
  }
  if (option === '-qa') {
    for (const [name, version] of [...packages].sort()) context.stdout(`${name}-${version}.x86_64\n`);
    return 0;
  }
  context.stderr(`rpm: the lab emulates only -q and -qa, not "${option ?? ''}"\n`);
  return 1;
}
