import { describe, expect, it } from 'vitest';
import { LabMachine } from '../../machine/lab-machine';
import { generateHostKey } from '../ssh/host-keys';
import { testHardware } from '../testing/test-hosts';
import { TextStdin } from './command';
import { EMULATED_COMMANDS } from './commands';
import { HostDisk } from './host-disk';
import { HostOs } from './host-os';
import { LabWorld } from './lab-world';
import { runCommandLine } from './shell';
import { parseShell, ShellSyntaxError } from './shell-syntax';

/** The lab shell's syntax and semantics, on a host OS built directly (no SSH in between). */
function bootedHost(family: 'ubuntu' | 'rocky' = 'ubuntu'): HostOs {
  const machine = new LabMachine({ name: 'shell-test', hardware: testHardware(7) });
  const disk = new HostDisk(
    {
      family,
      version: family === 'ubuntu' ? '24.04' : '9.4',
      hostname: 'box',
      addresses: { eno1: ['10.9.0.5/24'] },
      authorizedKeys: [],
      user: 'ops',
    },
    generateHostKey(),
  );
  return new HostOs({
    machine,
    disk,
    world: new LabWorld(),
    sshHost: '127.0.0.1',
    power: () => undefined,
    kubeletHost: { machineName: 'shell-test', kubeletRunningSince: () => undefined, isMember: () => false },
  });
}

async function run(
  os: HostOs,
  line: string,
  stdin = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCommandLine(line, {
    os,
    user: os.user,
    env: { HOME: os.home, USER: os.user, PATH: '/usr/bin:/bin' },
    stdin: new TextStdin(stdin),
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    signal: new AbortController().signal,
    commands: EMULATED_COMMANDS,
  });
  return { code, stdout, stderr };
}

describe('shell syntax', () => {
  it('parses lists, pipelines, quotes, variables and redirections', () => {
    const [first, second, third] = parseShell(
      `A=1 echo "a b" 'c $d' $HOME > /tmp/x 2>&1 && cat /tmp/x | tee -a y; false || true`,
    );
    expect(first?.connector).toBe(';');
    expect(first?.pipeline[0]?.assignments.map((assignment) => assignment.name)).toEqual(['A']);
    expect(first?.pipeline[0]?.words).toHaveLength(4);
    expect(first?.pipeline[0]?.redirects.map((redirect) => [redirect.fd, redirect.mode])).toEqual([
      [1, '>'],
      [2, 'dup'],
    ]);
    expect(second?.connector).toBe('&&');
    expect(second?.pipeline).toHaveLength(2);
    expect(third?.connector).toBe(';');
  });

  it.each(['echo $(hostname)', 'echo `id`', 'cat <<EOF', 'sleep 1 &', 'if true; then echo; fi', '(cd /tmp)'])(
    'refuses what it does not emulate: %s',
    (line) => {
      expect(() => parseShell(line)).toThrow(ShellSyntaxError);
    },
  );
});

describe('shell semantics', () => {
  it('runs && and || by exit status and reports $?', async () => {
    const os = bootedHost();
    expect((await run(os, 'false && echo no || echo yes; echo $?')).stdout).toBe('yes\n0\n');
    expect((await run(os, 'false; echo "status $?"')).stdout).toBe('status 1\n');
  });

  it('writes files only where the user may, and as root through sudo', async () => {
    const os = bootedHost();
    const denied = await run(os, 'tee /etc/motd', 'hello\n');
    expect(denied).toMatchObject({ code: 1, stderr: 'tee: /etc/motd: Permission denied\n' });
    expect((await run(os, 'sudo tee /etc/motd > /dev/null', 'hello\n')).code).toBe(0);
    expect((await run(os, 'cat /etc/motd')).stdout).toBe('hello\n');
    // The redirection is opened by the user's shell, not by sudo: bash fails it the same way.
    expect((await run(os, 'sudo echo x > /etc/other')).stderr).toBe(
      'bash: line 1: /etc/other: Permission denied\n',
    );
    expect((await run(os, 'echo one > ~/notes && echo two >> ~/notes && cat notes')).stdout).toBe(
      'one\ntwo\n',
    );
  });

  it('pipes stdout into the next command and globs over the emulated disk', async () => {
    const os = bootedHost();
    await run(
      os,
      'sudo mkdir -p /etc/demo && echo a | sudo tee /etc/demo/1.yaml > /dev/null && echo b | sudo tee /etc/demo/2.yaml >/dev/null',
    );
    expect((await run(os, 'cat /etc/demo/*.yaml')).stdout).toBe('a\nb\n');
    expect((await run(os, 'ls /etc/demo')).stdout).toBe('1.yaml\n2.yaml\n');
  });

  it('resets the environment under sudo unless -E keeps it', async () => {
    const os = bootedHost();
    expect(await run(os, 'export GREETING=hi; sudo printenv GREETING')).toMatchObject({
      code: 1,
      stdout: '',
    });
    expect((await run(os, 'export GREETING=hi; sudo -E printenv GREETING')).stdout).toBe('hi\n');
    expect((await run(os, 'sudo GREETING=hello printenv GREETING HOME')).stdout).toBe('hello\n/root\n');
    // The user's shell expands variables before sudo runs.
    expect((await run(os, 'GREETING=hi; sudo echo "[$GREETING]"')).stdout).toBe('[hi]\n');
  });

  it('exposes only the package manager of the distribution', async () => {
    expect((await run(bootedHost('rocky'), 'apt-get install -y curl')).code).toBe(127);
    expect((await run(bootedHost('ubuntu'), 'dnf install -y curl')).code).toBe(127);
    expect((await run(bootedHost('rocky'), 'uname -a')).stdout).toBe(
      'Linux box 5.14.0-427.13.1.el9_4.x86_64 #1 SMP PREEMPT_DYNAMIC Wed May 1 19:11:28 UTC 2024 x86_64 x86_64 x86_64 GNU/Linux\n',
    );
  });

  it('reports addresses from the install config until netplan changes them', async () => {
    const os = bootedHost();
    const links = JSON.parse((await run(os, 'ip -j -4 addr')).stdout) as Array<{
      ifname: string;
      addr_info: Array<{ local: string; broadcast?: string }>;
    }>;
    expect(links.find((link) => link.ifname === 'eno1')?.addr_info).toEqual([
      expect.objectContaining({ local: '10.9.0.5', broadcast: '10.9.0.255' }),
    ]);
    // Like the real one, hostname -I lists global addresses only.
    expect((await run(os, 'hostname -I')).stdout).toBe('10.9.0.5 \n');
    await run(
      os,
      'sudo mkdir -p /etc/netplan && sudo tee /etc/netplan/01.yaml',
      'network:\n  version: 2\n  ethernets:\n    eno1:\n      addresses: [10.9.1.5/24]\n',
    );
    expect((await run(os, 'sudo netplan apply && hostname -I')).stdout).toBe('10.9.1.5 \n');
  });
});
