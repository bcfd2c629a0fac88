import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHostKey, sshExec, type CallbackBody } from '../host';
import type { Lab } from './lab-types';
import { startLab } from './start-lab';
import { basicAuth, eventually, request } from './test-support';

/**
 * The lab as Plinth's drivers meet it, end to end: a provisioner (a tiny one, inside this test)
 * serves an iPXE script and an Ubuntu autoinstall for one machine's MAC; the machine is driven
 * only through its real Redfish BMC; it netboots, installs, calls back, and its installed OS
 * answers SSH for the key in its config. An IPMI machine of the same lab answers ipmitool.
 */

const clientKey = generateHostKey('plinth-e2e');
const strangerKey = generateHostKey('stranger');

/** Serves `/boot/ipxe?mac=`, kernel/initrd bytes, `user-data`/`meta-data` and records callbacks. */
class TinyProvisioner {
  readonly callbacks: CallbackBody[] = [];
  private readonly server: Server;
  private readonly configs = new Map<string, { hostname: string; address: string }>();
  private waiting: Array<() => void> = [];
  base = '';

  constructor() {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://provisioner');
      const mac = url.searchParams.get('mac') ?? /\/configs\/([0-9a-f:]{17})\//.exec(url.pathname)?.[1] ?? '';
      const config = this.configs.get(mac);
      const send = (status: number, body: string | Buffer = ''): void => void res.writeHead(status).end(body);
      if (url.pathname === '/boot/ipxe') {
        if (!config) return send(404, 'unknown MAC');
        return send(
          200,
          [
            '#!ipxe',
            `kernel ${this.base}/images/noble/vmlinuz ip=dhcp autoinstall ds=nocloud-net;s=${this.base}/configs/${mac}/ ---`,
            `initrd ${this.base}/images/noble/initrd`,
            'boot',
          ].join('\n'),
        );
      }
      if (url.pathname.startsWith('/images/')) return send(200, Buffer.alloc(1024, 1));
      if (config && url.pathname.endsWith('/meta-data'))
        return send(200, `instance-id: ${config.hostname}\n`);
      if (config && url.pathname.endsWith('/user-data')) return send(200, this.userData(mac, config));
      if (url.pathname === '/callback' && req.method === 'POST') {
        if (req.headers.authorization !== 'Bearer once-only') return send(401);
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          this.callbacks.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CallbackBody);
          for (const wake of this.waiting.splice(0)) wake();
          send(204);
        });
        return;
      }
      send(404);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  provision(mac: string, hostname: string, address: string): void {
    this.configs.set(mac, { hostname, address });
  }

  nextCallback(timeoutMs = 20_000): Promise<CallbackBody> {
    const seen = this.callbacks.length;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no installer callback within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiting.push(() => {
        clearTimeout(timer);
        const body = this.callbacks[seen];
        if (body) resolve(body);
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private userData(mac: string, config: { hostname: string; address: string }): string {
    return [
      '#cloud-config',
      'autoinstall:',
      '  version: 1',
      '  identity:',
      `    hostname: ${config.hostname}`,
      '    username: ubuntu',
      '    password: "!"',
      '  ssh:',
      '    install-server: true',
      '    allow-pw: false',
      '    authorized-keys:',
      `      - ${clientKey.publicKey}`,
      '  network:',
      '    version: 2',
      '    ethernets:',
      '      eno1:',
      `        match: { macaddress: "${mac}" }`,
      '        set-name: eno1',
      `        addresses: [${config.address}]`,
      '  late-commands:',
      `    - "curl -fsS -X POST -H 'Authorization: Bearer once-only' -d @/tmp/plinth-callback.json ${this.base}/callback"`,
      '',
    ].join('\n');
  }
}

describe('lab end to end: Redfish-driven netboot, install, callback and SSH; IPMI with ipmitool', () => {
  let provisioner: TinyProvisioner;
  let lab: Lab;
  let workDir: string;
  /** Where the installed host answered SSH, to check that close stops it. */
  let sshAddress: { host: string; port: number } | undefined;

  beforeAll(async () => {
    provisioner = new TinyProvisioner();
    await provisioner.start();
    workDir = await mkdtemp(join(tmpdir(), 'plinth-lab-e2e-'));
    lab = await startLab({
      machines: 2,
      ipmi: 1,
      bmcNetwork: '127.91',
      sshNetwork: '127.92',
      bmcPort: 0,
      sshPort: 0,
      netbootUrl: `${provisioner.base}/boot/ipxe`,
      workDir,
    });
  });
  afterAll(async () => {
    await lab?.close();
    await provisioner?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('PXE override + power on through Redfish: the host installs its own config, calls back, and answers SSH for that key only', async () => {
    const machine = lab.machine('lab-cp-1');
    if (!machine?.bmc.url) throw new Error('lab-cp-1 should have a Redfish BMC');
    const mac = machine.machine.bootMac;
    provisioner.provision(mac, 'cp1.edge.example', '10.20.0.51/24');
    const headers = { authorization: basicAuth(lab.credentials) };
    const system = `${machine.bmc.url}/redfish/v1/Systems/1`;

    const patch = await request(system, {
      method: 'PATCH',
      headers,
      body: { Boot: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe' } },
    });
    expect(patch.status).toBeLessThan(300);
    const callback = provisioner.nextCallback();
    const reset = await request(`${system}/Actions/ComputerSystem.Reset`, {
      method: 'POST',
      headers,
      body: { ResetType: 'On' },
    });
    expect(reset.status).toBeLessThan(300);

    const called = await callback;
    expect(called).toMatchObject({ mac, hostname: 'cp1.edge.example', sshHost: '127.92.0.1' });
    expect(called.sshPort).toBeGreaterThan(0);
    await eventually(async () => {
      const view = (await request(`${lab.controlUrl}/machines/lab-cp-1`)).body as { phase: string };
      return view.phase === 'os-running' ? true : undefined;
    }, 20_000);

    const ssh = {
      host: called.sshHost,
      port: called.sshPort,
      username: 'ubuntu',
      hostKeySha256: called.hostKeySha256,
    };
    sshAddress = { host: called.sshHost, port: called.sshPort };
    const hostname = await sshExec({ ...ssh, privateKey: clientKey.privateKey, command: 'hostname' });
    expect(hostname).toMatchObject({ code: 0, stdout: 'cp1.edge.example\n' });
    await expect(
      sshExec({ ...ssh, privateKey: strangerKey.privateKey, command: 'hostname' }),
    ).rejects.toThrow(/authentication methods failed/);
    // The Once override was used and cleared, as firmware does.
    expect((await request(system, { headers })).body).toMatchObject({
      PowerState: 'On',
      Boot: { BootSourceOverrideEnabled: 'Disabled' },
    });

    const view = (await request(`${lab.controlUrl}/machines/lab-cp-1`)).body as Record<string, unknown>;
    expect(view).toMatchObject({
      phase: 'os-running',
      ssh: { host: '127.92.0.1', port: called.sshPort },
      installedOs: { family: 'ubuntu', hostname: 'cp1.edge.example', addresses: { eno1: ['10.20.0.51/24'] } },
      hostKeySha256: called.hostKeySha256,
    });
    const counters = (
      (await request(`${lab.controlUrl}/counters`)).body as Record<string, Record<string, number>>
    )['lab-cp-1'];
    expect(counters).toMatchObject({
      bootOverrides: 1,
      powerOns: 1,
      powerOffs: 0,
      powerCycles: 0,
      netboots: 1,
      installs: 1,
      installCallbacks: 1,
    });
    expect(provisioner.callbacks).toHaveLength(1);
  });

  it('an IPMI machine of the lab answers ipmitool -I lanplus -C 3, and drives the same machine', async () => {
    const machine = lab.machine('lab-cp-2');
    expect(machine?.bmc).toMatchObject({ protocol: 'ipmi', host: '127.91.0.2', url: undefined });
    expect(machine?.bmc.address).toBe(`ipmi://127.91.0.2:${machine?.bmc.port}`);
    const ipmitool = (...args: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        execFile(
          'ipmitool',
          [
            '-I',
            'lanplus',
            '-C',
            '3',
            '-H',
            machine?.bmc.host ?? '',
            '-p',
            String(machine?.bmc.port),
            '-U',
            lab.credentials.username,
            '-E',
            ...args,
          ],
          { env: { ...process.env, IPMI_PASSWORD: lab.credentials.password }, timeout: 20_000 },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim()),
        );
      });
    expect(await ipmitool('chassis', 'power', 'status')).toBe('Chassis Power is off');
    expect(await ipmitool('chassis', 'power', 'on')).toBe('Chassis Power Control: Up/On');
    const view = await eventually(async () => {
      const body = (await request(`${lab.controlUrl}/machines/lab-cp-2`)).body as {
        power: string;
        counters: { powerOns: number };
      };
      return body.power === 'On' ? body : undefined;
    });
    expect(view.counters.powerOns).toBe(1);
    const pids = await ipmiSimsUsing(workDir);
    expect(pids).toHaveLength(1);

    // A BMC reboot restarts ipmi_sim on the same address; the machine stays on.
    const reboot = await request(`${lab.controlUrl}/machines/lab-cp-2/bmc/reboot`, { method: 'POST' });
    expect(reboot).toMatchObject({ status: 200, body: { rebooted: true, bmc: machine?.bmc.address } });
    const after = await ipmiSimsUsing(workDir);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(pids);
    expect(await ipmitool('chassis', 'power', 'status')).toBe('Chassis Power is on');
  });

  it("close stops the ipmi_sim processes it started and the hosts' SSH servers", async () => {
    await lab.close();
    expect(await ipmiSimsUsing(workDir)).toEqual([]);
    if (!sshAddress) throw new Error('the netboot test did not reach SSH');
    await expect(
      sshExec({
        ...sshAddress,
        username: 'ubuntu',
        privateKey: clientKey.privateKey,
        command: 'true',
        timeoutMs: 3_000,
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});

/** PIDs of ipmi_sim processes whose command line names `dir`, read from /proc. */
async function ipmiSimsUsing(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.startsWith('ipmi_sim\0') && cmdline.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}
