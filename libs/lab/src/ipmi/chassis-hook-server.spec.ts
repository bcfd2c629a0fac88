import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerChassisHook, writeChassisHookScript } from './chassis-hook-server';
import type { ChassisHookRegistration } from './chassis-hook-server';

interface HookRun {
  code: number;
  stdout: string;
}

/** Run the generated hook exactly as ipmi_sim does: through sh, with ipmi_sim's environment. */
function runHook(script: string, args: string, env: Record<string, string>): Promise<HookRun> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', `${script} ${args}`], { env: { ...process.env, ...env } }, (error, stdout) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout });
    });
  });
}

describe('chassis_control hook script and its loopback endpoint', () => {
  let dir: string;
  let script: string;
  const calls: string[][] = [];
  let registration: ChassisHookRegistration;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'plinth-ipmi-hook-'));
    script = await writeChassisHookScript(dir);
    registration = await registerChassisHook((args) => {
      calls.push(args);
      if (args[0] === 'get') return { ok: true, output: 'power:1\nboot:pxe' };
      return { ok: false, output: `Invalid parameter: ${args[1] ?? ''}` };
    });
  });

  afterAll(async () => {
    await registration.release();
    await rm(dir, { recursive: true, force: true });
  });

  it("passes ipmi_sim's arguments through, quoted values intact, and prints the answer", async () => {
    const run = await runHook(script, '0x20 get power boot', registration.env);
    expect(run).toEqual({ code: 0, stdout: 'power:1\nboot:pxe\n' });
    await runHook(script, '0x20 set identify "15 0"', registration.env);
    expect(calls).toEqual([
      ['get', 'power', 'boot'],
      ['set', 'identify', '15 0'],
    ]);
  });

  it('exits non-zero with the message when the lab refuses the call', async () => {
    const run = await runHook(script, '0x20 set frob 1', registration.env);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toContain('Invalid parameter: frob');
  });

  it('is refused without the right token and for unknown BMCs', async () => {
    const before = calls.length;
    const wrongToken = await runHook(script, '0x20 get power', {
      ...registration.env,
      PLINTH_IPMI_HOOK_TOKEN: 'x',
    });
    expect(wrongToken.code).not.toBe(0);
    const unknown = await runHook(script, '0x20 get power', {
      ...registration.env,
      PLINTH_IPMI_HOOK_URL: registration.env.PLINTH_IPMI_HOOK_URL.replace(/[^/]+$/, 'no-such-bmc'),
    });
    expect(unknown.code).not.toBe(0);
    expect(calls.length).toBe(before);
  });

  it('shares one endpoint between BMCs and closes it after the last one leaves', async () => {
    const second = await registerChassisHook(() => ({ ok: true, output: 'power:0' }));
    const port = (url: string): string => new URL(url).port;
    expect(port(second.env.PLINTH_IPMI_HOOK_URL)).toBe(port(registration.env.PLINTH_IPMI_HOOK_URL));
    expect(await runHook(script, '0x20 get power', second.env)).toEqual({ code: 0, stdout: 'power:0\n' });
    await second.release();
    expect((await runHook(script, '0x20 get power', registration.env)).code).toBe(0);

    const lonely = await registerChassisHook(() => ({ ok: true, output: 'power:0' }));
    await registration.release();
    await lonely.release();
    // Nothing listens any more: the hook fails as it would with the lab gone.
    expect((await runHook(script, '0x20 get power', lonely.env)).code).not.toBe(0);
    // A new registration starts a new endpoint.
    registration = await registerChassisHook(() => ({ ok: true, output: 'power:1' }));
    expect(await runHook(script, '0x20 get power', registration.env)).toEqual({
      code: 0,
      stdout: 'power:1\n',
    });
  });
});
