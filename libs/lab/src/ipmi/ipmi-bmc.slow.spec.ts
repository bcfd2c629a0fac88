import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabMachine } from '../machine/lab-machine';
import { sharedFixturesDir } from '../shared-fixtures';
import type { HookReply } from './chassis-control';
import { startIpmiBmc } from './ipmi-bmc';
import type { IpmiBmc } from './ipmi-bmc';
import { ipmiTestMachine } from './test-machine';

/**
 * Contract of the lab's IPMI BMC as a driver meets it: Debian's ipmitool over RMCP+ (`-C 3`,
 * password through IPMI_PASSWORD and `-E`) against ipmi_sim, observed on the LabMachine.
 */
const credentials = { username: 'labadmin', password: 'Lab-Secret-7' };

interface IpmitoolRun {
  code: number;
  out: string;
}

/** `retries` 1 when no answer is expected: ipmitool then gives up after about 2 s. */
function ipmitool(
  bmc: IpmiBmc,
  args: string[],
  { password = credentials.password, retries = 2 } = {},
): Promise<IpmitoolRun> {
  const argv = [
    '-I',
    'lanplus',
    '-C',
    '3',
    '-N',
    '1',
    '-R',
    String(retries),
    '-H',
    bmc.host,
    '-p',
    String(bmc.port),
  ];
  return new Promise((resolve) => {
    execFile(
      'ipmitool',
      [...argv, '-U', credentials.username, '-E', ...args],
      { env: { ...process.env, IPMI_PASSWORD: password }, timeout: 20_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, out: `${stdout}${stderr}`.trim() }),
    );
  });
}

async function ok(bmc: IpmiBmc, ...args: string[]): Promise<string> {
  const run = await ipmitool(bmc, args);
  expect(run, `ipmitool ${args.join(' ')}`).toMatchObject({ code: 0 });
  return run.out;
}

/** Poll `chassis power status` until it reports `state` (bounded). */
async function untilPowerStatus(bmc: IpmiBmc, state: 'on' | 'off'): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if ((await ok(bmc, 'chassis', 'power', 'status')) === `Chassis Power is ${state}`) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`power status never became ${state}`);
}

function untilHookCall(calls: string[], wanted: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (calls.includes(wanted)) return resolve();
      if (Date.now() > deadline) return reject(new Error(`no hook call "${wanted}" in ${calls.join(', ')}`));
      setTimeout(check, 20);
    };
    check();
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

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

