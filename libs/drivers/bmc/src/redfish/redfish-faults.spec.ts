import { afterEach, describe, expect, it } from 'vitest';
import { RoleError } from '@plinth/contracts';
import type { BmcAccess } from '@plinth/domain';
import { createBmcDriverRegistry, type BmcDriverRegistry } from '../registry';
import { startBmcFront, selfSignedCertificate, type BmcFront } from '../testing/bmc-front';
import { startRedfishLabBmc, TEST_CREDENTIALS_REF, testRegistry, type LabBmc } from '../testing/lab-bmcs';
import type { RedfishExchange } from './redfish-transport';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function labBmc(options: Parameters<typeof startRedfishLabBmc>[0] = {}): Promise<LabBmc> {
  const bmc = await startRedfishLabBmc(options);
  cleanups.push(() => bmc.close());
  return bmc;
}

function observed(bmc: LabBmc, policy: NonNullable<Parameters<typeof testRegistry>[1]>['policy'] = {}) {
  const exchanges: RedfishExchange[] = [];
  const registry = testRegistry(bmc.credentials, {
    policy,
    observers: { onRedfishExchange: (_machine, exchange) => exchanges.push(exchange) },
  });
  cleanups.push(() => registry.close());
  return { exchanges, registry, driver: registry.forMachine({ name: bmc.machine.name, bmc: bmc.access }) };
}

async function failureOf(promise: Promise<unknown>): Promise<RoleError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RoleError);
  return error as RoleError;
}

