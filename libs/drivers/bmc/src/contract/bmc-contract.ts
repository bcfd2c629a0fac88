/**
 * The BMC driver contract suite: one set of expectations every {@link BmcDriver} meets, run against
 * the lab's Redfish BMC (profile shape), the DMTF mockups served by the lab (read-only calls) and
 * Debian's ipmi_sim. The machine behind each BMC is observed directly, so every expectation is about
 * what really happened on the machine, counted by the lab.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoleError } from '@plinth/contracts';
import type { BmcDriver, InventoryFact } from '../bmc-driver';
import type { BmcDriverRegistry } from '../registry';
import { eventually, testRegistry, type LabBmc } from '../testing/lab-bmcs';

export interface ContractOptions {
  /** Only read-only calls: the target serves published third-party documents. */
  readOnly: boolean;
  /** Inventory facts the protocol cannot report. */
  unavailable: InventoryFact[];
  /** Whether the BMC has a RAID controller with a Volumes collection. */
  raid: boolean;
  /** Whether it has a Bios resource and virtual media. */
  bios: boolean;
  virtualMedia: boolean;
}

/** Registers the contract suite for the BMC `start` brings up (once for the whole suite). */
export function describeBmcContract(
  name: string,
  start: () => Promise<LabBmc>,
  options: ContractOptions,
): void {
  describe(`BMC driver contract: ${name}`, () => {
    let bmc: LabBmc;
    let registry: BmcDriverRegistry;
    let driver: BmcDriver;

    beforeAll(async () => {
      bmc = await start();
      registry = testRegistry(bmc.credentials);
      driver = registry.forMachine({ name: bmc.machine.name, bmc: bmc.access });
    });
    afterAll(async () => {
      await registry?.close();
      await bmc?.close();
    });

    it('reads an inventory that matches the machine, reports what it cannot read as unavailable, and changes nothing', async () => {
      const { machine } = bmc;
      const before = { ...machine.counters };
      const { inventory, unavailable } = await driver.readInventory();
      const hardware = machine.hardware;
      expect(unavailable).toEqual(options.unavailable);
      expect(inventory.powerState).toBe(machine.power);
      expect(inventory.manufacturer).toBe(hardware.manufacturer);
      expect(inventory.model).toBe(hardware.model);
      if (unavailable.includes('serial')) expect(inventory.serial).toBeUndefined();
      else expect(inventory.serial).toBe(hardware.serial);
      if (unavailable.includes('cpu')) {
        expect(inventory.cpu).toEqual({ model: '', cores: 0, sockets: 0 });
      } else {
        expect(inventory.cpu).toEqual({
          model: hardware.cpu.model,
          cores: hardware.cpu.sockets * hardware.cpu.coresPerSocket,
          sockets: hardware.cpu.sockets,
        });
      }
      expect(inventory.memoryMiB).toBe(
        unavailable.includes('memory') ? 0 : hardware.memory.dimms * hardware.memory.dimmMiB,
      );
      const drives = inventory.drives.map((d) => ({ id: d.id, sizeBytes: d.sizeBytes })).sort(byId);
      expect(drives).toEqual(
        unavailable.includes('drives')
          ? []
          : hardware.drives.map((d) => ({ id: d.id, sizeBytes: d.capacityBytes })).sort(byId),
      );
      expect(inventory.nics.map((n) => n.mac).sort()).toEqual(
        unavailable.includes('nics') ? [] : hardware.nics.map((n) => n.mac).sort(),
      );
      if (unavailable.includes('biosVersion')) expect(inventory.biosVersion).toBeUndefined();
      else expect(inventory.biosVersion).toBe(hardware.biosVersion);
      expect(machine.counters).toEqual(before);
    });

    it('reports capabilities that agree with what the driver does', async () => {
      const capabilities = await driver.capabilities();
      expect(capabilities.protocol).toBe(driver.protocol);
      const { unavailable } = await driver.readInventory();
      expect([...capabilities.inventory, ...unavailable].sort()).toEqual([
        'biosVersion',
        'cpu',
        'drives',
        'memory',
        'nics',
        'serial',
      ]);
      expect(capabilities.bootTargets).toContain('Pxe');
      expect(capabilities.raid.supported).toBe(options.raid);
      expect(capabilities.bios).toBe(options.bios);
      expect(capabilities.virtualMedia).toBe(options.virtualMedia);
      expect(capabilities.sessions).toBe(driver.protocol === 'redfish');
      if (options.raid) {
        await expect(driver.storage()).resolves.toBeDefined();
      } else {
        const failure = await driver.storage().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(failure).toBeInstanceOf(RoleError);
        expect((failure as RoleError).code).toBe('BmcUnsupported');
      }
    });

    it('reads power state and boot override as the machine has them', async () => {
      const { machine } = bmc;
      expect(await driver.getPowerState()).toBe(machine.power);
      machine.setBootOverride({ enabled: 'Once', target: 'Pxe' });
      expect(await driver.getBootOverride()).toEqual({ enabled: 'Once', target: 'Pxe' });
      machine.setBootOverride({ enabled: 'Disabled', target: 'None' });
      expect(await driver.getBootOverride()).toEqual({ enabled: 'Disabled', target: 'None' });
    });

    it('refuses wrong credentials with BmcAuthFailed, naming the reference and never the password', async () => {
      const wrong = testRegistry({ username: bmc.credentials.username, password: 'not-the-password' });
      try {
        const failure = await wrong
          .forMachine({ name: bmc.machine.name, bmc: bmc.access })
          .getPowerState()
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        expect(failure).toBeInstanceOf(RoleError);
        expect((failure as RoleError).code).toBe('BmcAuthFailed');
        expect((failure as RoleError).retryable).toBe(false);
        const text = `${(failure as RoleError).message} ${JSON.stringify((failure as RoleError).details)}`;
        expect(text).toContain(bmc.access.credentialsRef);
        expect(text).not.toContain('not-the-password');
        expect(text).not.toContain(bmc.credentials.password);
      } finally {
        await wrong.close();
      }
    });

    if (options.readOnly) {
      it.runIf(options.raid)(
        "lists the RAID controller's drives and volumes without side effects",
        async () => {
          const { machine } = bmc;
          const before = { ...machine.counters };
          const storage = await driver.storage();
          const drives = await storage.listDrives();
          expect(drives.map((d) => d.id).sort()).toEqual(machine.hardware.drives.map((d) => d.id).sort());
          expect(drives.every((d) => d.healthy)).toBe(true);
          expect(await storage.listVolumes()).toEqual([]);
          expect(machine.counters).toEqual(before);
        },
      );
      return;
    }

    it('sets a one-time PXE override once: a repeat writes nothing', async () => {
      const { machine } = bmc;
      const before = machine.counters.bootOverrides;
      expect(await driver.setBootOverride({ enabled: 'Once', target: 'Pxe' })).toEqual({ changed: true });
      expect(machine.bootOverride).toEqual({ enabled: 'Once', target: 'Pxe' });
      expect(await driver.setBootOverride({ enabled: 'Once', target: 'Pxe' })).toEqual({ changed: false });
      expect(machine.counters.bootOverrides).toBe(before + 1);
      expect(await driver.setBootOverride({ enabled: 'Disabled', target: 'None' })).toEqual({
        changed: true,
      });
      expect(machine.bootOverride.enabled).toBe('Disabled');
    });

    it('powers the machine on, cycles it once, and powers it off', async () => {
      const { machine } = bmc;
      const before = { ...machine.counters };
      await driver.setPower('On');
      await eventually(async () => (await driver.getPowerState()) === 'On');
      expect(machine.power).toBe('On');
      await driver.setPower('ForceRestart');
      await eventually(() => machine.counters.powerCycles === before.powerCycles + 1);
      await driver.setPower('ForceOff');
      await eventually(async () => (await driver.getPowerState()) === 'Off');
      expect(machine.power).toBe('Off');
      expect(machine.counters.powerOns - before.powerOns).toBe(1);
      expect(machine.counters.powerCycles - before.powerCycles).toBe(1);
      expect(machine.counters.powerOffs - before.powerOffs).toBe(1);
    });

    it.runIf(options.raid)('creates a RAID1 volume through the task monitor and deletes it', async () => {
      const { machine } = bmc;
      const storage = await driver.storage();
      const drives = (await storage.listDrives()).sort(
        (a, b) => a.sizeBytes - b.sizeBytes || a.id.localeCompare(b.id),
      );
      const pair = drives.slice(0, 2).map((d) => d.id);
      const progress: string[] = [];
      const volume = await storage.createVolume(
        { name: 'contract-os', level: 'raid1', driveIds: pair },
        { onProgress: (p) => progress.push(p.stage) },
      );
      expect(volume).toMatchObject({ name: 'contract-os', level: 'raid1', driveIds: pair });
      expect(progress).toContain('task');
      expect(machine.volumes.map((v) => v.driveIds)).toEqual([pair]);
      expect(await storage.listVolumes()).toEqual([volume]);
      await storage.deleteVolume(volume.id);
      expect(machine.volumes).toEqual([]);
      await storage.deleteVolume(volume.id);
      expect(machine.counters.volumesCreated).toBe(1);
      expect(machine.counters.volumesDeleted).toBe(1);
    });
  });
}

const byId = (a: { id: string }, b: { id: string }): number => a.id.localeCompare(b.id);
