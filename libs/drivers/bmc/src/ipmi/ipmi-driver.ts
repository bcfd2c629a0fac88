import type { HardwareInventory, PowerState } from '@plinth/domain';
import { validateHardwareInventory } from '@plinth/domain';
import type {
  BmcCallOptions,
  BmcCapabilities,
  BmcDriver,
  BmcStorage,
  BootOverride,
  DiscoveredInventory,
  InventoryFact,
  PowerAction,
} from '../bmc-driver';
import { bmcAuthFailed, bmcUnreachable, bmcUnsupported, type BmcSubject } from '../bmc-errors';
import { abortReason, backoffMs, resolvePolicy, sleep, type BmcCallPolicy } from '../call-policy';
import type { BmcCredentials } from '../credentials';
import {
  classifyIpmitoolFailure,
  fruIdentity,
  parseBootParameter5,
  parseFru,
  parsePowerStatus,
  sessionNeverOpened,
} from './ipmi-output';
import { runIpmitool, type IpmitoolRun, type IpmitoolTarget } from './ipmitool';

/** What IPMI cannot tell about the host: it sees the chassis, not the hardware inside. */
const IPMI_UNAVAILABLE: InventoryFact[] = ['cpu', 'memory', 'drives', 'nics', 'biosVersion'];

const POWER_COMMANDS: Record<PowerAction, { args: string[]; answer: RegExp }> = {
  On: { args: ['chassis', 'power', 'on'], answer: /Chassis Power Control: Up\/On/ },
  ForceOff: { args: ['chassis', 'power', 'off'], answer: /Chassis Power Control: Down\/Off/ },
  GracefulShutdown: { args: ['chassis', 'power', 'soft'], answer: /Chassis Power Control: Soft/ },
  ForceRestart: { args: ['chassis', 'power', 'cycle'], answer: /Chassis Power Control: Cycle/ },
};

export interface IpmiDriverOptions {
  subject: BmcSubject;
  target: IpmitoolTarget;
  credentialsRef: string;
  credentials: () => Promise<BmcCredentials>;
  policy: BmcCallPolicy;
  /** Sees every ipmitool run (the command words only, never the password). Must not throw. */
  onRun?: (run: {
    command: string[];
    attempt: number;
    outcome: 'ok' | 'auth' | 'unreachable' | 'refused';
  }) => void;
}

/**
 * {@link BmcDriver} over IPMI v2 LAN with Debian's ipmitool: power, boot device, FRU identity.
 * Every call is one ipmitool run with its own RMCP+ session (nothing to reuse between calls).
 * IPMI sees the chassis, not the host's CPUs, memory, drives or NICs: those facts are reported as
 * unavailable, and RAID is unsupported.
 */
export class IpmiBmcDriver implements BmcDriver {
  readonly protocol = 'ipmi' as const;
  readonly address: string;

  constructor(private readonly options: IpmiDriverOptions) {
    this.address = options.subject.address;
  }

  async capabilities(): Promise<BmcCapabilities> {
    return {
      protocol: 'ipmi',
      inventory: ['serial'],
      bootTargets: ['None', 'Pxe', 'Hdd'],
      raid: { supported: false, levels: undefined },
      bios: false,
      virtualMedia: false,
      sessions: false,
    };
  }

  async readInventory(options?: BmcCallOptions): Promise<DiscoveredInventory> {
    const powerState = await this.getPowerState(options);
    const fru = await this.run(['fru', 'print', '0'], options, { idempotent: true, allowRefusal: true });
    const identity = fru.code === 0 ? fruIdentity(parseFru(fru.stdout)) : {};
    const inventory: HardwareInventory = {
      cpu: { model: '', cores: 0, sockets: 0 },
      memoryMiB: 0,
      drives: [],
      nics: [],
      ...identity,
      powerState,
    };
    const validation = validateHardwareInventory(inventory);
    if (!validation.ok) {
      throw bmcUnsupported(
        this.options.subject,
        `reported FRU data Plinth cannot use: ${validation.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}.`,
      );
    }
    return {
      inventory: validation.value,
      unavailable: identity.serial ? IPMI_UNAVAILABLE : [...IPMI_UNAVAILABLE, 'serial'],
    };
  }

  async getPowerState(options?: BmcCallOptions): Promise<PowerState> {
    const run = await this.run(['chassis', 'power', 'status'], options, { idempotent: true });
    const state = parsePowerStatus(run.stdout);
    if (!state) throw this.unexpected('chassis power status', run);
    return state;
  }

  async setPower(action: PowerAction, options?: BmcCallOptions): Promise<void> {
    const command = POWER_COMMANDS[action];
    // A cycle that timed out may have happened: only a session that never opened is retried.
    const run = await this.run(command.args, options, { idempotent: action !== 'ForceRestart' });
    if (!command.answer.test(run.stdout)) throw this.unexpected(command.args.join(' '), run);
  }