describe('Redfish driver under BMC faults (lab Redfish BMC)', () => {
  it('rides out a 503 storm: retries, honouring Retry-After, and succeeds once the BMC recovers', async () => {
    const bmc = await labBmc();
    const { exchanges, driver } = observed(bmc, { maxAttempts: 6 });
    bmc.machine.faults.http503Rate = 1;
    let refused = 0;
    const progress: string[] = [];
    const watch = setInterval(() => {
      refused = exchanges.filter((e) => e.status === 503).length;
      if (refused >= 3) bmc.machine.faults.http503Rate = 0;
    }, 5);
    cleanups.push(async () => clearInterval(watch));
    expect(await driver.getPowerState({ onProgress: (p) => progress.push(p.detail) })).toBe('Off');
    expect(exchanges.filter((e) => e.status === 503)).toHaveLength(3);
    // The lab answers `Retry-After: 1`: every wait announced is at least a second.
    const waits = progress.map((detail) => Number(/in (\d+) ms/.exec(detail)?.[1]));
    expect(waits).toHaveLength(3);
    for (const wait of waits) expect(wait).toBeGreaterThanOrEqual(1000);
  });

  it('gives up on a BMC that keeps answering 503 after maxAttempts, as retryable BmcUnreachable', async () => {
    const bmc = await labBmc();
    const { exchanges, driver } = observed(bmc, { maxAttempts: 2 });
    bmc.machine.faults.http503Rate = 1;
    const error = await failureOf(driver.getPowerState());
    expect(error.code).toBe('BmcUnreachable');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('503');
    expect(exchanges.filter((e) => e.status === 503)).toHaveLength(2);
  });

  it('turns a hung BMC into BmcUnreachable within the call bound', async () => {
    const bmc = await labBmc();
    const { exchanges, driver } = observed(bmc, {
      requestTimeoutMs: 300,
      maxAttempts: 3,
      totalTimeoutMs: 2_000,
    });
    bmc.machine.faults.hang = true;
    const started = Date.now();
    const error = await failureOf(driver.getPowerState());
    expect(error.code).toBe('BmcUnreachable');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(exchanges.filter((e) => e.failure?.startsWith('timeout'))).toHaveLength(3);
  });

  it('refuses wrong credentials with BmcAuthFailed after one login, not retried', async () => {
    const bmc = await labBmc();
    const exchanges: RedfishExchange[] = [];
    const registry = testRegistry(
      { username: 'admin', password: 'wrong-password' },
      {
        observers: { onRedfishExchange: (_m, e) => exchanges.push(e) },
      },
    );
    cleanups.push(() => registry.close());
    const error = await failureOf(registry.forMachine({ name: 'm1', bmc: bmc.access }).getPowerState());
    expect(error.code).toBe('BmcAuthFailed');
    // The public service root (to find the system), then one refused login and nothing more.
    expect(exchanges.map((e) => `${e.kind} ${e.method} ${e.path} ${e.status}`)).toEqual([
      'request GET /redfish/v1 200',
      'login POST /redfish/v1/SessionService/Sessions 401',
    ]);
  });

  it('reuses one session for many calls and logs out on close', async () => {
    const bmc = await labBmc();
    const { exchanges, driver, registry } = observed(bmc);
    await Promise.all([
      driver.getPowerState(),
      driver.getBootOverride(),
      driver.readInventory(),
      driver.capabilities(),
    ]);
    await driver.getPowerState();
    expect(exchanges.filter((e) => e.kind === 'login')).toHaveLength(1);
    expect(registry.forMachine({ name: bmc.machine.name, bmc: bmc.access })).toBe(driver);
    await registry.close();
    expect(exchanges.filter((e) => e.kind === 'logout').map((e) => e.status)).toEqual([204]);
  });

  it('logs in again when the BMC reboots mid-session, also while it is still down', async () => {
    const bmc = await labBmc();
    const { exchanges, driver } = observed(bmc, { maxAttempts: 20, maxBackoffMs: 100 });
    expect(await driver.getPowerState()).toBe('Off');
    // After the reboot: the old token is unknown (401) and one fresh login recovers.
    await bmc.rebootBmc?.();
    expect(await driver.getPowerState()).toBe('Off');
    expect(exchanges.filter((e) => e.kind === 'login')).toHaveLength(2);
    expect(exchanges.filter((e) => e.status === 401)).toHaveLength(1);
    // During the reboot: refused connections are retried until the BMC answers, then re-login.
    const rebooting = bmc.rebootBmc?.();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await driver.getPowerState()).toBe('Off');
    await rebooting;
    expect(exchanges.some((e) => e.failure === 'ECONNREFUSED')).toBe(true);
    expect(exchanges.filter((e) => e.kind === 'login')).toHaveLength(3);
  });

  it('re-reads and retries a PATCH when the system changed under it (412 on If-Match)', async () => {
    const bmc = await labBmc();
    const { machine } = bmc;
    const exchanges: RedfishExchange[] = [];
    let interfered = false;
    const registry = testRegistry(bmc.credentials, {
      observers: {
        onRedfishExchange: (_machine, exchange) => {
          exchanges.push(exchange);
          // Someone else changes the boot override between our read of the system and our write.
          if (!interfered && exchange.method === 'GET' && exchange.path === '/redfish/v1/Systems/1') {
            interfered = true;
            machine.setBootOverride({ enabled: 'Continuous', target: 'Hdd' });
          }
        },
      },
    });
    cleanups.push(() => registry.close());
    const driver = registry.forMachine({ name: machine.name, bmc: bmc.access });
    expect(await driver.setBootOverride({ enabled: 'Once', target: 'Pxe' })).toEqual({ changed: true });
    expect(machine.bootOverride).toEqual({ enabled: 'Once', target: 'Pxe' });
    expect(exchanges.filter((e) => e.method === 'PATCH').map((e) => e.status)).toEqual([412, 200]);
  });

  it('falls back to Basic authentication when the BMC has no session service', async () => {
    const bmc = await labBmc();
    const front = await startBmcFront({
      upstream: `http://${bmc.access.address.slice('redfish+http://'.length)}`,
      answer: (method, path) =>
        method === 'POST' && path.startsWith('/redfish/v1/SessionService/Sessions')
          ? { status: 405 }
          : undefined,
    });
    cleanups.push(() => front.close());
    const exchanges: RedfishExchange[] = [];
    const registry = testRegistry(bmc.credentials, {
      observers: { onRedfishExchange: (_m, e) => exchanges.push(e) },
    });
    cleanups.push(() => registry.close());
    const driver = registry.forMachine({
      name: 'basic-only',
      bmc: { address: `redfish+http://127.0.0.1:${front.port}`, credentialsRef: TEST_CREDENTIALS_REF },
    });
    expect((await driver.readInventory()).inventory.serial).toBe(bmc.machine.hardware.serial);
    expect((await driver.capabilities()).sessions).toBe(false);
    expect(exchanges.filter((e) => e.kind === 'login').map((e) => e.status)).toEqual([405]);
    expect(exchanges.filter((e) => e.status === 401)).toEqual([]);
  });
});

