import { parseBmcAddress, type BmcAccess, type BmcEndpoint, type BmcScheme } from '@plinth/domain';
import type { BmcDriver } from './bmc-driver';
import { bmcError, bmcUnsupported, type BmcSubject } from './bmc-errors';
import { DEFAULT_BMC_CALL_POLICY, resolvePolicy, type BmcCallPolicy } from './call-policy';
import type { BmcCaBundleResolver, BmcCredentialResolver } from './credentials';
import { IpmiBmcDriver, type IpmiDriverOptions } from './ipmi/ipmi-driver';
import { RedfishBmcDriver } from './redfish/redfish-driver';
import { RedfishTransport, type RedfishExchange } from './redfish/redfish-transport';

/** The machine a driver is for: its name (for messages) and how to reach its BMC. */
export interface BmcMachine {
  name: string;
  bmc: BmcAccess;
}

/** What a driver factory gets: the parsed address and everything resolved by reference at use time. */
export interface BmcDriverContext {
  machine: BmcMachine;
  endpoint: BmcEndpoint;
  subject: BmcSubject;
  credentials: BmcCredentialResolver;
  caBundles: BmcCaBundleResolver | undefined;
  policy: BmcCallPolicy;
  observers: BmcObservers;
}

/** Builds a driver for one address scheme. */
export type BmcDriverFactory = (context: BmcDriverContext) => BmcDriver;

/** Hooks for metrics, debug logs and tests; they see no secrets and must not throw. */
export interface BmcObservers {
  /** Every Redfish HTTP exchange. */
  onRedfishExchange?: (machine: string, exchange: RedfishExchange) => void;
  /** Every ipmitool run. */
  onIpmitoolRun?: (machine: string, run: Parameters<NonNullable<IpmiDriverOptions['onRun']>>[0]) => void;
}

/** Options of {@link createBmcDriverRegistry}. */
export interface BmcDriverRegistryOptions {
  /** Resolves `bmc.credentialsRef` at login time (see `credentialsFromSecrets`). */
  credentials: BmcCredentialResolver;
  /** Resolves `bmc.caBundleRef`; required only for machines that name one. */
  caBundles?: BmcCaBundleResolver;
  /** Defaults for every call of every driver; call sites override them per call. */
  policy?: Partial<BmcCallPolicy>;
  /** The ipmitool program (default `ipmitool` on PATH). */
  ipmitoolCommand?: string;
  /** Drivers kept for reuse (sessions, sockets); the least recently used is closed beyond it. Default 2,000. */
  maxCachedDrivers?: number;
  /** Replaces or adds factories per scheme (e.g. a scriptable fake in workflow tests). */
  factories?: Partial<Record<BmcScheme, BmcDriverFactory>>;
  observers?: BmcObservers;
}

/**
 * Chooses and caches BMC drivers. Drivers are keyed by machine, address, credentials reference and
 * TLS settings, so a changed inventory entry gets a fresh driver while repeated activities of one
 * machine reuse its Redfish session and sockets.
 */
export interface BmcDriverRegistry {
  /**
   * The driver for a machine's BMC, by address scheme: `redfish://` and `redfish+https://`
   * (Redfish over verified HTTPS), `redfish+http://` (plain HTTP: labs only), `ipmi://`.
   * Synchronous and cheap: nothing is contacted until the first call.
   * @throws RoleError BmcUnsupported for an address that does not parse or a scheme with no driver.
   */
  forMachine(machine: BmcMachine): BmcDriver;
  /** Closes every cached driver (logs out Redfish sessions). */
  close(): Promise<void>;
}

const IPMI_DEFAULT_PORT = 623;

/** The factories Plinth ships, keyed by scheme. */
export const DEFAULT_BMC_FACTORIES: Record<BmcScheme, BmcDriverFactory> = {
  redfish: redfishFactory,
  'redfish+https': redfishFactory,
  'redfish+http': redfishFactory,
  ipmi: (context) => ipmiFactory(context, undefined),
};

