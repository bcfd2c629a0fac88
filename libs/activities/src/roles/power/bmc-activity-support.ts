/**
 * What the BMC role activities (discover, raid, power) share: finding the machine by reference,
 * call options wired to the activity (cancellation, heartbeats) and turning role errors into the
 * Temporal failures the workflow's retry policies key on.
 */
import { Context } from '@temporalio/activity';
import { RoleError, toApplicationFailure, type MachineRef } from '@plinth/contracts';
import type { StoredMachine } from '@plinth/db';
import type { BmcCallOptions, BmcCallPolicy, BmcDriver, BmcDriverRegistry } from '@plinth/driver-bmc';
import type { Logger } from '@plinth/logger';

/** Dependencies every BMC role activity needs. */
export interface BmcRoleDeps {
  /** Chooses and caches drivers by BMC address (the worker builds it with the secret store's resolver). */
  drivers: BmcDriverRegistry;
  /** The inventory, to find the machine's BMC address and credentials reference. */
  machines: { findByName(name: string): Promise<StoredMachine | undefined> };
  /** Per-call BMC policy for these activities (timeouts, attempts), over the registry's defaults. */
  policy?: Partial<BmcCallPolicy>;
  logger?: Logger;
}

/** The activity's context, or undefined when called outside an activity (scripts, the CLI). */
export function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats with `details` when running as an activity. */
export function heartbeat(details: unknown): void {
  currentContext()?.heartbeat(details);
}

/**
 * Call options bound to the running activity: its cancellation signal aborts the BMC request in
 * flight, and every wait (retries, task polls) heartbeats, so long BMC operations stay alive and
 * cancellable.
 */
export function activityCallOptions(deps: BmcRoleDeps, stage: string): BmcCallOptions {
  const context = currentContext();
  return {
    ...(deps.policy ? { policy: deps.policy } : {}),
    ...(context ? { signal: context.cancellationSignal } : {}),
    onProgress: (progress) => context?.heartbeat({ stage, detail: progress.detail }),
  };
}

/** The machine behind a reference, checked against its id. @throws RoleError MachineNotFound */
export async function machineOf(deps: BmcRoleDeps, ref: MachineRef): Promise<StoredMachine> {
  const machine = await deps.machines.findByName(ref.machineName);
  if (!machine || machine.id !== ref.machineId) {
    throw new RoleError(
      'MachineNotFound',
      `Machine ${ref.machineName} (${ref.machineId}) is not in the inventory any more: it was deleted or re-imported under another id. Re-plan the run.`,
      { machine: ref.machineName, machineId: ref.machineId },
    );
  }
  return machine;
}

/** The machine and its driver. */
export async function machineDriver(
  deps: BmcRoleDeps,
  ref: MachineRef,
): Promise<{ machine: StoredMachine; driver: BmcDriver }> {
  const machine = await machineOf(deps, ref);
  return { machine, driver: deps.drivers.forMachine(machine) };
}

/**
 * Runs an activity body: a {@link RoleError} becomes the Temporal `ApplicationFailure` of its code
 * (type = code, retryability from the role error table) and is logged with the machine and role;
 * anything else (cancellation included) passes through unchanged.
 */
export async function asRoleActivity<T>(
  deps: BmcRoleDeps,
  role: string,
  ref: MachineRef,
  body: (log: Logger | undefined) => Promise<T>,
): Promise<T> {
  const context = currentContext();
  const log = deps.logger?.child({
    machineId: ref.machineId,
    machine: ref.machineName,
    role,
    attempt: context?.info.attempt,
  });
  try {
    return await body(log);
  } catch (error) {
    if (error instanceof RoleError) {
      log?.warn({ code: error.code, retryable: error.retryable, details: error.details }, error.message);
      throw toApplicationFailure(error);
    }
    throw error;
  }
}
