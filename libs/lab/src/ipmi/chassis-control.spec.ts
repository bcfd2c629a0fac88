import { describe, expect, it } from 'vitest';
import type { LabMachine } from '../machine/lab-machine';
import { IpmiChassisControl } from './chassis-control';
import type { ChassisRequest } from './chassis-requests';
import { ipmiTestMachine } from './test-machine';

/** What the relay would have read from the client while ipmi_sim runs the hook; set by each test. */
class ScriptedRequests {
  request: ChassisRequest | undefined;
  current(): ChassisRequest | undefined {
    return this.request;
  }
}

function setUp(): { machine: LabMachine; requests: ScriptedRequests; chassis: IpmiChassisControl } {
  const machine = ipmiTestMachine();
  const requests = new ScriptedRequests();
  return { machine, requests, chassis: new IpmiChassisControl(machine, requests) };
}

function waitForPower(machine: LabMachine, power: 'On' | 'Off'): Promise<void> {
  if (machine.power === power) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = (state: 'On' | 'Off'): void => {
      if (state !== power) return;
      machine.off('power', listener);
      resolve();
    };
    machine.on('power', listener);
  });
}

describe('IpmiChassisControl (ipmi_sim chassis_control protocol)', () => {
  it('reports power and boot device as "<parm>:<value>" lines', async () => {
    const { machine, chassis } = setUp();
    expect(chassis.handle(['get', 'power', 'boot'])).toEqual({ ok: true, output: 'power:0\nboot:none' });
    await machine.reset('On');
    machine.setBootOverride({ enabled: 'Once', target: 'Pxe' });
    expect(chassis.handle(['get', 'power', 'boot'])).toEqual({ ok: true, output: 'power:1\nboot:pxe' });
    machine.setBootOverride({ enabled: 'Continuous', target: 'Hdd' });
    expect(chassis.handle(['get', 'boot']).output).toBe('boot:default');
  });

  it('maps power up and power down to On and ForceOff', async () => {
    const { machine, requests, chassis } = setUp();
    requests.request = { kind: 'control', action: 'power-up' };
    expect(chassis.handle(['set', 'power', '1'])).toEqual({ ok: true, output: '' });
    await waitForPower(machine, 'On');
    requests.request = { kind: 'control', action: 'power-down' };
    expect(chassis.handle(['set', 'power', '0']).ok).toBe(true);
    await waitForPower(machine, 'Off');
    expect(machine.counters).toMatchObject({ powerOns: 1, powerOffs: 1, powerCycles: 0 });
  });

  it("carries out an IPMI power cycle once and ends ipmi_sim's power-on timer", async () => {
    const { machine, requests, chassis } = setUp();
    await machine.reset('On');
    requests.request = { kind: 'control', action: 'power-cycle' };
    expect(chassis.handle(['set', 'power', '0']).ok).toBe(true);
    requests.request = undefined;
    // ipmi_sim's timer polls a second later; it must read "off" to stop polling, then asks for power on.
    expect(chassis.handle(['get', 'power']).output).toBe('power:0');
    expect(chassis.handle(['set', 'power', '1']).ok).toBe(true);
    await machine.reset('On'); // queued behind the cycle: resolves once the cycle has run
    expect(machine.power).toBe('On');
    expect(machine.counters).toMatchObject({ powerCycles: 1, powerOns: 1, powerOffs: 0 });
    // After the timer ended, power reads true again.
    expect(chassis.handle(['get', 'power']).output).toBe('power:1');
  });

  it('answers a client asking for status truthfully while the cycle timer is pending', async () => {
    const { machine, requests, chassis } = setUp();
    await machine.reset('On');
    requests.request = { kind: 'control', action: 'power-cycle' };
    chassis.handle(['set', 'power', '0']);
    await machine.reset('On');
    requests.request = { kind: 'status' };
    expect(chassis.handle(['get', 'power']).output).toBe('power:1');
  });

  it("falls back to ipmi_sim's own off-then-on when the cycle request could not be read", async () => {
    const { machine, requests, chassis } = setUp();
    await machine.reset('On');
    requests.request = undefined;
    chassis.handle(['set', 'power', '0']);
    await waitForPower(machine, 'Off');
    expect(chassis.handle(['get', 'power']).output).toBe('power:0');
    chassis.handle(['set', 'power', '1']);
    await waitForPower(machine, 'On');
    expect(machine.counters).toMatchObject({ powerCycles: 0, powerOns: 2, powerOffs: 1 });
  });

  it('a client power-on during the cycle timer is carried out, not swallowed', async () => {
    const { machine, requests, chassis } = setUp();
    await machine.reset('On');
    requests.request = { kind: 'control', action: 'power-cycle' };
    chassis.handle(['set', 'power', '0']);
    await machine.reset('On');
    requests.request = { kind: 'control', action: 'power-down' };
    chassis.handle(['set', 'power', '0']);
    await waitForPower(machine, 'Off');
    requests.request = { kind: 'control', action: 'power-up' };
    chassis.handle(['set', 'power', '1']);
    await waitForPower(machine, 'On');
    expect(machine.counters).toMatchObject({ powerCycles: 1, powerOffs: 1, powerOns: 2 });
  });

  it('maps hard reset to ForceRestart and soft off to GracefulShutdown', async () => {
    const { machine, chassis } = setUp();
    await machine.reset('On');
    expect(chassis.handle(['set', 'reset', '1']).ok).toBe(true);
    await machine.reset('On');
    expect(machine.counters.powerCycles).toBe(1);
    expect(chassis.handle(['set', 'shutdown', '1']).ok).toBe(true);
    await waitForPower(machine, 'Off');
    expect(machine.counters.powerOffs).toBe(1);
  });

  it('sets the boot override from the device and the flags the client sent', () => {
    const { machine, requests, chassis } = setUp();
    requests.request = { kind: 'boot-flags', valid: true, persistent: false, deviceSelector: 1 };
    chassis.handle(['set', 'boot', 'pxe']);
    expect(machine.bootOverride).toEqual({ enabled: 'Once', target: 'Pxe' });
    requests.request = { kind: 'boot-flags', valid: true, persistent: true, deviceSelector: 2 };
    chassis.handle(['set', 'boot', 'default']);
    expect(machine.bootOverride).toEqual({ enabled: 'Continuous', target: 'Hdd' });
    requests.request = { kind: 'boot-flags', valid: false, persistent: false, deviceSelector: 1 };
    chassis.handle(['set', 'boot', 'pxe']);
    expect(machine.bootOverride).toEqual({ enabled: 'Disabled', target: 'None' });
    requests.request = undefined;
    chassis.handle(['set', 'boot', 'pxe']);
    expect(machine.bootOverride).toEqual({ enabled: 'Once', target: 'Pxe' });
    chassis.handle(['set', 'boot', 'none']);
    expect(machine.bootOverride).toEqual({ enabled: 'Disabled', target: 'None' });
    expect(machine.counters.bootOverrides).toBe(5);
  });

  it('refuses what the lab does not emulate, as the example hook does', () => {
    const { machine, chassis } = setUp();
    expect(chassis.handle(['set', 'boot', 'cdrom'])).toMatchObject({ ok: false });
    expect(chassis.handle(['get', 'reset'])).toEqual({ ok: false, output: 'Invalid parameter: reset' });
    expect(chassis.handle(['set', 'power'])).toMatchObject({ ok: false });
    expect(chassis.handle(['set', 'power', '2'])).toMatchObject({ ok: false });
    expect(chassis.handle(['check', 'power', '1'])).toMatchObject({ ok: false });
    expect(chassis.handle(['frobnicate'])).toMatchObject({ ok: false });
    expect(chassis.handle(['set', 'identify', '15 0'])).toEqual({ ok: true, output: '' });
    expect(chassis.handle(['set', 'identify', 'soon'])).toMatchObject({ ok: false });
    expect(machine.counters.bootOverrides).toBe(0);
  });
});