describe('Redfish driver TLS per machine', () => {
  async function httpsBmc(): Promise<{ bmc: LabBmc; front: BmcFront; cert: string }> {
    const bmc = await labBmc();
    const tls = await selfSignedCertificate();
    const front = await startBmcFront({
      upstream: `http://${bmc.access.address.slice('redfish+http://'.length)}`,
      tls,
    });
    cleanups.push(() => front.close());
    return { bmc, front, cert: tls.cert };
  }

  function registryFor(bmc: LabBmc, caBundles?: Record<string, string>): BmcDriverRegistry {
    const registry = createBmcDriverRegistry({
      credentials: async () => bmc.credentials,
      ...(caBundles
        ? {
            caBundles: async (ref: string) => {
              const pem = caBundles[ref];
              if (!pem) throw new Error(`no CA bundle ${ref}`);
              return pem;
            },
          }
        : {}),
      policy: { maxAttempts: 3, initialBackoffMs: 10 },
    });
    cleanups.push(() => registry.close());
    return registry;
  }

  it("verifies the BMC certificate against the machine's CA bundle", async () => {
    const { bmc, front, cert } = await httpsBmc();
    const access: BmcAccess = {
      address: `redfish+https://127.0.0.1:${front.port}`,
      credentialsRef: TEST_CREDENTIALS_REF,
      caBundleRef: 'secret/bmc-ca',
    };
    const driver = registryFor(bmc, { 'secret/bmc-ca': cert }).forMachine({ name: 'tls-ca', bmc: access });
    expect(await driver.getPowerState()).toBe('Off');
  });

  it('refuses an unverifiable certificate with BmcCertificateUntrusted, unless insecureTls is explicit', async () => {
    const { bmc, front } = await httpsBmc();
    const address = `redfish://127.0.0.1:${front.port}`;
    const registry = registryFor(bmc);
    const error = await failureOf(
      registry
        .forMachine({ name: 'tls-strict', bmc: { address, credentialsRef: TEST_CREDENTIALS_REF } })
        .getPowerState(),
    );
    expect(error.code).toBe('BmcCertificateUntrusted');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('insecureTls');
    const insecure = registry.forMachine({
      name: 'tls-insecure',
      bmc: { address, credentialsRef: TEST_CREDENTIALS_REF, insecureTls: true },
    });
    expect(await insecure.getPowerState()).toBe('Off');
  });

  it('speaks plain HTTP only for redfish+http:// addresses', async () => {
    const { bmc, front } = await httpsBmc();
    // An https:// BMC reached as redfish+http:// does not answer HTTP: no silent downgrade either way.
    const registry = registryFor(bmc);
    const error = await failureOf(
      registry
        .forMachine({
          name: 'plain',
          bmc: { address: `redfish+http://127.0.0.1:${front.port}`, credentialsRef: TEST_CREDENTIALS_REF },
        })
        .getPowerState({ policy: { maxAttempts: 1, requestTimeoutMs: 1_000 } }),
    );
    expect(error.code).toBe('BmcUnreachable');
  });
});
