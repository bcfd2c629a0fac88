import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@plinth/logger';
import type { BootHandler, InstalledOs, LabMachine } from '../machine/lab-machine';
import { StreamStdin } from './emulation/command';
import { EMULATED_COMMANDS } from './emulation/commands';
import { HostDisk, homeOf } from './emulation/host-disk';
import { HostOs, type PowerAction } from './emulation/host-os';
import type { KubeletHost, LabWorld } from './emulation/lab-world';
import { runCommandLine } from './emulation/shell';
import { NetbootError } from './netboot/http-get';
import { postInstallerCallback } from './netboot/installer-callback';
import { netbootToInstaller } from './netboot/netboot-sequence';
import { generateHostKey } from './ssh/host-keys';
import { HostSshServer, type ExecRequest } from './ssh/host-ssh-server';

export interface HostSimulatorOptions {
  /** The boot file URL DHCP would hand out; the host GETs `<netbootUrl>?mac=<bootMac>` (e.g. `http://127.0.0.1:3000/boot/ipxe`). */
  netbootUrl: string;
  /** The host's own loopback address (127.x.y.z); its SSH server listens there once the OS runs. */
  sshHost: string;
  /** SSH port; 22 by default as on a real host. 0 picks a free port at the first install and keeps it across reboots. */
  sshPort?: number;
  /** State shared by all hosts of one lab (Kubernetes clusters, Helm releases). */
  world: LabWorld;
  logger?: Logger;
}

/** The running OS of a host: its emulated userland and its sshd. */
interface RunningOs {
  os: HostOs;
  server: HostSshServer;
}

/**
 * What a lab machine does when it boots ({@link BootHandler}): netboot through the provisioner
 * (iPXE script → kernel/initrd → install config for its own MAC), "install" for
 * `timings.installMs`, call the installer callback, then boot the installed OS — an SSH server on
 * the host's own address accepting only the keys its install config authorised, emulating the
 * commands roles run. Power-off drops SSH; a reinstall generates a new host key, a reboot keeps it.
 *
 * Holds nothing heavy until the machine first boots: the disk state and SSH server exist only
 * for installed, running hosts.
 */
export class HostSimulator implements BootHandler, KubeletHost {
  private machine: LabMachine | undefined;
  private disk: HostDisk | undefined;
  private running: RunningOs | undefined;
  private stopping: Promise<void> = Promise.resolve();
  private port: number | undefined;

  constructor(private readonly options: HostSimulatorOptions) {
    if (options.sshPort !== 0) this.port = options.sshPort ?? 22;
  }

  get machineName(): string {
    return this.machine?.name ?? '(not booted)';
  }

  /** Where SSH answers once the OS runs; with `sshPort: 0` the port is known from the first install on. */
  get sshAddress(): { host: string; port: number | undefined } {
    return { host: this.options.sshHost, port: this.port };
  }

  /** `SHA256:…` of the installed OS's host key, if installed. */
  get hostKeySha256(): string | undefined {
    return this.currentDisk()?.hostKey.sha256;
  }

  async netboot(machine: LabMachine, signal: AbortSignal): Promise<void> {
    this.bind(machine);
    await this.stopOs();
    const log = this.options.logger?.child({ machineId: machine.name });
    const { config, family, version } = await netbootToInstaller(
      machine,
      this.options.netbootUrl,
      this.options.sshHost,
      signal,
    );
    // The installer repartitions: from here on the old OS is gone, whatever happens next.
    machine.installedOs = undefined;
    this.disk = undefined;
    machine.setPhase('installing');
    machine.count('installs');
    log?.info({ family, version, hostname: config.hostname }, 'lab host installing');
    await sleep(machine.timings.installMs, undefined, { signal });
    if (machine.faults.installFailure) {
      // The fault is "the next install fails": consumed here so a retry can succeed.
      machine.faults.installFailure = false;
      throw new NetbootError(
        'installer failed before its late commands (installFailure fault injected); no callback was sent',
      );
    }
    const hostKey = generateHostKey();
    const sshPort = await this.sshPort();
    if (config.callback) {
      await postInstallerCallback(
        config.callback,
        {
          mac: machine.bootMac,
          hostname: config.hostname,
          sshHost: this.options.sshHost,
          sshPort,
          hostKeySha256: hostKey.sha256,
        },
        signal,
      );
      machine.count('installCallbacks');
    }
    if (signal.aborted) return;
    const installed: InstalledOs = {
      family,
      version,
      hostname: config.hostname,
      addresses: config.addresses,
      authorizedKeys: config.authorizedKeys,
      user: config.user,
    };
    machine.markInstalled(installed);
    const disk = new HostDisk(installed, hostKey);
    if (config.netplanYaml !== undefined)
      disk.writeFile('/etc/netplan/50-cloud-init.yaml', config.netplanYaml, 0o600, 'root');
    this.disk = disk;
    log?.info({ sshHost: this.options.sshHost, sshPort }, 'lab host installed');
    await this.bootOs(machine, signal);
  }