describe('lab IPMI BMC (ipmi_sim) with ipmitool -C 3', () => {
  let workRoot: string;
  let machine: LabMachine;
  let bmc: IpmiBmc;
  const hookCalls: string[] = [];

  beforeAll(async () => {
    workRoot = await mkdtemp(join(tmpdir(), 'plinth-ipmi-bmc-'));
    machine = ipmiTestMachine('ipmi-node-1');
    bmc = await startIpmiBmc({
      machine,
      host: '127.0.0.1',
      port: 0,
      credentials,
      workDir: join(workRoot, 'bmc-1'),
      onHookCall: (args: readonly string[], reply: HookReply) => {
        hookCalls.push(`${args.join(' ')} -> ${reply.ok ? reply.output : 'refused'}`);
      },
    });
  });

  afterAll(async () => {
    await bmc?.close();
    await rm(workRoot, { recursive: true, force: true });
  });

  it('names itself ipmi://host:port', () => {
    expect(bmc.address).toBe(`ipmi://127.0.0.1:${bmc.port}`);
    expect(bmc.port).toBeGreaterThan(0);
  });

  it('power on/off through IPMI changes the LabMachine, and LabMachine changes show in power status', async () => {
    expect(await ok(bmc, 'chassis', 'power', 'status')).toBe('Chassis Power is off');
    expect(await ok(bmc, 'chassis', 'power', 'on')).toBe('Chassis Power Control: Up/On');
    await machine.waitForPhase(['post', 'no-bootable-device']);
    expect(machine.power).toBe('On');
    await untilPowerStatus(bmc, 'on');

    expect(await ok(bmc, 'chassis', 'power', 'off')).toBe('Chassis Power Control: Down/Off');
    await machine.waitForPhase('off');
    await untilPowerStatus(bmc, 'off');

    await machine.reset('On');
    expect(await ok(bmc, 'chassis', 'power', 'status')).toBe('Chassis Power is on');
    await machine.reset('ForceOff');
    expect(await ok(bmc, 'chassis', 'power', 'status')).toBe('Chassis Power is off');
    expect(machine.counters).toMatchObject({ powerOns: 2, powerOffs: 2, powerCycles: 0 });
  });

  it('power cycle is one PowerCycle on the machine, and ipmi_sim does not power it on again', async () => {
    await machine.reset('On');
    const before = { ...machine.counters };
    hookCalls.length = 0;
    const powered: string[] = [];
    const onPower = (state: string): void => void powered.push(state);
    machine.on('power', onPower);
    try {
      expect(await ok(bmc, 'chassis', 'power', 'cycle')).toBe('Chassis Power Control: Cycle');
      // ipmi_sim's own timer asks for power on about a second later; wait until it has.
      await untilHookCall(hookCalls, 'set power 1 -> ');
      await untilPowerStatus(bmc, 'on');
      expect(powered).toEqual(['Off', 'On']);
      expect(machine.counters.powerCycles).toBe(before.powerCycles + 1);
      expect(machine.counters.powerOns).toBe(before.powerOns);
      expect(machine.counters.powerOffs).toBe(before.powerOffs);
    } finally {
      machine.off('power', onPower);
    }
  });

  it('power reset is ForceRestart and power soft is GracefulShutdown', async () => {
    await machine.reset('On');
    const before = { ...machine.counters };
    expect(await ok(bmc, 'chassis', 'power', 'reset')).toBe('Chassis Power Control: Reset');
    await machine.reset('On');
    expect(machine.counters.powerCycles).toBe(before.powerCycles + 1);
    expect(await ok(bmc, 'chassis', 'power', 'soft')).toBe('Chassis Power Control: Soft');
    await untilPowerStatus(bmc, 'off');
    expect(machine.counters.powerOffs).toBe(before.powerOffs + 1);
  });

  it('bootdev pxe sets a Once Pxe override, options=persistent a Continuous one', async () => {
    const before = machine.counters.bootOverrides;
    expect(await ok(bmc, 'chassis', 'bootdev', 'pxe')).toBe('Set Boot Device to pxe');
    expect(machine.bootOverride).toEqual({ enabled: 'Once', target: 'Pxe' });
    expect(await ok(bmc, 'chassis', 'bootdev', 'disk', 'options=persistent')).toBe('Set Boot Device to disk');
    expect(machine.bootOverride).toEqual({ enabled: 'Continuous', target: 'Hdd' });
    expect(await ok(bmc, 'chassis', 'bootdev', 'pxe', 'options=persistent')).toBe('Set Boot Device to pxe');
    expect(machine.bootOverride).toEqual({ enabled: 'Continuous', target: 'Pxe' });
    expect(machine.counters.bootOverrides).toBe(before + 3);
    // ipmi_sim reads the device back from the machine (it never reports the persistent flag).
    expect(await ok(bmc, 'chassis', 'bootparam', 'get', '5')).toContain('Boot Device Selector : Force PXE');
    machine.setBootOverride({ enabled: 'Once', target: 'Hdd' });
    expect(await ok(bmc, 'chassis', 'bootparam', 'get', '5')).toContain('Force Boot from default Hard-Drive');
  });

  it('a Once override set through IPMI is used by the next boot and then cleared', async () => {
    await machine.reset('ForceOff');
    await ok(bmc, 'chassis', 'bootdev', 'pxe');
    await ok(bmc, 'chassis', 'power', 'on');
    await machine.waitForPhase('no-bootable-device');
    expect(machine.bootOverride).toEqual({ enabled: 'Disabled', target: 'None' });
    expect(await ok(bmc, 'chassis', 'bootparam', 'get', '5')).toContain('Boot Device Selector : No override');
  });

  it('refuses a boot device the lab does not emulate with the BMC error ipmitool shows', async () => {
    const before = { ...machine.bootOverride };
    // ipmitool reports the failure but exits 0 for bootdev; the message is what a driver sees.
    const run = await ipmitool(bmc, ['chassis', 'bootdev', 'cdrom']);
    expect(run.out).toContain('Set Chassis Boot Parameter 5 failed: Unspecified error');
    expect(machine.bootOverride).toEqual(before);
  });

  it('a wrong password fails with the real RMCP+ error and changes nothing', async () => {
    const counters = { ...machine.counters };
    const run = await ipmitool(bmc, ['chassis', 'power', 'cycle'], { password: 'not-the-password' });
    expect(run.code).toBe(1);
    expect(run.out).toContain('Unable to establish IPMI v2 / RMCP+ session');
    expect(machine.counters).toEqual(counters);
  });

  it('answers mc info and a FRU with the machine identity', async () => {
    const info = await ok(bmc, 'mc', 'info');
    expect(info).toMatch(/IPMI Version\s+: 2\.0/);
    expect(info).toContain('Chassis Device');
    const fru = await ok(bmc, 'fru', 'print', '0');
    expect(fru).toMatch(/Product Manufacturer\s+: Plinth Lab/);
    expect(fru).toMatch(/Product Serial\s+: SN-ipmi-node-1/);
    expect(fru).toMatch(/Product Asset Tag\s+: ipmi-node-1/);
  });

  it('stops answering while the machine has the hang fault', async () => {
    machine.faults = { ...machine.faults, hang: true };
    try {
      const run = await ipmitool(bmc, ['chassis', 'power', 'status'], { retries: 1 });
      expect(run.code).not.toBe(0);
      expect(run.out).toContain('Unable to establish IPMI v2 / RMCP+ session');
    } finally {
      machine.faults = { ...machine.faults, hang: false };
    }
    await ok(bmc, 'chassis', 'power', 'status');
  });
});

