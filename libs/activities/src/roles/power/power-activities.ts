import {
  RoleError,
  type PowerActivities,
  type PowerCycleProgress,
  type PowerCycleResult,
} from '@plinth/contracts';
import { sleep, type BmcCallOptions, type BmcDriver } from '@plinth/driver-bmc';
import {
  activityCallOptions,
  asRoleActivity,
  currentContext,
  heartbeat,
  machineDriver,
  type BmcRoleDeps,
} from './bmc-activity-support';

/** Dependencies of {@link createPowerActivities}. */
export interface PowerDeps extends BmcRoleDeps {
  /** How long `powerCycle` waits for the power to come on and POST to take the override. Default 5 min. */
  bootStartTimeoutMs?: number;
  /** Pause between two power-state polls. Default 2 s. */
  pollIntervalMs?: number;
}

const PXE_ONCE = { enabled: 'Once', target: 'Pxe' } as const;

/** Builds the {@link PowerActivities} (the BMC steps of provision-os) over BMC drivers. */
export const createPowerActivities = (deps: PowerDeps): PowerActivities => {
  const bootStartTimeoutMs = deps.bootStartTimeoutMs ?? 5 * 60_000;
  const pollIntervalMs = deps.pollIntervalMs ?? 2_000;

  return {
    async setOneTimePxeBoot(input) {
      return asRoleActivity(deps, 'provision-os', input, async (log) => {
        const { driver } = await machineDriver(deps, input);
        const result = await driver.setBootOverride(PXE_ONCE, activityCallOptions(deps, 'setting PXE boot'));
        log?.info({ changed: result.changed }, 'one-time PXE boot set');
        return result;
      });
    },

    async readPowerState(input) {
      return asRoleActivity(deps, 'provision-os', input, async () => {
        const { driver } = await machineDriver(deps, input);
        const options = activityCallOptions(deps, 'reading power state');
        return {
          powerState: await driver.getPowerState(options),
          bootOverride: await driver.getBootOverride(options),
        };
      });
    },

    async powerCycle(input) {
      return asRoleActivity(deps, 'provision-os', input, async (log) => {
        const { driver, machine } = await machineDriver(deps, input);
        // What an earlier attempt of this activity recorded before it crashed or timed out.
        const earlier = progressOf(currentContext()?.info.heartbeatDetails);
        // Every heartbeat of this attempt carries the request once made (the last details are what a retry sees).
        const state: { requested?: 'On' | 'ForceRestart' } = earlier?.requested
          ? { requested: earlier.requested }
          : {};
        const options: BmcCallOptions = {
          ...activityCallOptions(deps, 'power cycle'),
          onProgress: (progress) =>
            heartbeat({ ...state, stage: progress.detail } satisfies PowerCycleProgress),
        };
        const power = await driver.getPowerState(options);
        const pending = isPxePending(await driver.getBootOverride(options));

        let action: PowerCycleResult['action'];
        if (power === 'Off' || power === 'PoweringOff') {
          // Powering on cannot boot a machine twice: whatever an earlier attempt did, it is off now.
          await request(driver, 'On', options, state);
          action = 'powered-on';
        } else if (power === 'Unknown') {
          throw new RoleError(
            'BmcUnsupported',
            `BMC of ${machine.name} reports its power state as unknown; check the BMC, then retry the machine.`,
            { machine: machine.name },
          );
        } else if (!pending) {
          // On, and the one-time override is gone: firmware already booted into it (a retry after the boot).
          action = 'already-booted';
        } else if (earlier?.requested !== undefined) {
          // An earlier attempt asked for the restart; POST has not taken the override yet. Wait for it.
          action = 'resumed';
        } else {
          await request(driver, 'ForceRestart', options, state);
          action = 'power-cycled';
        }
        log?.info({ action, powerBefore: power, overridePending: pending }, 'power cycle');

        const stillPending = await waitForBoot(machine.name, driver, options, pending, action, state);
        const result: PowerCycleResult = {
          action,
          powerState: await driver.getPowerState(options),
          pxeOverridePending: stillPending,
        };
        return result;
      });
    },
  };

  /** Records the request in the heartbeat (so a retried attempt knows), then sends it. */
  async function request(
    driver: BmcDriver,
    action: 'On' | 'ForceRestart',
    options: BmcCallOptions,
    state: { requested?: 'On' | 'ForceRestart' },
  ): Promise<void> {
    state.requested = action;
    heartbeat({ requested: action, stage: `requesting ${action}` } satisfies PowerCycleProgress);
    await driver.setPower(action, options);
  }

  /**
   * Waits until the power is on and, when the override was pending, until POST consumed it; returns
   * whether it is still pending. An attempt that resumed an earlier restart which never took effect
   * (still pending at the bound) sends the restart itself; otherwise an unconsumed override is
   * reported, not treated as failure (some BMCs never clear it).
   */
  async function waitForBoot(
    machineName: string,
    driver: BmcDriver,
    options: BmcCallOptions,
    pending: boolean,
    action: PowerCycleResult['action'],
    state: { requested?: 'On' | 'ForceRestart' },
  ): Promise<boolean> {
    let deadline = Date.now() + bootStartTimeoutMs;
    let resent = false;
    for (;;) {
      const power = await driver.getPowerState(options);
      const stillPending = pending && isPxePending(await driver.getBootOverride(options));
      if (power === 'On' && !stillPending) return false;
      heartbeat({ ...state, stage: `waiting for boot: power ${power}` } satisfies PowerCycleProgress);
      if (Date.now() + pollIntervalMs > deadline) {
        if (action === 'resumed' && !resent && power === 'On') {
          resent = true;
          await request(driver, 'ForceRestart', options, state);
          deadline = Date.now() + bootStartTimeoutMs;
          continue;
        }
        if (power !== 'On') {
          throw new RoleError(
            'BmcUnreachable',
            `${machineName} did not power on within ${bootStartTimeoutMs} ms of the request (its BMC reports power ${power}); Plinth retries this step.`,
            { machine: machineName, powerState: power },
          );
        }
        return true;
      }
      await sleep(pollIntervalMs, options.signal);
    }
  }
};

function isPxePending(override: { enabled: string; target: string }): boolean {
  return override.enabled !== 'Disabled' && override.target === 'Pxe';
}

function progressOf(details: unknown): PowerCycleProgress | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const requested = (details as { requested?: unknown }).requested;
  return requested === 'On' || requested === 'ForceRestart' ? { requested, stage: '' } : undefined;
}
