import { describe, expect, it } from 'vitest';
import { testHardware } from '../testing/test-hosts';
import { parseAutoinstall } from './autoinstall';
import { NetbootError } from './http-get';
import { assertConfigIsForMachine, openSshKeysIn, prefixFromNetmask } from './install-config';
import { findInstallerCallback } from './installer-callback';
import { runIpxeScript } from './ipxe-script';
import { installSourceFromKernelArgs } from './kernel-args';
import { parseKickstart } from './kickstart';
import { detectOsVersion, enterpriseFamily } from './os-version';
import { parsePreseed } from './preseed';

/** The pure parsing steps of the netboot chain; the HTTP sequence itself is covered by host-simulator.spec.ts. */
const environment = {
  mac: '52:54:00:aa:00:01',
  ip: '127.0.0.1',
  uuid: 'u',
  serial: 's',
  manufacturer: 'm',
  product: 'p',
};
const nics = testHardware(1).nics;
const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKewQ12lDDWNDP1HY3OVfV87oBfQqi8LzNK5nHiMJHDa ops@plinth';

describe('iPXE scripts', () => {
  it('expands settings and set variables, and resolves chain URLs against the script', () => {
    const vars = new Map<string, string>();
    const outcome = runIpxeScript(
      '#!ipxe\ndhcp && set where boot\nchain ${where}/${net0/mac:hexhyp}.ipxe?raw=${mac:hexraw} || shell',
      'http://p/x/first',
      environment,
      vars,
    );
    expect(outcome).toEqual({
      kind: 'chain',
      url: 'http://p/x/boot/52-54-00-aa-00-01.ipxe?raw=525400aa0001',
      args: '',
    });
    expect(vars.get('where')).toBe('boot');
  });

  it('boots the kernel with imgargs replacing its arguments, and collects initrds', () => {
    const outcome = runIpxeScript(
      '#!ipxe\n# comment\n:start\nkernel --name linux http://p/k/vmlinuz quiet\ninitrd http://p/k/initrd.img\nimgargs linux auto=true url=http://p/${mac}.cfg\nboot',
      'http://p/script',
      environment,
      new Map(),
    );
    expect(outcome).toEqual({
      kind: 'boot',
      selection: {
        kernelUrl: 'http://p/k/vmlinuz',
        initrdUrls: ['http://p/k/initrd.img'],
        kernelArgs: 'auto=true url=http://p/52:54:00:aa:00:01.cfg',
      },
    });
  });

  it.each([
    ['not a script', 'kernel http://p/k'],
    ['boot without kernel', '#!ipxe\nboot'],
    ['no boot at all', '#!ipxe\nkernel http://p/k'],
    ['exit', '#!ipxe\nexit'],
  ])('fails clearly: %s', (_, script) => {
    expect(() => runIpxeScript(script, 'http://p/s', environment, new Map())).toThrow(NetbootError);
  });
});

describe('kernel command lines', () => {
  it('finds each installer format', () => {
    expect(installSourceFromKernelArgs('ip=dhcp autoinstall "ds=nocloud-net;s=http://p/ai/x/" ---')).toEqual({
      format: 'autoinstall',
      seedUrl: 'http://p/ai/x/',
    });
    expect(installSourceFromKernelArgs('auto=true priority=critical url=http://p/d.cfg')).toEqual({
      format: 'preseed',
      url: 'http://p/d.cfg',
    });
    expect(installSourceFromKernelArgs('inst.repo=http://p/os inst.ks=http://p/ks.cfg')).toEqual({
      format: 'kickstart',
      url: 'http://p/ks.cfg',
    });
  });

  it.each([
    ['ds=nocloud-net;s=http://p/', /no "autoinstall" argument/],
    ['url=http://p/d.cfg', /not auto=true/],
    ['inst.ks=nfs:server:/ks.cfg', /over HTTP only/],
    ['quiet splash', /names no install config/],
  ])('refuses %s', (commandLine, message) => {
    expect(() => installSourceFromKernelArgs(commandLine)).toThrow(message);
  });
});

describe('installer callbacks in late commands', () => {
  it('reads curl POSTs with headers, in any flag style, and through sh -c', () => {
    expect(
      findInstallerCallback([
        "curtin in-target -- curl -fsSL -X POST -H 'Authorization: Bearer t' http://p/cb",
      ]),
    ).toEqual({
      url: 'http://p/cb',
      headers: { authorization: 'Bearer t' },
      tool: 'curl',
      failOnHttpError: true,
    });
    expect(
      findInstallerCallback(['echo done; curl --data-binary @/tmp/x --header=X-Token:abc https://p/cb']),
    ).toMatchObject({ url: 'https://p/cb', headers: { 'x-token': 'abc' }, failOnHttpError: false });
    expect(findInstallerCallback(["sh -c 'curl -d {} http://p/cb'"])).toMatchObject({ url: 'http://p/cb' });
    expect(
      findInstallerCallback([
        "in-target wget -q -O /dev/null --header='Authorization: Bearer w' --post-data='{}' http://p/cb",
      ]),
    ).toEqual({
      url: 'http://p/cb',
      headers: { authorization: 'Bearer w' },
      tool: 'wget',
      failOnHttpError: true,
    });
  });

  it('ignores requests that are not POSTs', () => {
    expect(
      findInstallerCallback(['curl -fsS http://p/cb', 'curl -G -d a=b http://p/q', 'wget http://p/file']),
    ).toBeUndefined();
  });
});

