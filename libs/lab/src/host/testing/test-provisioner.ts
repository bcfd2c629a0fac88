import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A tiny provisioner for the host simulator's tests: it serves what Plinth's provisioner serves
 * to a netbooting machine — a first iPXE script that chains to a per-MAC one, kernel and initrd
 * bytes, and install configs written as real Ubuntu autoinstall, Debian preseed and Rocky
 * kickstart files — and records installer callbacks (which must carry the host's bearer token).
 */
export type InstallFormat = 'autoinstall' | 'preseed' | 'kickstart';

export interface ProvisionedHost {
  format: InstallFormat;
  mac: string;
  hostname: string;
  /** Static address with prefix, e.g. `10.20.0.11/24`. */
  address: string;
  user: string;
  authorizedKeys: string[];
  /** Render the config for this MAC instead (to test that hosts reject configs for others). */
  renderForMac?: string;
}

export interface RecordedCallback {
  mac: string;
  authorization: string | undefined;
  userAgent: string | undefined;
  body: unknown;
}

export class TestProvisioner {
  readonly callbacks: RecordedCallback[] = [];
  /** Every path requested, in order (the netboot sequence a host followed). */
  readonly requests: string[] = [];
  /** Paths that answer 404 (a boot image missing on the provisioner). */
  readonly missing = new Set<string>();
  private readonly hosts = new Map<string, ProvisionedHost>();
  private readonly server: Server;
  private port = 0;

  constructor() {
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What DHCP would hand out as the boot file. */
  get netbootUrl(): string {
    return `${this.baseUrl}/boot/ipxe`;
  }

  provision(host: ProvisionedHost): void {
    this.hosts.set(host.mac, host);
  }

  callbackToken(mac: string): string {
    return `token-${mac.replace(/:/g, '')}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    this.requests.push(url.pathname);
    const send = (status: number, body: string | Buffer = '', type = 'text/plain'): void => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (url.pathname === '/boot/ipxe') {
      const mac = url.searchParams.get('mac') ?? '';
      if (!this.hosts.has(mac)) return send(404, 'unknown machine');
      // Real iPXE sends `${net0/mac}` URL-encoded; the provisioner decodes it (URLSearchParams did).
      return send(
        200,
        `#!ipxe\nset base ${this.baseUrl}\necho Plinth netboot for \${net0/mac}\nchain \${base}/boot/\${net0/mac:hexhyp}.ipxe || goto failed\n:failed\nshell\n`,
      );
    }
    const perMac = /^\/boot\/([0-9a-f-]{17})\.ipxe$/.exec(url.pathname);
    if (perMac?.[1]) {
      const host = this.hosts.get(perMac[1].replace(/-/g, ':'));
      return host ? send(200, this.bootScript(host)) : send(404);
    }
    if (url.pathname.startsWith('/images/')) {
      return this.missing.has(url.pathname)
        ? send(404, 'not found')
        : send(200, Buffer.alloc(4096, 7), 'application/octet-stream');
    }
    const config = /^\/(autoinstall|preseed|ks)\/([0-9a-f-]{17})(?:\/(user-data|meta-data)|\.cfg)$/.exec(
      url.pathname,
    );
    if (config?.[2]) {
      const host = this.hosts.get(config[2].replace(/-/g, ':'));
      if (!host) return send(404);
      if (config[3] === 'meta-data')
        return send(200, `instance-id: ${host.hostname}\nlocal-hostname: ${host.hostname}\n`);
      return send(200, this.installConfig(host));
    }
    const callback = /^\/callback\/([0-9a-f:]{17})$/.exec(url.pathname);
    if (callback?.[1] && request.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks).toString();
      const mac = callback[1];
      const authorization = request.headers.authorization;
      this.callbacks.push({
        mac,
        authorization,
        userAgent: request.headers['user-agent'],
        body: text ? (JSON.parse(text) as unknown) : undefined,
      });
      return authorization === `Bearer ${this.callbackToken(mac)}` ? send(204) : send(401, 'bad token');
    }
    send(404, 'not found');
  }

  private bootScript(host: ProvisionedHost): string {
    const hyphenMac = '${mac:hexhyp}';
    switch (host.format) {
      case 'autoinstall':
        return [
          '#!ipxe',
          'kernel ${base}/images/ubuntu-24.04.1-live-server-amd64/casper/vmlinuz',
          'initrd ${base}/images/ubuntu-24.04.1-live-server-amd64/casper/initrd',
          `imgargs vmlinuz initrd=initrd ip=dhcp autoinstall ds=nocloud-net;s=\${base}/autoinstall/${hyphenMac}/ ---`,
          'boot',
        ].join('\n');
      case 'preseed':
        return [
          '#!ipxe',
          `kernel \${base}/images/debian-installer/bookworm/amd64/linux auto=true priority=critical url=\${base}/preseed/${hyphenMac}.cfg interface=auto --- quiet`,
          'initrd ${base}/images/debian-installer/bookworm/amd64/initrd.gz',
          'boot',
        ].join('\n');
      case 'kickstart':
        return [
          '#!ipxe',
          'set repo ${base}/images/rocky/9.4/BaseOS/x86_64/os',
          `kernel \${repo}/images/pxeboot/vmlinuz inst.repo=\${repo} inst.ks=\${base}/ks/${hyphenMac}.cfg ip=dhcp`,
          'initrd ${repo}/images/pxeboot/initrd.img',
          'boot',
        ].join('\n');
    }
  }

  private installConfig(host: ProvisionedHost): string {
    const mac = host.renderForMac ?? host.mac;
    const [ip = '', prefix = '24'] = host.address.split('/');
    const gateway = ip.replace(/\.\d+$/, '.1');
    const callbackUrl = `${this.baseUrl}/callback/${host.mac}`;
    const token = this.callbackToken(host.mac);
    switch (host.format) {
      case 'autoinstall':
        return [
          '#cloud-config',
          'autoinstall:',
          '  version: 1',
          '  locale: en_US.UTF-8',
          '  keyboard: {layout: us}',
          '  identity:',
          `    hostname: ${host.hostname}`,
          `    username: ${host.user}`,
          '    password: "$6$exDY1mhS4KUYCE/2$zmn9ToZwTKLhCw.b4/b.ZRTIZM30JZ4QrOQ2aOXJ8yk96xpcCof0kxKwuX1kqLG/ygbJ1f8wxED22bTL4F46P0"',
          '  ssh:',
          '    install-server: true',
          '    allow-pw: false',
          '    authorized-keys:',
          ...host.authorizedKeys.map((key) => `      - ${key}`),
          '  network:',
          '    version: 2',
          '    ethernets:',
          '      boot0:',
          '        match:',
          `          macaddress: "${mac.toUpperCase()}"`,
          '        set-name: eno1',
          `        addresses: [${host.address}]`,
          `        routes: [{to: default, via: ${gateway}}]`,
          `        nameservers: {addresses: [${gateway}]}`,
          '  storage:',
          '    layout: {name: lvm}',
          '  late-commands:',
          '    - curtin in-target --target=/target -- systemctl enable ssh',
          `    - "curl -fsS -X POST -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' --data '{\\"mac\\": \\"${host.mac}\\"}' ${callbackUrl}"`,
          '',
        ].join('\n');
      case 'preseed':
        return [
          '### Plinth preseed',
          'd-i debian-installer/locale string en_US.UTF-8',
          'd-i keyboard-configuration/xkb-keymap select us',
          `d-i netcfg/choose_interface select ${mac}`,
          'd-i netcfg/disable_autoconfig boolean true',
          `d-i netcfg/get_ipaddress string ${ip}`,
          `d-i netcfg/get_netmask string ${prefixToNetmask(Number(prefix))}`,
          `d-i netcfg/get_gateway string ${gateway}`,
          `d-i netcfg/get_nameservers string ${gateway}`,
          'd-i netcfg/confirm_static boolean true',
          `d-i netcfg/get_hostname string ${host.hostname}`,
          'd-i netcfg/get_domain string lab',
          'd-i mirror/country string manual',
          'd-i mirror/http/hostname string deb.debian.org',
          'd-i mirror/http/directory string /debian',
          'd-i mirror/suite string bookworm',
          'd-i passwd/root-login boolean false',
          `d-i passwd/user-fullname string ${host.user}`,
          `d-i passwd/username string ${host.user}`,
          'd-i passwd/user-password-crypted password $6$exDY1mhS4KUYCE/2$zmn9ToZwTKLhCw.b4/b.ZRTIZM30JZ4QrOQ2aOXJ8yk96xpcCof0kxKwuX1kqLG/ygbJ1f8wxED22bTL4F46P0',
          'd-i partman-auto/method string lvm',
          'tasksel tasksel/first multiselect standard, ssh-server',
          'd-i preseed/late_command string \\',
          `    in-target mkdir -p /home/${host.user}/.ssh; \\`,
          ...host.authorizedKeys.map(
            (key) => `    echo '${key}' >> /target/home/${host.user}/.ssh/authorized_keys; \\`,
          ),
          `    in-target chown -R ${host.user}:${host.user} /home/${host.user}/.ssh; \\`,
          `    in-target wget -q -O /dev/null --header='Authorization: Bearer ${token}' --post-data='{"mac":"${host.mac}"}' ${callbackUrl}`,
          '',
        ].join('\n');
      case 'kickstart':
        return [
          '#version=RHEL9',
          'text',
          `url --url=${this.baseUrl}/images/rocky/9.4/BaseOS/x86_64/os/`,
          'lang en_US.UTF-8',
          'keyboard us',
          `network --bootproto=static --device=${mac} --ip=${ip} --netmask=${prefixToNetmask(Number(prefix))} --gateway=${gateway} --nameserver=${gateway} --hostname=${host.hostname} --activate`,
          'rootpw --lock',
          `user --name=${host.user} --groups=wheel --lock`,
          ...host.authorizedKeys.map((key) => `sshkey --username=${host.user} "${key}"`),
          'timezone UTC --utc',
          'bootloader --location=mbr',
          'clearpart --all --initlabel',
          'autopart --type=lvm',
          'reboot',
          '',
          '%packages',
          '@^minimal-environment',
          'openssh-server',
          '%end',
          '',
          '%post --log=/root/ks-post.log',
          `echo '${host.user} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/${host.user}`,
          `curl -fsS -X POST -H "Authorization: Bearer ${token}" --data '{"mac":"${host.mac}"}' ${callbackUrl}`,
          '%end',
          '',
        ].join('\n');
    }
  }
}

function prefixToNetmask(prefix: number): string {
  const bits = '1'.repeat(prefix).padEnd(32, '0');
  return [0, 8, 16, 24].map((start) => parseInt(bits.slice(start, start + 8), 2)).join('.');
}
