import { describe, expect, it } from 'vitest';
import { assertIpmiCredentials, readFixtureLanConfig, renderLanConfig } from './lan-config';

const values = {
  lanHost: '127.0.0.1',
  lanPort: 40623,
  chassisControlPath: '/tmp/bmc-1/chassis-control-hook.sh',
  credentials: { username: 'root', password: 'calvin' },
  machineName: 'node-1',
};

describe('renderLanConfig (from ../shared/fixtures/ipmi/lan.conf)', () => {
  it("substitutes the BMC's address, hook, credentials and GUID into the fixture", async () => {
    const config = renderLanConfig(await readFixtureLanConfig(), values);
    expect(config).toMatch(/^\s*addr 127\.0\.0\.1 40623$/m);
    expect(config).toContain('chassis_control "/tmp/bmc-1/chassis-control-hook.sh 0x20"');
    expect(config).toMatch(/^\s*user 2 true\s+"root" "calvin"\s+admin /m);
    expect(config).not.toContain('@CHASSISCTL@');
    expect(config).not.toContain('"password"');
    expect(config).not.toMatch(/^\s*(addr|console)\b.*9623/m);
    // The anonymous user is disabled and the debug console gone.
    expect(config).toMatch(/^\s*user 1 false /m);
    expect(config).not.toMatch(/^\s*console\s/m);
    // The rest of the fixture is kept as it is.
    expect(config).toContain('priv_limit admin');
    expect(config).toContain('startlan 1');
  });

  it('gives each machine its own stable GUID', async () => {
    const fixture = await readFixtureLanConfig();
    const guidOf = (text: string): string | undefined => /^\s*guid ([0-9a-f]{32})$/m.exec(text)?.[1];
    const first = guidOf(renderLanConfig(fixture, values));
    expect(first).toBeDefined();
    expect(guidOf(renderLanConfig(fixture, values))).toBe(first);
    expect(guidOf(renderLanConfig(fixture, { ...values, machineName: 'node-2' }))).not.toBe(first);
  });

  it('refuses a fixture that lost a line it relies on', () => {
    expect(() => renderLanConfig('name "x"\n', values)).toThrow(/no line matching/);
  });

  it('refuses a hook path sh would split', async () => {
    const fixture = await readFixtureLanConfig();
    expect(() => renderLanConfig(fixture, { ...values, chassisControlPath: '/tmp/my bmc/hook.sh' })).toThrow(
      /must not contain spaces/,
    );
  });
});

describe('assertIpmiCredentials', () => {
  it('accepts what ipmi_sim can hold and explains what it cannot', () => {
    expect(() => assertIpmiCredentials({ username: 'admin', password: 'p@ss-w0rd!#%' })).not.toThrow();
    expect(() => assertIpmiCredentials({ username: '', password: 'x' })).toThrow(/1 to 16 characters/);
    expect(() => assertIpmiCredentials({ username: 'a'.repeat(17), password: 'x' })).toThrow(/1 to 16/);
    expect(() => assertIpmiCredentials({ username: 'admin', password: 'x'.repeat(20) })).toThrow(/1 to 19/);
    expect(() => assertIpmiCredentials({ username: 'admin', password: 'a"b' })).toThrow(
      /without spaces, quotes/,
    );
    expect(() => assertIpmiCredentials({ username: 'admin', password: '$HOME' })).toThrow(/"\$"/);
    expect(() => assertIpmiCredentials({ username: 'ad min', password: 'x' })).toThrow(/user name/);
  });
});
