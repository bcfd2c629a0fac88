import {
  portConfigProblem,
  samePortConfig,
  SwitchError,
  type PortConfig,
  type PortState,
  type SwitchCapabilities,
  type SwitchDriver,
} from './switch-driver';

/** Changes a role must not repeat, counted so tests can prove idempotency. */
export interface LabSwitchCounters {
  /** Ports whose configuration actually changed. */
  portChanges: number;
  /** Every read or configure request, changed or not. */
  requests: number;
}

/** Faults to inject. */
export interface LabSwitchFaults {
  /** Every request fails with `SwitchUnreachable`. */
  unreachable: boolean;
}

/**
 * A lab switch: ports and their VLAN configuration in memory, with counters and faults, behind the
 * same {@link SwitchDriver} contract a vendor driver implements. Ports start as access ports on
 * VLAN 1, as switches ship.
 */
export class LabSwitch implements SwitchDriver {
  readonly capabilities: SwitchCapabilities;
  readonly counters: LabSwitchCounters = { portChanges: 0, requests: 0 };
  readonly faults: LabSwitchFaults = { unreachable: false };
  private readonly ports = new Map<string, PortState>();

  constructor(
    readonly switchId: string,
    portIds: string[],
    capabilities: Partial<SwitchCapabilities> = {},
  ) {
    this.capabilities = { trunk: true, lacp: true, maxVlanId: 4094, ...capabilities };
    for (const portId of portIds) this.ports.set(portId, { portId, mode: 'access', vlan: 1 });
  }

  getPort(portId: string): Promise<PortState> {
    return Promise.resolve().then(() => structuredClone(this.port(portId)));
  }

  configurePort(portId: string, config: PortConfig): Promise<{ changed: boolean; state: PortState }> {
    return Promise.resolve().then(() => {
      const current = this.port(portId);
      const problem = portConfigProblem(config, this.capabilities);
      if (problem)
        throw new SwitchError(
          'SwitchConfigRejected',
          `Switch ${this.switchId} refused the configuration of ${portId}: ${problem}.`,
          this.switchId,
          portId,
        );
      if (samePortConfig(current, config)) return { changed: false, state: structuredClone(current) };
      const next: PortState = { ...structuredClone(config), portId };
      this.ports.set(portId, next);
      this.counters.portChanges += 1;
      return { changed: true, state: structuredClone(next) };
    });
  }

  private port(portId: string): PortState {
    this.counters.requests += 1;
    if (this.faults.unreachable)
      throw new SwitchError(
        'SwitchUnreachable',
        `Switch ${this.switchId} did not answer.`,
        this.switchId,
        portId,
      );
    const port = this.ports.get(portId);
    if (!port)
      throw new SwitchError(
        'SwitchPortUnknown',
        `Switch ${this.switchId} has no port ${portId}.`,
        this.switchId,
        portId,
      );
    return port;
  }
}
