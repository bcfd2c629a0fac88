import { describe, expect, it } from 'vitest';
import { RoleError } from '@plinth/contracts';
import type { BmcDriver } from './bmc-driver';
import { credentialsFromSecrets, parseCredentialsSecret } from './credentials';
import { IpmiBmcDriver } from './ipmi/ipmi-driver';
import { RedfishBmcDriver } from './redfish/redfish-driver';
import { createBmcDriverRegistry } from './registry';

const credentials = async () => ({ username: 'u', password: 'p' });

describe('BMC driver registry', () => {
  it('chooses the driver by address scheme', async () => {
    const registry = createBmcDriverRegistry({ credentials });
    const of = (address: string): BmcDriver =>
      registry.forMachine({ name: 'm', bmc: { address, credentialsRef: 'secret/x' } });
    expect(of('redfish://10.0.0.1')).toBeInstanceOf(RedfishBmcDriver);
    expect(of('redfish+https://10.0.0.1:8443/redfish/v1/Systems/1')).toBeInstanceOf(RedfishBmcDriver);
    expect(of('redfish+http://127.0.0.1:8000')).toBeInstanceOf(RedfishBmcDriver);
    expect(of('ipmi://10.0.0.2')).toBeInstanceOf(IpmiBmcDriver);
    expect(of('ipmi://10.0.0.2').protocol).toBe('ipmi');
    await registry.close();
  });

  it('refuses an unusable address with BmcUnsupported naming the machine', () => {
    const registry = createBmcDriverRegistry({ credentials });
    const error = (() => {
      try {
        registry.forMachine({
          name: 'r1-cp-01',
          bmc: { address: 'idrac://10.0.0.1', credentialsRef: 'secret/x' },
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RoleError);
    expect((error as RoleError).code).toBe('BmcUnsupported');
    expect((error as RoleError).message).toContain('r1-cp-01');
    expect((error as RoleError).message).toContain('idrac');
  });

  it('reuses a driver per machine and access, and builds a new one when the access changes', async () => {
    const registry = createBmcDriverRegistry({ credentials, maxCachedDrivers: 2 });
    const access = { address: 'redfish://10.0.0.1', credentialsRef: 'secret/x' };
    const first = registry.forMachine({ name: 'a', bmc: access });
    expect(registry.forMachine({ name: 'a', bmc: { ...access } })).toBe(first);
    expect(registry.forMachine({ name: 'a', bmc: { ...access, insecureTls: true } })).not.toBe(first);
    registry.forMachine({ name: 'b', bmc: access });
    // Beyond two cached drivers the least recently used one was closed and is rebuilt on demand.
    expect(registry.forMachine({ name: 'a', bmc: access })).not.toBe(first);
    await registry.close();
  });

  it('reads credentials secrets as username:password and names only the reference on failure', async () => {
    expect(parseCredentialsSecret('secret/a', 'admin:pa:ss')).toEqual({
      username: 'admin',
      password: 'pa:ss',
    });
    expect(() => parseCredentialsSecret('secret/a', 'no-colon-here')).toThrow(/secret\/a/);
    const resolve = credentialsFromSecrets(async (ref) => {
      throw new Error(`Secret ${ref} does not exist.`);
    });
    const error = await resolve('secret/missing').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as RoleError).code).toBe('SecretMissing');
    expect((error as RoleError).message).toContain('secret/missing');
  });
});