describe('install configs', () => {
  it('reads a preseed: host name, user, static address on the chosen NIC, keys from the late command', () => {
    const config = parsePreseed(
      [
        'd-i netcfg/choose_interface select 52:54:00:AA:00:01',
        'd-i netcfg/get_ipaddress string 10.1.2.3',
        'd-i netcfg/get_netmask string 255.255.254.0',
        'd-i netcfg/get_hostname string deb-1',
        'd-i mirror/suite string bookworm',
        'd-i passwd/username string ops',
        'd-i preseed/late_command string \\',
        `    echo '${key}' > /target/home/ops/.ssh/authorized_keys`,
      ].join('\n'),
      nics,
      'preseed.cfg',
    );
    expect(config).toMatchObject({
      hostname: 'deb-1',
      user: 'ops',
      addresses: { eno1: ['10.1.2.3/23'] },
      authorizedKeys: [key],
    });
    expect(() => assertConfigIsForMachine(config, '52:54:00:aa:00:01', 'x')).not.toThrow();
    expect(() => assertConfigIsForMachine(config, '52:54:00:aa:00:02', 'x')).toThrow(/not for this machine/);
  });

  it('reads a kickstart: VLAN address, sshkey user, %post callback', () => {
    const config = parseKickstart(
      [
        'network --bootproto=static --device=52:54:00:aa:00:01 --vlanid=20 --ip=10.0.20.5 --netmask=255.255.255.0 --hostname=rk-1',
        'user --name=admin',
        `sshkey --username=ops "${key}"`,
        '%packages',
        'network-is-not-a-command-here',
        '%end',
        '%post',
        'curl -X POST http://p/cb',
        '%end',
      ].join('\n'),
      nics,
      'ks.cfg',
    );
    expect(config).toMatchObject({
      hostname: 'rk-1',
      user: 'ops',
      addresses: { 'eno1.20': ['10.0.20.5/24'] },
      authorizedKeys: [key],
      callback: { url: 'http://p/cb' },
    });
  });

  it('reads an autoinstall whose network nests a second network key, and refuses one without #cloud-config', () => {
    const userData = [
      '#cloud-config',
      'autoinstall:',
      '  version: 1',
      '  identity: {hostname: ub-1, username: ops, password: x}',
      `  ssh: {install-server: true, authorized-keys: ["${key}"]}`,
      '  network:',
      '    network:',
      '      version: 2',
      '      ethernets:',
      '        eno2: {addresses: [192.168.7.2/24]}',
      '      vlans:',
      '        vlan30: {id: 30, link: eno2, addresses: [10.30.0.2/24]}',
    ].join('\n');
    expect(parseAutoinstall(userData, '', nics, 'seed/')).toMatchObject({
      hostname: 'ub-1',
      user: 'ops',
      addresses: { eno2: ['192.168.7.2/24'], vlan30: ['10.30.0.2/24'] },
    });
    expect(() => parseAutoinstall(userData.replace('#cloud-config', '# config'), '', nics, 'seed/')).toThrow(
      /#cloud-config/,
    );
  });

  it('finds OpenSSH keys, netmask prefixes and release versions', () => {
    expect(openSshKeysIn(`echo '${key}' >> k; echo "ssh-rsa AAAAB3NzaC1yc2E= bob"`)).toEqual([
      key,
      'ssh-rsa AAAAB3NzaC1yc2E= bob',
    ]);
    expect([
      prefixFromNetmask('255.255.255.0'),
      prefixFromNetmask('255.0.255.0'),
      prefixFromNetmask('22'),
    ]).toEqual([24, undefined, 22]);
    expect(detectOsVersion('ubuntu', ['http://p/ubuntu-22.04.4-live-server-amd64/casper/vmlinuz'])).toBe(
      '22.04.4',
    );
    expect(detectOsVersion('debian', ['http://p/di/trixie/amd64/linux'])).toBe('13');
    expect(detectOsVersion('rocky', ['http://p/pub/9.5/BaseOS/x86_64/os/images/pxeboot/vmlinuz'])).toBe(
      '9.5',
    );
    expect(detectOsVersion('rhel', ['nothing here'])).toBe('9.4');
    expect([
      enterpriseFamily(['http://p/rhel-9.4/vmlinuz']),
      enterpriseFamily(['http://p/rocky/9.4/']),
    ]).toEqual(['rhel', 'rocky']);
  });
});