describe('lab IPMI BMC lifecycle', () => {
  it('serve two machines at once on different addresses and leave no ipmi_sim behind', async () => {
    const workRoot = await mkdtemp(join(tmpdir(), 'plinth-ipmi-pair-'));
    const machines = [ipmiTestMachine('pair-a'), ipmiTestMachine('pair-b')];
    const bmcs: IpmiBmc[] = [];
    try {
      bmcs.push(
        ...(await Promise.all(
          machines.map((machine, index) =>
            startIpmiBmc({
              machine,
              host: `127.0.0.${index + 1}`,
              port: 0,
              credentials,
              workDir: join(workRoot, machine.name),
            }),
          ),
        )),
      );
      const [a, b] = bmcs as [IpmiBmc, IpmiBmc];
      expect(a.address).not.toBe(b.address);
      expect(b.host).toBe('127.0.0.2');

      await ok(a, 'chassis', 'power', 'on');
      await ok(b, 'chassis', 'bootdev', 'pxe', 'options=persistent');
      await untilPowerStatus(a, 'on');
      expect(await ok(b, 'chassis', 'power', 'status')).toBe('Chassis Power is off');
      expect(machines[0]!.bootOverride.enabled).toBe('Disabled');
      expect(machines[1]!.bootOverride).toEqual({ enabled: 'Continuous', target: 'Pxe' });
      expect(machines[1]!.power).toBe('Off');

      const pids = bmcs.map((bmc) => bmc.pid);
      expect(pids.every(isRunning)).toBe(true);
      expect((await ipmiSimsUsing(workRoot)).sort()).toEqual([...pids].sort());
      await Promise.all(bmcs.map((bmc) => bmc.close()));
      expect(pids.some(isRunning)).toBe(false);
      expect(await ipmiSimsUsing(workRoot)).toEqual([]);
      // Closed means closed: the address no longer answers.
      expect((await ipmitool(a, ['chassis', 'power', 'status'], { retries: 1 })).code).not.toBe(0);
    } finally {
      await Promise.all(bmcs.map((bmc) => bmc.close()));
      await rm(workRoot, { recursive: true, force: true });
    }
  });

  it("reports ipmi_sim's own words when it cannot start, and leaves nothing running", async () => {
    // A copy of the fixture in a temporary shared folder, with a line ipmi_sim rejects.
    const shared = await mkdtemp(join(tmpdir(), 'plinth-ipmi-shared-'));
    const fixture = join(shared, 'fixtures', 'ipmi');
    await mkdir(fixture, { recursive: true });
    const original = join(sharedFixturesDir(), 'ipmi');
    await writeFile(
      join(fixture, 'lan.conf'),
      `${await readFile(join(original, 'lan.conf'), 'utf8')}\nbogus_option 1\n`,
    );
    await copyFile(join(original, 'fakebmc.emu'), join(fixture, 'fakebmc.emu'));
    const previous = process.env['PLINTH_SHARED_DIR'];
    process.env['PLINTH_SHARED_DIR'] = shared;
    try {
      const workDir = join(shared, 'bmc');
      await expect(
        startIpmiBmc({
          machine: ipmiTestMachine('broken'),
          host: '127.0.0.1',
          port: 0,
          credentials,
          workDir,
        }),
      ).rejects.toThrow(/ipmi_sim on 127\.0\.0\.1:\d+ exited; it printed: .*Invalid configuration option/s);
      expect(await ipmiSimsUsing(workDir)).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env['PLINTH_SHARED_DIR'];
      else process.env['PLINTH_SHARED_DIR'] = previous;
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('refuses a non-loopback address and bad credentials before starting anything', async () => {
    const machine = ipmiTestMachine('refused');
    const workDir = join(tmpdir(), 'plinth-ipmi-never-created');
    await expect(startIpmiBmc({ machine, host: '10.0.0.5', port: 0, credentials, workDir })).rejects.toThrow(
      /not a loopback IPv4 address/,
    );
    await expect(
      startIpmiBmc({
        machine,
        host: '127.0.0.1',
        port: 0,
        credentials: { username: 'a b', password: 'x' },
        workDir,
      }),
    ).rejects.toThrow(/invalid IPMI BMC credentials/);
  });
});
