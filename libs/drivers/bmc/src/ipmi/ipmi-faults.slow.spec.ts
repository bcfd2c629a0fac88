import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoleError } from '@plinth/contracts';
import { createBmcDriverRegistry } from '../registry';
import { startIpmiLabBmc, TEST_POLICY, testRegistry, type LabBmc } from '../testing/lab-bmcs';

describe('IPMI driver: secrets and faults (ipmi_sim)', () => {
  let bmc: LabBmc;
  let dir: string;

  beforeAll(async () => {
    bmc = await startIpmiLabBmc({ name: 'ipmi-faults' });
    dir = await mkdtemp(join(tmpdir(), 'plinth-ipmitool-wrapper-'));
  });
  afterAll(async () => {
    await bmc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("never puts the password on ipmitool's command line: it travels in IPMI_PASSWORD", async () => {
    // A wrapper in front of the real ipmitool records what any process listing would show.
    const wrapper = join(dir, 'ipmitool');
    const record = join(dir, 'calls.log');
    await writeFile(
      wrapper,
      `#!/bin/sh\nprintf '%s\\n' "argv: $*" "password-env: \${IPMI_PASSWORD:+set}" >> ${record}\nexec ipmitool "$@"\n`,
    );
    await chmod(wrapper, 0o700);
    const registry = createBmcDriverRegistry({
      credentials: async () => bmc.credentials,
      policy: TEST_POLICY,
      ipmitoolCommand: wrapper,
    });
    try {
      const driver = registry.forMachine({ name: bmc.machine.name, bmc: bmc.access });
      expect(await driver.getPowerState()).toBe('Off');
      await driver.setBootOverride({ enabled: 'Once', target: 'Pxe' });
    } finally {
      await registry.close();
    }
    const calls = await readFile(record, 'utf8');
    expect(calls).toContain('argv: -I lanplus -C 3');
    expect(calls).toContain(`-U ${bmc.credentials.username} -E chassis power status`);
    expect(calls).toContain('password-env: set');
    expect(calls).not.toContain(bmc.credentials.password);
  });

  it('does not retry refused credentials: one ipmitool run, BmcAuthFailed', async () => {
    const runs: string[] = [];
    const registry = testRegistry(
      { username: bmc.credentials.username, password: 'wrong-password' },
      {
        observers: { onIpmitoolRun: (_machine, run) => runs.push(`${run.command.join(' ')} ${run.outcome}`) },
      },
    );
    try {
      const error = await registry
        .forMachine({ name: bmc.machine.name, bmc: bmc.access })
        .getPowerState()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(RoleError);
      expect((error as RoleError).code).toBe('BmcAuthFailed');
      expect(runs).toEqual(['chassis power status auth']);
    } finally {
      await registry.close();
    }
  });

  it('turns a hung BMC into BmcUnreachable within the call bound, after the allowed attempts', async () => {
    const runs: string[] = [];
    const registry = testRegistry(bmc.credentials, {
      policy: { requestTimeoutMs: 1_500, maxAttempts: 2, totalTimeoutMs: 6_000 },
      observers: { onIpmitoolRun: (_machine, run) => runs.push(run.outcome) },
    });
    bmc.machine.faults.hang = true;
    try {
      const started = Date.now();
      const error = await registry
        .forMachine({ name: bmc.machine.name, bmc: bmc.access })
        .getPowerState()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(RoleError);
      expect((error as RoleError).code).toBe('BmcUnreachable');
      expect((error as RoleError).retryable).toBe(true);
      expect(runs).toEqual(['unreachable', 'unreachable']);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      bmc.machine.faults.hang = false;
      await registry.close();
    }
  });

  it('does not resend a power cycle whose outcome is unknown (killed at the request timeout)', async () => {
    const runs: string[] = [];
    const registry = testRegistry(bmc.credentials, {
      policy: { requestTimeoutMs: 1_500, maxAttempts: 3, totalTimeoutMs: 8_000 },
      observers: { onIpmitoolRun: (_machine, run) => runs.push(`${run.command.join(' ')} ${run.outcome}`) },
    });
    const driver = registry.forMachine({ name: bmc.machine.name, bmc: bmc.access });
    try {
      await bmc.machine.reset('On');
      const cycles = bmc.machine.counters.powerCycles;
      bmc.machine.faults.hang = true;
      const error = await driver.setPower('ForceRestart').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RoleError);
      expect((error as RoleError).code).toBe('BmcUnreachable');
      expect((error as RoleError).message).toContain('may or may not have been carried out');
      expect(runs).toEqual(['chassis power cycle unreachable']);
      expect(bmc.machine.counters.powerCycles).toBe(cycles);
    } finally {
      bmc.machine.faults.hang = false;
      await registry.close();
    }
  });
});
