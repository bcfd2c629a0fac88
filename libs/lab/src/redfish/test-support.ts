/**
 * Helpers for the Redfish contract tests (not exported from the package): a BMC on loopback for a
 * fresh machine, and a small client that speaks to it with real HTTP requests.
 */
import { afterEach } from 'vitest';
import { createHardware, type HardwareProfile } from '../hardware/hardware-profiles';
import { LabMachine, type LabHardware, type LabTimings } from '../machine/lab-machine';
import type { JsonObject } from './json';
import {
  startRedfishBmc,
  type RedfishBmc,
  type RedfishBmcOptions,
  type RedfishShapeSpec,
} from './redfish-bmc';

export const CREDENTIALS = { username: 'admin', password: 'lab-secret' };
export const BASIC = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}`;

export interface TestBmc {
  bmc: RedfishBmc;
  machine: LabMachine;
  /** A request with Basic credentials unless `headers` says otherwise; JSON bodies are serialised. */
  request(
    method: string,
    path: string,
    init?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  /** GET with Basic credentials, expecting 200, returning the JSON document. */
  getJson(path: string): Promise<JsonObject>;
}

const started: RedfishBmc[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((bmc) => bmc.close()));
});

export async function startTestBmc(
  options: {
    profile?: HardwareProfile;
    hardware?: LabHardware;
    timings?: Partial<LabTimings>;
    shape?: RedfishShapeSpec;
    bmc?: Partial<RedfishBmcOptions>;
  } = {},
): Promise<TestBmc> {
  const machine = new LabMachine({
    name: 'lab-test-01',
    hardware: options.hardware ?? createHardware(options.profile ?? 'storage-2u', 7),
    timings: { powerMs: 30, postMs: 5, volumeTaskMs: 60, ...options.timings },
  });
  const bmc = await startRedfishBmc({
    machine,
    credentials: CREDENTIALS,
    ...(options.shape ? { shape: options.shape } : {}),
    ...options.bmc,
  });
  started.push(bmc);
  const request: TestBmc['request'] = (method, path, init = {}) => {
    const headers: Record<string, string> = { Authorization: BASIC, ...init.headers };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(`${bmc.url}${path}`, {
      method,
      headers,
      ...(init.body !== undefined
        ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }
        : {}),
      signal: AbortSignal.timeout(5_000),
    });
  };
  return {
    bmc,
    machine,
    request,
    async getJson(path) {
      const response = await request('GET', path);
      if (response.status !== 200)
        throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as JsonObject;
    },
  };
}

/** Polls `probe` until it returns a value other than undefined, failing after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The Redfish error body's first MessageId. */
export function messageIdOf(body: unknown): string | undefined {
  const error = (body as { error?: { code?: string } }).error;
  return error?.code;
}