export function createBmcDriverRegistry(options: BmcDriverRegistryOptions): BmcDriverRegistry {
  const policy = resolvePolicy(DEFAULT_BMC_CALL_POLICY, options.policy);
  const factories: Record<BmcScheme, BmcDriverFactory> = {
    ...DEFAULT_BMC_FACTORIES,
    ipmi: (context) => ipmiFactory(context, options.ipmitoolCommand),
    ...options.factories,
  };
  const maxCached = Math.max(1, options.maxCachedDrivers ?? 2_000);
  const cache = new Map<string, BmcDriver>();
  const closing = new Set<Promise<void>>();

  const closeQuietly = (driver: BmcDriver): void => {
    const done = driver.close().catch(() => undefined);
    closing.add(done);
    void done.finally(() => closing.delete(done));
  };

  return {
    forMachine(machine) {
      const { bmc } = machine;
      const key = JSON.stringify([
        machine.name,
        bmc.address,
        bmc.credentialsRef,
        bmc.insecureTls ?? false,
        bmc.caBundleRef ?? '',
      ]);
      const cached = cache.get(key);
      if (cached) {
        cache.delete(key);
        cache.set(key, cached);
        return cached;
      }
      const subject: BmcSubject = { machine: machine.name, address: bmc.address };
      const endpoint = parseBmcAddress(bmc.address);
      if (typeof endpoint === 'string') {
        throw bmcUnsupported(
          subject,
          `has an address Plinth cannot use: ${endpoint}. Correct bmc.address in the inventory.`,
        );
      }
      const factory = factories[endpoint.scheme];
      const driver = factory({
        machine,
        endpoint,
        subject,
        credentials: options.credentials,
        caBundles: options.caBundles,
        policy,
        observers: options.observers ?? {},
      });
      cache.set(key, driver);
      if (cache.size > maxCached) {
        const [oldestKey, oldest] = cache.entries().next().value as [string, BmcDriver];
        cache.delete(oldestKey);
        closeQuietly(oldest);
      }
      return driver;
    },
    async close() {
      const drivers = [...cache.values()];
      cache.clear();
      await Promise.all([...drivers.map((driver) => driver.close().catch(() => undefined)), ...closing]);
    },
  };
}

function redfishFactory(context: BmcDriverContext): BmcDriver {
  const { endpoint, machine, subject } = context;
  const secure = endpoint.transport === 'https';
  const ref = machine.bmc.credentialsRef;
  const caRef = machine.bmc.caBundleRef;
  const { caBundles } = context;
  const caBundle =
    secure && caRef !== undefined
      ? async (): Promise<string> => {
          if (!caBundles) {
            throw bmcError(
              'BmcCertificateUntrusted',
              subject,
              `BMC of ${machine.name} names CA bundle ${caRef}, but this worker has no CA bundle resolver configured.`,
            );
          }
          return caBundles(caRef);
        }
      : undefined;
  const transport = new RedfishTransport({
    subject,
    protocol: secure ? 'https:' : 'http:',
    host: endpoint.host,
    port: endpoint.port ?? (secure ? 443 : 80),
    tls: { insecure: machine.bmc.insecureTls ?? false, ...(caBundle ? { caBundle } : {}) },
    credentialsRef: ref,
    credentials: () => context.credentials(ref),
    ...(context.observers.onRedfishExchange
      ? {
          onExchange: (exchange: RedfishExchange) =>
            context.observers.onRedfishExchange?.(machine.name, exchange),
        }
      : {}),
  });
  return new RedfishBmcDriver({
    subject,
    transport,
    systemPath:
      endpoint.path && /^\/redfish\/v1\/Systems\/[^/]+\/?$/.test(endpoint.path)
        ? endpoint.path.replace(/\/$/, '')
        : undefined,
    policy: context.policy,
  });
}

function ipmiFactory(context: BmcDriverContext, command: string | undefined): BmcDriver {
  const { endpoint, machine, subject } = context;
  const ref = machine.bmc.credentialsRef;
  return new IpmiBmcDriver({
    subject,
    target: {
      host: endpoint.host,
      port: endpoint.port ?? IPMI_DEFAULT_PORT,
      ...(command ? { command } : {}),
    },
    credentialsRef: ref,
    credentials: () => context.credentials(ref),
    policy: context.policy,
    ...(context.observers.onIpmitoolRun
      ? { onRun: (run) => context.observers.onIpmitoolRun?.(machine.name, run) }
      : {}),
  });
}
