/**
 * Test support (not exported from the package): lab machines behind real protocol endpoints — a
 * Redfish BMC (profile or DMTF-mockup shape) or Debian's ipmi_sim — and drivers built for them by
 * the registry, exactly as the worker builds them. The lab is a test-only dependency of this driver,
 * hence the boundary exceptions below.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- tests run the driver against the lab
import {
  createHardware,
  generateLabCredentials,
  hardwareFromMockup,
  LabMachine,
  startIpmiBmc,
  startRedfishBmc,
  type BootHandler,
  type HardwareProfile,
  type LabHardware,
  type LabTimings,
  type MockupName,
} from '@plinth/lab';
import type { BmcAccess } from '@plinth/domain';
import type { BmcCallPolicy } from '../call-policy';
import type { BmcCredentials } from '../credentials';
import { createBmcDriverRegistry, type BmcDriverRegistry, type BmcObservers } from '../registry';

/** Short but non-zero lab timings: ordering still matters, tests stay fast. */
export const FAST_TIMINGS: Partial<LabTimings> = { powerMs: 10, postMs: 10, volumeTaskMs: 40 };

/** A policy for tests: quick polls, small bounds, so faults end in seconds. */
export const TEST_POLICY: Partial<BmcCallPolicy> = {
  requestTimeoutMs: 3_000,
  maxAttempts: 4,
  totalTimeoutMs: 15_000,
  initialBackoffMs: 20,
  maxBackoffMs: 200,
  taskPollIntervalMs: 25,
  taskTimeoutMs: 10_000,
};

/** The secret reference the test drivers resolve; the resolver answers only this one. */
export const TEST_CREDENTIALS_REF = 'secret/lab-bmc';

export interface LabBmc {
  kind: 'redfish-profile' | 'redfish-mockup' | 'ipmi';
  machine: LabMachine;
  /** As an inventory names it. */
  access: BmcAccess;
  credentials: BmcCredentials;
  /** Redfish only: reboots the BMC (sessions lost, briefly refusing connections). */
  rebootBmc?: () => Promise<void>;
  close(): Promise<void>;
}

/** A machine whose BMC is a Redfish service on loopback (plain HTTP, as the lab serves it). */
export async function startRedfishLabBmc(
  options: {
    profile?: HardwareProfile;
    mockup?: MockupName;
    hardware?: LabHardware;
    index?: number;
    timings?: Partial<LabTimings>;
    bootHandler?: BootHandler;
    name?: string;
  } = {},
): Promise<LabBmc> {
  const credentials = generateLabCredentials();
  const hardware =
    options.hardware ??
    (options.mockup
      ? hardwareFromMockup(options.mockup)
      : createHardware(options.profile ?? 'storage-2u', options.index ?? 7));
  const machine = new LabMachine({
    name: options.name ?? 'lab-bmc-test',
    hardware,
    timings: { ...FAST_TIMINGS, ...options.timings },
    ...(options.bootHandler ? { bootHandler: options.bootHandler } : {}),
  });
  const bmc = await startRedfishBmc({
    machine,
    credentials,
    rebootDowntimeMs: 300,
    ...(options.mockup ? { shape: { kind: 'mockup' as const, name: options.mockup } } : {}),
  });
  return {
    kind: options.mockup ? 'redfish-mockup' : 'redfish-profile',
    machine,
    access: { address: `redfish+http://${bmc.host}:${bmc.port}`, credentialsRef: TEST_CREDENTIALS_REF },
    credentials,
    rebootBmc: () => bmc.rebootBmc(),
    close: async () => {
      await bmc.close();
      if (machine.power === 'On') await machine.reset('ForceOff');
    },
  };
}

/** A machine whose BMC is Debian's ipmi_sim behind the lab's relay. */
export async function startIpmiLabBmc(
  options: { hardware?: LabHardware; timings?: Partial<LabTimings>; name?: string } = {},
): Promise<LabBmc> {
  const credentials = generateLabCredentials();
  const machine = new LabMachine({
    name: options.name ?? 'lab-ipmi-test',
    hardware: options.hardware ?? createHardware('control-1u', 11),
    timings: { ...FAST_TIMINGS, ...options.timings },
  });
  const workDir = await mkdtemp(join(tmpdir(), 'plinth-bmc-driver-ipmi-'));
  try {
    const bmc = await startIpmiBmc({ machine, host: '127.0.0.1', port: 0, credentials, workDir });
    return {
      kind: 'ipmi',
      machine,
      access: { address: bmc.address, credentialsRef: TEST_CREDENTIALS_REF },
      credentials,
      close: async () => {
        await bmc.close();
        if (machine.power === 'On') await machine.reset('ForceOff');
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A registry whose credential resolver answers {@link TEST_CREDENTIALS_REF} with `credentials`, the
 * way `credentialsFromSecrets` answers from the secret store.
 */
export function testRegistry(
  credentials: BmcCredentials,
  options: { policy?: Partial<BmcCallPolicy>; observers?: BmcObservers } = {},
): BmcDriverRegistry {
  return createBmcDriverRegistry({
    credentials: async (ref) => {
      if (ref !== TEST_CREDENTIALS_REF) throw new Error(`unexpected credentials reference ${ref}`);
      return credentials;
    },
    policy: { ...TEST_POLICY, ...options.policy },
    ...(options.observers ? { observers: options.observers } : {}),
  });
}

/** Polls `probe` until it returns true; fails after `timeoutMs`. */
export async function eventually(probe: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