  async getBootOverride(options?: BmcCallOptions): Promise<BootOverride> {
    const run = await this.run(['chassis', 'bootparam', 'get', '5'], options, { idempotent: true });
    const override = parseBootParameter5(run.stdout);
    if (!override) throw this.unexpected('chassis bootparam get 5', run);
    return override;
  }

  async setBootOverride(override: BootOverride, options?: BmcCallOptions): Promise<{ changed: boolean }> {
    const current = await this.getBootOverride(options);
    if (
      current.enabled === override.enabled &&
      (override.enabled === 'Disabled' || current.target === override.target)
    ) {
      return { changed: false };
    }
    const device =
      override.enabled === 'Disabled' || override.target === 'None'
        ? 'none'
        : override.target === 'Pxe'
          ? 'pxe'
          : 'disk';
    const args = [
      'chassis',
      'bootdev',
      device,
      ...(override.enabled === 'Continuous' ? ['options=persistent'] : []),
    ];
    const run = await this.run(args, options, { idempotent: true });
    // ipmitool exits 0 even when the BMC refuses ("Set Chassis Boot Parameter 5 failed").
    if (!new RegExp(`Set Boot Device to ${device}`).test(run.stdout))
      throw this.unexpected(args.join(' '), run);
    return { changed: true };
  }

  async storage(): Promise<BmcStorage> {
    throw bmcUnsupported(
      this.options.subject,
      'speaks IPMI, which cannot manage RAID volumes. Give this machine a Redfish address (redfish+https://…) or remove the raid section for its role.',
    );
  }

  async close(): Promise<void> {
    // Nothing held between calls: every ipmitool run opens and closes its own session.
  }

  /**
   * One command with the call's retries: a BMC that does not answer is retried with backoff
   * (non-idempotent commands only when the session never opened); refused credentials are not.
   */
  private async run(
    command: string[],
    options: BmcCallOptions | undefined,
    how: { idempotent: boolean; allowRefusal?: boolean },
  ): Promise<IpmitoolRun> {
    const policy = resolvePolicy(this.options.policy, options?.policy);
    const signal = options?.signal;
    const deadline = Date.now() + policy.totalTimeoutMs;
    const { subject } = this.options;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw abortReason(signal);
      const credentials = await this.options.credentials();
      let run: IpmitoolRun;
      try {
        run = await runIpmitool(this.options.target, credentials, command, {
          timeoutMs: Math.max(1, Math.min(policy.requestTimeoutMs, deadline - Date.now())),
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        if (signal?.aborted) throw abortReason(signal);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          throw bmcUnsupported(
            subject,
            `cannot be reached: ipmitool (${this.options.target.command ?? 'ipmitool'}) is not installed on the worker; install the Debian package ipmitool.`,
          );
        }
        throw error;
      }
      const outcome =
        run.code === 0 && !run.timedOut
          ? 'ok'
          : run.timedOut
            ? 'unreachable'
            : classifyIpmitoolFailure(run.stderr, run.stdout);
      this.report(command, attempt, outcome);
      if (outcome === 'ok') return run;
      if (outcome === 'auth') {
        throw bmcAuthFailed(
          subject,
          this.options.credentialsRef,
          'the IPMI session was refused (RAKP authentication failed)',
        );
      }
      if (outcome === 'refused') {
        if (how.allowRefusal) return run;
        throw this.unexpected(command.join(' '), run);
      }
      const why = run.timedOut ? `no answer within ${policy.requestTimeoutMs} ms` : lastLine(run.stderr);
      if (!how.idempotent && !sessionNeverOpened(run.stderr)) {
        throw bmcUnreachable(
          subject,
          `ipmitool ${command.join(' ')} failed (${why}) and may or may not have been carried out; it was not resent`,
        );
      }
      const wait = backoffMs(policy, attempt);
      if (attempt >= policy.maxAttempts || Date.now() + wait >= deadline) {
        throw bmcUnreachable(
          subject,
          `ipmitool ${command.join(' ')} failed ${attempt} time(s) within ${policy.totalTimeoutMs} ms, last: ${why}`,
          { attempts: attempt },
        );
      }
      options?.onProgress?.({
        stage: 'retry',
        detail: `ipmitool ${command.join(' ')}: ${why}; retry ${attempt + 1} in ${wait} ms`,
      });
      await sleep(wait, signal);
    }
  }

  private report(
    command: string[],
    attempt: number,
    outcome: 'ok' | 'auth' | 'unreachable' | 'refused',
  ): void {
    try {
      this.options.onRun?.({ command, attempt, outcome });
    } catch {
      // Observers must not break calls.
    }
  }

  private unexpected(what: string, run: IpmitoolRun) {
    return bmcUnsupported(
      this.options.subject,
      `answered ipmitool ${what} unexpectedly (exit ${run.code ?? 'killed'}): ${lastLine(run.stdout) || lastLine(run.stderr) || 'no output'}.`,
    );
  }
}

/** The last meaningful line, without ipmitool's verbose preamble. */
function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^Loading IANA PEN Registry/.test(line));
  return lines[lines.length - 1] ?? '';
}
