/**
 * The BMC roles on a whole lab (`startLab`): machines imported from the lab's own inventory, the
 * lab's BMC account stored encrypted as `secret/lab-bmc`, one Redfish and one IPMI (ipmi_sim) BMC.
 */
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineRef } from '@plinth/contracts';
import { credentialsSecretValue, startLab, type Lab } from '@plinth/lab';
import { createDiscoverActivities } from '../discover/discover-activities';
import { createRaidActivities } from '../raid/raid-activities';
import { recordingEnvironment, startBmcRoleFixture, type BmcRoleFixture } from './bmc-role-fixture';
import { createPowerActivities } from './power-activities';

describe('BMC roles on a lab of one Redfish and one IPMI machine', () => {
  let lab: Lab;
  let fixture: BmcRoleFixture;
  const refs = new Map<string, MachineRef>();

  beforeAll(async () => {
    lab = await startLab({
      machines: 2,
      ipmi: 1,
      bmcNetwork: '127.61',
      sshNetwork: '127.62',
      bmcPort: 0,
      sshPort: 0,
      timings: { powerMs: 10, postMs: 10, volumeTaskMs: 40 },
    });
    fixture = await startBmcRoleFixture();
    await fixture.secrets.put('lab-bmc', credentialsSecretValue(lab.credentials));
    await fixture.machines.importMachines(lab.inventory().machines);
    for (const entry of lab.machines) {
      const stored = await fixture.machines.findByName(entry.name);
      if (stored) refs.set(entry.name, { machineId: stored.id, machineName: entry.name });
    }
  });
  afterAll(async () => {
    await fixture?.close();
    await lab?.close();
  });

  const ref = (name: string): MachineRef => {
    const found = refs.get(name);
    if (!found) throw new Error(`no machine ${name}`);
    return found;
  };

  it('discovers both machines: everything checked over Redfish, identity only over IPMI', async () => {
    const discover = createDiscoverActivities({ ...fixture.deps, inventories: fixture.inventories });
    const redfish = await recordingEnvironment().run(discover.discoverHardware, ref('lab-cp-1'));
    expect(redfish).toMatchObject({ protocol: 'redfish', unavailable: [], unverified: [] });
    const ipmi = await recordingEnvironment().run(discover.discoverHardware, ref('lab-cp-2'));
    expect(ipmi).toMatchObject({
      protocol: 'ipmi',
      unavailable: ['cpu', 'memory', 'drives', 'nics', 'biosVersion'],
      unverified: ['cpuCores', 'memoryMiB', 'disks', 'bootMac'],
    });
    const stored = await fixture.inventories.latest(ref('lab-cp-2').machineId);
    expect(stored?.inventory.serial).toBe(lab.machine('lab-cp-2')?.machine.hardware.serial);
    for (const entry of lab.machines)
      expect(Object.values(entry.machine.counters).every((n) => n === 0)).toBe(true);
  });

  it('applies RAID over Redfish and reports it unsupported over IPMI', async () => {
    const raid = createRaidActivities(fixture.deps);
    const layout = { os: { level: 'raid1' as const, drives: 'smallest-2' as const, wipe: false } };
    const result = await recordingEnvironment().run(raid.applyRaidLayout, {
      ...ref('lab-cp-1'),
      role: 'control-plane',
      layout,
    });
    expect(result).toMatchObject({ created: 1, alreadyApplied: false });
    expect(lab.machine('lab-cp-1')?.machine.counters.volumesCreated).toBe(1);
    const failure = (await recordingEnvironment()
      .run(raid.applyRaidLayout, { ...ref('lab-cp-2'), role: 'control-plane', layout })
      .then(
        () => undefined,
        (error: unknown) => error,
      )) as ApplicationFailure;
    expect(failure.type).toBe('BmcUnsupported');
    expect(failure.message).toContain('IPMI');
  });

  it('sets PXE and powers on the IPMI machine once; a retry sends nothing', async () => {
    const power = createPowerActivities({ ...fixture.deps, pollIntervalMs: 50, bootStartTimeoutMs: 10_000 });
    const machine = lab.machine('lab-cp-2')?.machine;
    if (!machine) throw new Error('lab-cp-2 missing');
    expect(await recordingEnvironment().run(power.setOneTimePxeBoot, ref('lab-cp-2'))).toEqual({
      changed: true,
    });
    expect(await recordingEnvironment().run(power.setOneTimePxeBoot, ref('lab-cp-2'))).toEqual({
      changed: false,
    });
    const cycled = await recordingEnvironment().run(power.powerCycle, ref('lab-cp-2'));
    expect(cycled).toMatchObject({ action: 'powered-on', powerState: 'On', pxeOverridePending: false });
    const again = await recordingEnvironment({ attempt: 2 }).run(power.powerCycle, ref('lab-cp-2'));
    expect(again.action).toBe('already-booted');
    expect(machine.counters).toMatchObject({ bootOverrides: 1, powerOns: 1, powerCycles: 0, netboots: 1 });
  });
});