  async bootInstalledOs(machine: LabMachine, signal: AbortSignal): Promise<void> {
    this.bind(machine);
    await this.stopOs();
    const installed = machine.installedOs;
    if (!installed) throw new NetbootError('no installed OS to boot');
    // An OS marked installed without this simulator (a pre-installed lab) gets its disk on first boot.
    if (!this.disk || this.disk.os !== installed) this.disk = new HostDisk(installed, generateHostKey());
    await this.bootOs(machine, signal);
  }

  /** Stop the running OS (lab shutdown). The machine's own state is left as it is. */
  async close(): Promise<void> {
    await this.stopOs();
  }

  kubeletRunningSince(clusterId: string, nodeName: string): number | undefined {
    const running = this.running;
    if (!running || this.machine?.phase !== 'os-running') return undefined;
    const membership = running.os.disk.kube;
    if (membership?.clusterId !== clusterId || membership.nodeName !== nodeName) return undefined;
    return running.os.activeUnits.has('kubelet') ? running.os.unitStartedAt.get('kubelet') : undefined;
  }

  isMember(clusterId: string, nodeName: string): boolean {
    const membership = this.currentDisk()?.kube;
    return membership?.clusterId === clusterId && membership.nodeName === nodeName;
  }

  /** The disk, if the machine still has that OS installed (deleting its volumes loses it). */
  private currentDisk(): HostDisk | undefined {
    return this.disk && this.machine?.installedOs === this.disk.os ? this.disk : undefined;
  }

  private bind(machine: LabMachine): void {
    if (this.machine && this.machine !== machine)
      throw new Error(`host simulator of ${this.machine.name} cannot boot ${machine.name}`);
    this.machine = machine;
  }

  private async bootOs(machine: LabMachine, signal: AbortSignal): Promise<void> {
    const disk = this.disk;
    if (!disk) throw new NetbootError('no installed OS to boot');
    machine.setPhase('booting-os');
    await sleep(machine.timings.osBootMs, undefined, { signal });
    await this.stopping;
    const os = new HostOs({
      machine,
      disk,
      world: this.options.world,
      sshHost: this.options.sshHost,
      power: (action) => this.powerFromOs(machine, action),
      kubeletHost: this,
    });
    const server = new HostSshServer({
      host: this.options.sshHost,
      port: await this.sshPort(),
      hostKey: disk.hostKey,
      user: disk.os.user,
      authorizedKeys: disk.os.authorizedKeys,
      ident: os.identity.sshIdent,
      refuse: () => machine.faults.sshRefuse,
      exec: (request) => this.exec(os, request),
    });
    try {
      this.port = await server.listen();
    } catch (error) {
      throw new NetbootError(
        `sshd could not listen on ${this.options.sshHost}:${this.port ?? 22}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (signal.aborted) {
      await server.close();
      return;
    }
    this.running = { os, server };
    signal.addEventListener('abort', () => void this.stopOs(), { once: true });
    machine.setPhase('os-running');
    this.options.logger
      ?.child({ machineId: machine.name })
      .info({ sshHost: this.options.sshHost, sshPort: this.port }, 'lab host OS running');
  }

  private stopOs(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (running) this.stopping = running.server.close();
    return this.stopping;
  }

  /** The SSH port: configured, or picked once (the callback must report it before sshd starts). */
  private async sshPort(): Promise<number> {
    if (this.port !== undefined) return this.port;
    const probe = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(0, this.options.sshHost, () => {
        const address = probe.address();
        probe.close(() =>
          typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
        );
      });
    });
    this.port = port;
    return port;
  }

  private powerFromOs(machine: LabMachine, action: PowerAction): void {
    if (action === 'reboot') machine.count('reboots');
    const log = this.options.logger?.child({ machineId: machine.name });
    void machine.reset(action === 'reboot' ? 'ForceRestart' : 'GracefulShutdown').catch((error: unknown) => {
      log?.error({ err: error }, `lab host ${action} failed`);
    });
  }

  private exec(os: HostOs, request: ExecRequest): Promise<number> {
    const user = os.user;
    const home = homeOf(user);
    return runCommandLine(request.command, {
      os,
      user,
      env: {
        HOME: home,
        USER: user,
        LOGNAME: user,
        SHELL: '/bin/bash',
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        ...request.env,
      },
      stdin: new StreamStdin(request.stdin),
      stdout: request.stdout,
      stderr: request.stderr,
      signal: request.signal,
      commands: EMULATED_COMMANDS,
    });
  }
}
