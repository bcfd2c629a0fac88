import { describe, expect, it } from 'vitest';
import { LabSwitch } from './lab-switch';
import { createSwitchRegistry, SwitchError } from './switch-driver';

describe('lab switch', () => {
  it('configures access and trunk ports, changing only what differs', async () => {
    const leaf = new LabSwitch('leaf1', ['Ethernet1', 'Ethernet2']);
    expect(await leaf.getPort('Ethernet1')).toEqual({ portId: 'Ethernet1', mode: 'access', vlan: 1 });
    const trunk = { mode: 'trunk' as const, allowedVlans: [120, 130], lag: { name: 'po10', lacp: true } };
    expect((await leaf.configurePort('Ethernet1', trunk)).changed).toBe(true);
    // VLAN order does not matter: the same configuration is no change.
    expect((await leaf.configurePort('Ethernet1', { ...trunk, allowedVlans: [130, 120, 120] })).changed).toBe(
      false,
    );
    expect((await leaf.configurePort('Ethernet2', { mode: 'access', vlan: 120 })).changed).toBe(true);
    expect((await leaf.configurePort('Ethernet2', { mode: 'access', vlan: 130 })).changed).toBe(true);
    expect(leaf.counters.portChanges).toBe(3);
    expect(await leaf.getPort('Ethernet1')).toEqual({ portId: 'Ethernet1', ...trunk });
  });

  it('rejects what the switch cannot do, unknown ports, and fails retryably when unreachable', async () => {
    const leaf = new LabSwitch('leaf1', ['Ethernet1'], { lacp: false });
    const rejected = await leaf
      .configurePort('Ethernet1', { mode: 'access', vlan: 4095 })
      .catch((error: unknown) => error);
    expect(rejected).toMatchObject({
      code: 'SwitchConfigRejected',
      retryable: false,
      message: 'Switch leaf1 refused the configuration of Ethernet1: VLAN 4095 is outside 1-4094.',
    });
    const noLacp = await leaf
      .configurePort('Ethernet1', { mode: 'trunk', allowedVlans: [10], lag: { name: 'po1', lacp: true } })
      .catch((error: unknown) => error);
    expect(noLacp).toMatchObject({
      code: 'SwitchConfigRejected',
      message: expect.stringContaining('does not support LACP'),
    });
    await expect(leaf.getPort('Ethernet9')).rejects.toMatchObject({
      code: 'SwitchPortUnknown',
      retryable: false,
    });
    leaf.faults.unreachable = true;
    const down = await leaf.getPort('Ethernet1').catch((error: unknown) => error);
    expect(down).toBeInstanceOf(SwitchError);
    expect(down).toMatchObject({ code: 'SwitchUnreachable', retryable: true });
    expect(leaf.counters.portChanges).toBe(0);
  });

  it('finds drivers by switch id', () => {
    const registry = createSwitchRegistry([new LabSwitch('leaf1', []), new LabSwitch('leaf2', [])]);
    expect(registry.get('leaf2').switchId).toBe('leaf2');
    expect(() => registry.get('spine')).toThrow('No switch spine is configured; known: leaf1, leaf2.');
  });
});
