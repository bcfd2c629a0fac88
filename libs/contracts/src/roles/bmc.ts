/**
 * The BMC steps of provision-os (one-time PXE boot, power cycle, power state) as activities.
 * Inputs name the machine only: the activity reads its BMC address and credentials reference from
 * the inventory and resolves the secret itself, so no secret and no address ever enters history.
 */
import type { PowerState } from '@plinth/domain';

/** The machine a role works on, by id and name (both from the run's plan). */
export interface MachineRef {
  /** `machines.id`. */
  machineId: string;
  /** The machine's inventory name (unique). */
  machineName: string;
}

/** The boot source override as the BMC reports it. */
export interface BootOverrideState {
  enabled: 'Disabled' | 'Once' | 'Continuous';
  target: 'None' | 'Pxe' | 'Hdd';
}

/** What {@link PowerActivities.readPowerState} reports. */
export interface MachinePowerStatus {
  powerState: PowerState;
  bootOverride: BootOverrideState;
}

/** What {@link PowerActivities.powerCycle} did. */
export interface PowerCycleResult {
  /**
   * - `powered-on`: the machine was off and was powered on;
   * - `power-cycled`: it was on with the PXE override pending, and was restarted;
   * - `already-booted`: it was on and the override had already been consumed by a boot (a retry
   *   after that boot): nothing was sent;
   * - `resumed`: an earlier attempt of this activity had requested the restart; it was not sent again.
   */
  action: 'powered-on' | 'power-cycled' | 'already-booted' | 'resumed';
  /** Power state when the activity finished. */
  powerState: PowerState;
  /**
   * True when a one-time PXE override was still pending as the activity returned: the machine is on
   * but the BMC never showed firmware taking it within the wait (some BMCs never clear it). False
   * when it was consumed, or when none was set.
   */
  pxeOverridePending: boolean;
}

/** Heartbeat details of `powerCycle`: how a retried attempt learns that a reset was already requested. */
export interface PowerCycleProgress {
  /** The power request the attempt sent (or was about to send). */
  requested?: 'On' | 'ForceRestart';
  /** What the activity is doing, for operators. */
  stage: string;
}

/**
 * Power and boot control for provision-os. Failures are `ApplicationFailure`s whose type is a
 * role error code: `BmcUnreachable` (retryable), `BmcAuthFailed`, `BmcCertificateUntrusted`,
 * `BmcUnsupported`, `MachineNotFound`, `SecretMissing` (not retryable).
 */
export interface PowerActivities {
  /**
   * Sets a one-time PXE boot override (`Once`/`Pxe`). Idempotent: when the BMC already has it,
   * nothing is written (`changed: false`, the lab's `bootOverrides` counter does not move).
   */
  setOneTimePxeBoot(input: MachineRef): Promise<{ changed: boolean }>;
  /**
   * Starts the machine into the pending override: powers it on when off; restarts it when on with
   * the override still pending; does nothing when it is on and the override was already consumed
   * (a retry after the boot started). Records the request in its heartbeat before sending it, so a
   * retried attempt after a worker crash does not restart a machine that is already netbooting.
   * Waits (heartbeating) until the power is on and the override consumed, within its bound.
   *
   * Not guaranteed: a crash after the request reached the BMC but before the heartbeat was
   * delivered (Temporal throttles heartbeats) can lead to a second restart; so can an operator
   * clearing the override by hand in between. A powered-off machine is powered on even without a
   * pending override (firmware then boots its usual device).
   */
  powerCycle(input: MachineRef): Promise<PowerCycleResult>;
  /** Power state and boot override. Read-only. */
  readPowerState(input: MachineRef): Promise<MachinePowerStatus>;
}
