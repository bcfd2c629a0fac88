/**
 * The switch side of host networking: what VLANs a machine's switch ports carry, and which ports
 * form a link aggregation group for an 802.3ad bond.
 */

/** Untagged traffic on one VLAN. */
export interface AccessPortConfig {
  mode: 'access';
  /** 1–4094. */
  vlan: number;
}

/** Tagged traffic for a set of VLANs, plus an optional untagged (native) VLAN. */
export interface TrunkPortConfig {
  mode: 'trunk';
  /** Tagged VLANs, 1–4094; order does not matter. */
  allowedVlans: number[];
  /** VLAN for untagged frames; none means untagged frames are dropped. */
  nativeVlan?: number;
}

/** The desired configuration of one port. */
export type PortConfig = (AccessPortConfig | TrunkPortConfig) & {
  /** Link aggregation group the port belongs to; `lacp: true` for 802.3ad, false for a static group. */
  lag?: { name: string; lacp: boolean };
  /** Free text shown on the switch (`description`), e.g. the machine and NIC. */
  description?: string;
};

/** A port as the switch reports it. */
export type PortState = PortConfig & { portId: string };

export type SwitchErrorCode =
  /** The switch did not answer. Retryable. */
  | 'SwitchUnreachable'
  /** The port does not exist on this switch. Not retryable. */
  | 'SwitchPortUnknown'
  /** The switch refused the configuration (bad VLAN id, unsupported mode). Not retryable. */
  | 'SwitchConfigRejected';

/** A switch operation failed; `retryable` tells whether trying again can help. */
export class SwitchError extends Error {
  override readonly name = 'SwitchError';
  constructor(
    readonly code: SwitchErrorCode,
    message: string,
    readonly switchId: string,
    readonly portId?: string,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.code === 'SwitchUnreachable';
  }
}

/** What a switch can do, so roles check capabilities instead of vendors. */
export interface SwitchCapabilities {
  trunk: boolean;
  /** Link aggregation with LACP (802.3ad). */
  lacp: boolean;
  /** Largest VLAN id accepted (4094 on 802.1Q switches). */
  maxVlanId: number;
}

/**
 * One switch. Ports are identified as the switch names them (`Ethernet1/12`, `swp12`).
 *
 * `configurePort` is idempotent: it compares the port with the desired configuration and changes
 * it only when they differ, returning `changed: false` otherwise (may be called again after a
 * crash at any point; "done" means the port reports exactly the desired configuration).
 * Errors are {@link SwitchError}s.
 */
export interface SwitchDriver {
  readonly switchId: string;
  readonly capabilities: SwitchCapabilities;
  getPort(portId: string): Promise<PortState>;
  configurePort(portId: string, config: PortConfig): Promise<{ changed: boolean; state: PortState }>;
}

/** Drivers by switch id; a machine's NIC-to-port map names the switch. */
export interface SwitchDriverRegistry {
  get(switchId: string): SwitchDriver;
}

/** A registry over a fixed set of drivers; an unknown switch id fails with `SwitchPortUnknown` naming it. */
export function createSwitchRegistry(drivers: SwitchDriver[]): SwitchDriverRegistry {
  const byId = new Map(drivers.map((driver) => [driver.switchId, driver]));
  return {
    get(switchId) {
      const driver = byId.get(switchId);
      if (!driver) {
        throw new SwitchError(
          'SwitchPortUnknown',
          `No switch ${switchId} is configured; known: ${[...byId.keys()].join(', ') || 'none'}.`,
          switchId,
        );
      }
      return driver;
    },
  };
}

/** Checks a configuration against the 802.1Q rules and the switch's capabilities; returns the problem or undefined. */
export function portConfigProblem(config: PortConfig, capabilities: SwitchCapabilities): string | undefined {
  const badVlan = (id: number): boolean => !Number.isInteger(id) || id < 1 || id > capabilities.maxVlanId;
  if (config.mode === 'access')
    return badVlan(config.vlan) ? `VLAN ${config.vlan} is outside 1-${capabilities.maxVlanId}` : undefined;
  if (!capabilities.trunk) return 'this switch does not support trunk ports';
  const invalid = [
    ...config.allowedVlans,
    ...(config.nativeVlan === undefined ? [] : [config.nativeVlan]),
  ].filter(badVlan);
  if (invalid.length > 0) return `VLAN ${invalid.join(', ')} outside 1-${capabilities.maxVlanId}`;
  if (config.allowedVlans.length === 0 && config.nativeVlan === undefined)
    return 'a trunk needs at least one VLAN';
  if (config.lag?.lacp && !capabilities.lacp) return 'this switch does not support LACP';
  return undefined;
}

/** Configurations compared as the switch applies them (VLAN order and duplicates do not matter). */
export function samePortConfig(a: PortConfig, b: PortConfig): boolean {
  const canonical = (config: PortConfig): string =>
    JSON.stringify({
      mode: config.mode,
      vlan: config.mode === 'access' ? config.vlan : undefined,
      allowed: config.mode === 'trunk' ? [...new Set(config.allowedVlans)].sort((x, y) => x - y) : undefined,
      native: config.mode === 'trunk' ? config.nativeVlan : undefined,
      lag: config.lag ? { name: config.lag.name, lacp: config.lag.lacp } : undefined,
      description: config.description ?? '',
    });
  return canonical(a) === canonical(b);
}
