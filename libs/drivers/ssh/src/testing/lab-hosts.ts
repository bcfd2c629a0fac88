/**
 * Test support (not exported from the package): lab hosts that netboot from a tiny provisioner,
 * install, and then answer SSH on their own loopback address — the real protocol endpoints the
 * SSH driver and the SSH roles are tested against. The lab is a test-only dependency of this
 * driver, hence the boundary exceptions below.
 */
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests run the driver against the lab
import { HostSimulator, LabMachine, LabWorld, type LabTimings } from '@plinth/lab';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests run the driver against the lab
import { generateClientKey, testHardware, TestProvisioner, TEST_TIMINGS } from '@plinth/lab/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests run the driver against the lab
import type { InstallFormat } from '@plinth/lab/testing';
import type { SshAccess } from '@plinth/contracts';
import type { SecretResolver } from '../ssh-driver';

export { LabWorld, generateClientKey, type InstallFormat };

export interface LabHost {
  machine: LabMachine;
  host: HostSimulator;
  hostname: string;
  sshHost: string;
  format: InstallFormat;
  /** SSH access for the driver, once installed. */
  access(machineId?: string): SshAccess;
  /** Netboot and install (PXE override + power on); resolves when SSH is up or the install failed. */
  install(): Promise<void>;
}

/**
 * A group of lab hosts for one test file. `net` is the second octet of their loopback addresses
 * (127.<net>.0.<n>): give each test file its own so parallel files never share an address.
 */
export class LabHosts {
  readonly world = new LabWorld();
  readonly provisioner = new TestProvisioner();
  /** The key every host authorises, and its reference in {@link secrets}. */
  readonly key = generateClientKey('plinth@roles-test');
  readonly keyRef = 'secret/test-ssh-key';
  private readonly hosts: LabHost[] = [];
  private readonly extraSecrets = new Map<string, string>();

  constructor(
    private readonly net: number,
    private readonly timings: Partial<LabTimings> = {},
  ) {}

  async start(): Promise<void> {
    await this.provisioner.start();
  }

  /** Resolves {@link keyRef} and anything added with {@link putSecret}; other refs are missing. */
  readonly secrets: SecretResolver = {
    reveal: (ref) => {
      if (ref === this.keyRef) return Promise.resolve(this.key.privateKey);
      const value = this.extraSecrets.get(ref);
      if (value !== undefined) return Promise.resolve(value);
      const error = new Error(`Secret ${ref} does not exist.`);
      error.name = 'SecretNotFoundError';
      return Promise.reject(error);
    },
  };

  putSecret(ref: string, value: string): void {
    this.extraSecrets.set(ref, value);
  }

  /** A host (not yet powered on) provisioned to install `format` with the given hostname and address. */
  add(options: {
    format?: InstallFormat;
    hostname: string;
    address: string;
    authorizedKeys?: string[];
  }): LabHost {
    const index = this.hosts.length + 1;
    const format = options.format ?? 'autoinstall';
    const sshHost = `127.${this.net}.0.${index}`;
    const world = this.world;
    const host = new HostSimulator({ netbootUrl: this.provisioner.netbootUrl, sshHost, sshPort: 0, world });
    const hardware = testHardware(this.net * 256 + index);
    const machine = new LabMachine({
      name: options.hostname,
      hardware,
      timings: { ...TEST_TIMINGS, ...this.timings },
      bootHandler: host,
    });
    this.provisioner.provision({
      format,
      mac: machine.bootMac,
      hostname: options.hostname,
      address: options.address,
      user: 'plinth',
      authorizedKeys: options.authorizedKeys ?? [this.key.publicKey],
    });
    const keyRef = this.keyRef;
    const labHost: LabHost = {
      machine,
      host,
      hostname: options.hostname,
      sshHost,
      format,
      access: (machineId = options.hostname) => ({
        machineId,
        host: sshHost,
        port: host.sshAddress.port ?? 22,
        username: 'plinth',
        privateKeyRef: keyRef,
      }),
      async install() {
        machine.setBootOverride({ enabled: 'Once', target: 'Pxe' });
        if (machine.power === 'On') await machine.reset('ForceRestart');
        else await machine.reset('On');
        await machine.waitForPhase(['os-running', 'install-failed'], 15_000);
        if (machine.phase !== 'os-running')
          throw new Error(`${machine.name}: ${machine.lastBootError ?? 'install failed'}`);
      },
    };
    this.hosts.push(labHost);
    return labHost;
  }

  /** Power everything off and stop the provisioner. */
  async close(): Promise<void> {
    for (const { machine, host } of this.hosts) {
      await machine.reset('ForceOff');
      await host.close();
    }
    await this.provisioner.close();
  }
}
