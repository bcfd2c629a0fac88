import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

/**
 * The real validators from Debian (cloud-init, debconf-utils, shellcheck, netplan.io, yamllint),
 * run on rendered files, plus the structural checks for the formats Debian has no validator for
 * (kickstart: pykickstart is not packaged in Debian 12; iPXE). Each returns what the tool said.
 */
export interface ToolResult {
  ok: boolean;
  output: string;
}

/** The Debian packages the validators come from, by command. */
export const VALIDATOR_PACKAGES: Record<string, string> = {
  'cloud-init': 'cloud-init',
  'debconf-set-selections': 'debconf',
  shellcheck: 'shellcheck',
  netplan: 'netplan.io',
  yamllint: 'yamllint',
};

/** Commands missing on this machine, with the package to install. */
export function missingValidators(): string[] {
  return Object.entries(VALIDATOR_PACKAGES)
    .filter(([command]) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0)
    .map(([command, pkg]) => `${command} (apt-get install ${pkg})`);
}

function withTempDir<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-validate-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], options: { input?: string; cwd?: string } = {}): ToolResult {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    input: options.input,
    cwd: options.cwd,
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

/** `cloud-init schema --config-file`: the cloud-config keys it knows are checked (unknown ones are not). */
export function cloudInitSchema(text: string): ToolResult {
  return withTempDir((dir) => {
    const file = join(dir, 'user-data');
    writeFileSync(file, text);
    return run('cloud-init', ['schema', '--config-file', file]);
  });
}

/** `debconf-set-selections -c`: a syntax error fails; a bad type only warns, so any output fails too. */
export function debconfCheck(text: string): ToolResult {
  return withTempDir((dir) => {
    const file = join(dir, 'preseed.cfg');
    writeFileSync(file, text);
    const result = run('debconf-set-selections', ['-c', file]);
    return {
      ok: result.ok && !/warning|error/i.test(result.output) && result.output === '',
      output: result.output,
    };
  });
}

/** `shellcheck -s <shell>` on a script body (stdin). */
export function shellcheck(script: string, shell: 'sh' | 'bash'): ToolResult {
  return run('shellcheck', ['-s', shell, '-'], { input: script });
}

/** `yamllint -s` (warnings fail) with the default rules, long lines allowed, `#cloud-config` accepted. */
export function yamllint(text: string): ToolResult {
  const config =
    '{extends: default, rules: {line-length: disable, document-start: disable, comments: {require-starting-space: false}}}';
  return run('yamllint', ['-s', '-f', 'parsable', '-d', config, '-'], { input: text });
}

/**
 * `netplan generate --root-dir`: the netplan YAML goes to `<root>/etc/netplan/50-plinth.yaml`
 * (mode 0600); returns the systemd-networkd files it wrote, by name.
 */
export function netplanGenerate(yaml: string): ToolResult & { networkd: Record<string, string> } {
  return withTempDir((root) => {
    mkdirSync(join(root, 'etc/netplan'), { recursive: true });
    const file = join(root, 'etc/netplan/50-plinth.yaml');
    writeFileSync(file, yaml);
    chmodSync(file, 0o600);
    const result = run('netplan', ['generate', '--root-dir', root]);
    const networkd: Record<string, string> = {};
    const dir = join(root, 'run/systemd/network');
    try {
      for (const name of readdirSync(dir)) networkd[name] = readFileSync(join(dir, name), 'utf8');
    } catch {
      // nothing generated
    }
    return { ...result, networkd };
  });
}

/** The value of every `…_command` question in a preseed (late_command, early_command), continuation lines joined. */
export function preseedCommands(preseed: string): Record<string, string> {
  const commands: Record<string, string> = {};
  for (const line of preseed.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const match = /^(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(line.trim());
    if (match?.[2]?.endsWith('_command')) commands[match[2]] = `${match[4] ?? ''}\n`;
  }
  return commands;
}

/** `%pre`, `%post` bodies of a kickstart. */
export function kickstartScripts(kickstart: string): { section: string; header: string; body: string }[] {
  const scripts: { section: string; header: string; body: string }[] = [];
  for (const match of kickstart.matchAll(/^(%(pre|post)\b[^\n]*)\n([\s\S]*?)^%end$/gm)) {
    scripts.push({ section: `%${match[2] ?? ''}`, header: match[1] ?? '', body: match[3] ?? '' });
  }
  return scripts;
}

/** The autoinstall document's parts validators look at. */
export function autoinstallParts(userData: string): {
  userDataSection: string;
  netplan: string;
  lateCommands: string[];
} {
  const document = parse(userData) as { autoinstall: Record<string, unknown> };
  const autoinstall = document.autoinstall;
  const section = autoinstall['user-data'] as Record<string, unknown>;
  return {
    userDataSection: `#cloud-config\n${stringify(section)}`,
    netplan: stringify({ network: autoinstall['network'] }),
    lateCommands: (autoinstall['late-commands'] as unknown[]).map(String),
  };
}

/** Kickstart commands Plinth's snippets use, with the options anaconda documents for them (RHEL 8/9). */
const KICKSTART_COMMANDS: Record<string, string[]> = {
  text: [],
  skipx: [],
  firstboot: ['disable', 'enable'],
  url: ['url', 'proxy', 'mirrorlist', 'noverifyssl'],
  lang: [],
  keyboard: ['xlayouts', 'vckeymap'],
  timezone: ['utc', 'ntpservers', 'isUtc', 'nontp'],
  timesource: ['ntp-server', 'ntp-pool', 'nts'],
  network: [
    'device',
    'bootproto',
    'ip',
    'netmask',
    'gateway',
    'nameserver',
    'hostname',
    'onboot',
    'activate',
    'vlanid',
    'interfacename',
  ],
  rootpw: ['lock', 'iscrypted', 'plaintext'],
  user: ['name', 'groups', 'lock', 'iscrypted', 'password', 'gecos', 'homedir', 'shell', 'uid', 'gid'],
  sshkey: ['username'],
  selinux: ['enforcing', 'permissive', 'disabled'],
  firewall: ['enabled', 'disabled', 'service', 'port'],
  services: ['enabled', 'disabled'],
  reboot: ['eject', 'kexec'],
  ignoredisk: ['only-use', 'drives'],
  zerombr: [],
  clearpart: ['all', 'initlabel', 'drives', 'none', 'linux'],
  autopart: ['type', 'encrypted', 'fstype', 'nohome', 'noswap'],
  bootloader: ['location', 'boot-drive', 'append', 'timeout'],
  part: ['fstype', 'size', 'grow', 'ondisk', 'maxsize', 'asprimary'],
  raid: ['level', 'device', 'fstype', 'spares'],
  volgroup: ['pesize'],
  logvol: ['vgname', 'name', 'fstype', 'size', 'grow', 'percent'],
};

/**
 * Structural kickstart check (no offline validator exists in Debian): every command known with
 * known options, sections opened and closed with `%end`, the `%include` written by `%pre`,
 * the essentials present, and the storage commands the `%pre` heredoc writes checked the same way.
 */
export function checkKickstart(kickstart: string): string[] {
  const problems: string[] = [];
  const lines = kickstart.split('\n');
  if (!/^#version=RHEL\d+$/.test(lines[0] ?? '')) problems.push('line 1: expected #version=RHEL<major>');
  let section: string | undefined;
  const seen = new Set<string>();
  const includes: string[] = [];
  const checkCommand = (line: string, where: string): void => {
    const [command = '', ...words] = line.match(/"[^"]*"|\S+/g) ?? [];
    const options = KICKSTART_COMMANDS[command];
    if (!options) return void problems.push(`${where}: unknown command "${command}"`);
    seen.add(command);
    for (const word of words) {
      if (!word.startsWith('--')) continue;
      const name = word.slice(2).split('=')[0] ?? '';
      if (!options.includes(name)) problems.push(`${where}: ${command} has no option --${name}`);
    }
  };
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const where = `line ${index + 1}`;
    if (section) {
      if (line === '%end') section = undefined;
      else if (line.startsWith('%') && section !== '%post' && section !== '%pre')
        problems.push(`${where}: ${line} inside ${section}`);
      return;
    }
    if (!line || line.startsWith('#')) return;
    if (line.startsWith('%include ')) return void includes.push(line.slice('%include '.length).trim());
    if (/^%(packages|pre|post)\b/.test(line)) {
      section = line.split(/\s+/)[0];
      return;
    }
    if (line.startsWith('%')) return void problems.push(`${where}: unknown section ${line}`);
    checkCommand(line, where);
  });
  if (section) problems.push(`${section} has no %end`);
  for (const required of [
    'url',
    'lang',
    'keyboard',
    'timezone',
    'network',
    'rootpw',
    'user',
    'sshkey',
    'reboot',
  ]) {
    if (!seen.has(required)) problems.push(`missing the ${required} command`);
  }
  const pre = kickstartScripts(kickstart).find((script) => script.section === '%pre');
  for (const include of includes) {
    const heredoc = pre
      ? new RegExp(
          `cat > ${include.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} <<(\\w+)\\n([\\s\\S]*?)\\n\\1`,
        ).exec(pre.body)
      : null;
    if (!heredoc) {
      problems.push(`%include ${include} is not written by %pre`);
      continue;
    }
    (heredoc[2] ?? '')
      .split('\n')
      .forEach((line, index) => checkCommand(line.trim(), `${include} line ${index + 1}`));
  }
  return problems;
}

/** Structural iPXE check: `#!ipxe`, one kernel with arguments, at least one initrd, boot, no unexpanded-looking words. */
export function checkIpxeScript(script: string): string[] {
  const problems: string[] = [];
  const lines = script.split('\n');
  if (lines[0] !== '#!ipxe') problems.push('line 1 must be #!ipxe');
  const commands = lines
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && !line.startsWith(':'));
  const kernel = commands.find((line) => line.startsWith('kernel '));
  if (!kernel) problems.push('no kernel command');
  if (!commands.some((line) => line.startsWith('initrd '))) problems.push('no initrd command');
  if (!commands.some((line) => line.startsWith('boot'))) problems.push('no boot command');
  if (script.includes('${')) problems.push('contains ${…}, which iPXE would expand');
  for (const word of kernel?.split(/\s+/) ?? []) {
    if (/^[a-z.]+=$/.test(word)) problems.push(`kernel argument ${word} has an empty value`);
  }
  return problems;
}
