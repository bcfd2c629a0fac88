import type { BootOverride, LabMachine, ResetType } from '../machine/lab-machine';
import type { ChassisRequest } from './chassis-requests';

/**
 * ipmi_sim's `chassis_control` program protocol (OpenIPMI lanserv/bmc_chassis.c, extcmd.c, and the
 * example lanserv/ipmi_sim_chassiscontrol), as Debian's openipmi 2.0.33 speaks it:
 *
 *     <prog> <dev> get <parm>...          print "<parm>:<value>" per line, exit 0
 *     <prog> <dev> set <parm> <value>...  print nothing, exit 0
 *     <prog> <dev> check <parm> <value>   exit 0 if acceptable (ipmi_sim does not use it for chassis)
 *
 * Any other exit status makes ipmi_sim answer the client with completion code 0xff. Parameters:
 * - `power` 0|1 (get and set). Chassis Control power down/up set it; power cycle sets 0, then
 *   ipmi_sim polls `get power` every second and sets 1 once it reads 0.
 * - `reset` 1 (Chassis Control hard reset), `shutdown` 1 (soft off).
 * - `boot` none|pxe|default|cdrom|bios: the device selector of Set System Boot Options parameter 5
 *   (set), and read back for Get System Boot Options 5 and Boot Info Acknowledge (get).
 *   The persistent/valid flags are not passed.
 * - `identify` "<interval> <force>" (Chassis Identify).
 */
export interface HookReply {
  ok: boolean;
  /** What the hook prints: values for `get`, an error message otherwise (ipmi_sim logs it). */
  output: string;
}

/** Where the current hook call comes from, as far as the lab could read the client's request. */
export interface ChassisRequestSource {
  current(): ChassisRequest | undefined;
}

const BOOT_TARGET_BY_DEVICE: Record<string, BootOverride['target'] | undefined> = {
  none: 'None',
  pxe: 'Pxe',
  default: 'Hdd',
};

/**
 * Maps ipmi_sim's chassis_control hook calls onto a {@link LabMachine}, the same object the Redfish
 * view drives. Power actions do not wait for the machine (`timings.powerMs`): a real BMC answers
 * Chassis Control at once and the power changes afterwards, and ipmi_sim is blocked while its hook runs.
 */
export class IpmiChassisControl {
  /**
   * Set after an IPMI power cycle was carried out as one `PowerCycle`: ipmi_sim still believes it
   * turned the power off and will poll until it reads "off", then ask for power on. That poll is
   * answered "off" and the power-on ignored, so ipmi_sim's timer ends and the cycle happens once.
   */
  private simCycleTimerPending = false;

  constructor(
    private readonly machine: LabMachine,
    private readonly requests: ChassisRequestSource,
    private readonly onActionError: (action: string, error: unknown) => void = () => undefined,
  ) {}

  /** Handle one hook call; `args` are the hook's arguments after ipmi_sim's device argument. */
  handle(args: readonly string[]): HookReply {
    const [operation, ...parameters] = args;
    switch (operation) {
      case 'get':
        return this.get(parameters);
      case 'set':
        return this.set(parameters);
      case 'check':
        // As in OpenIPMI's example hook: checking is not supported for chassis control.
        return { ok: false, output: 'check is not supported for chassis control' };
      default:
        return { ok: false, output: `Unknown operation: ${operation ?? '(none)'}` };
    }
  }

  private get(parameters: string[]): HookReply {
    const lines: string[] = [];
    for (const parameter of parameters) {
      switch (parameter) {
        case 'power':
          lines.push(`power:${this.reportedPower()}`);
          break;
        case 'boot':
          lines.push(`boot:${this.reportedBootDevice()}`);
          break;
        default:
          return { ok: false, output: `Invalid parameter: ${parameter}` };
      }
    }
    return { ok: true, output: lines.join('\n') };
  }

  private set(parameters: string[]): HookReply {
    if (parameters.length % 2 !== 0) {
      return {
        ok: false,
        output: `No value present for parameter ${parameters[parameters.length - 1] ?? ''}`,
      };
    }
    for (let index = 0; index < parameters.length; index += 2) {
      const reply = this.setOne(parameters[index] ?? '', parameters[index + 1] ?? '');
      if (!reply.ok) return reply;
    }
    return { ok: true, output: '' };
  }

  private setOne(parameter: string, value: string): HookReply {
    switch (parameter) {
      case 'power':
        return this.setPower(value);
      case 'reset':
        if (value !== '1') return { ok: false, output: `Invalid reset value: ${value}` };
        this.simCycleTimerPending = false;
        return this.run('ForceRestart');
      case 'shutdown':
        if (value !== '1') return { ok: false, output: `Invalid shutdown value: ${value}` };
        return this.run('GracefulShutdown');
      case 'boot':
        return this.setBoot(value);
      case 'identify':
        // The lab has no chassis light to blink; accept it as a BMC without one would.
        return /^\d+ [01]$/.test(value)
          ? { ok: true, output: '' }
          : { ok: false, output: `Invalid identify value: ${value}` };
      default:
        return { ok: false, output: `Invalid parameter: ${parameter}` };
    }
  }

  private setPower(value: string): HookReply {
    const request = this.requests.current();
    const fromClient = request?.kind === 'control';
    if (value === '0') {
      if (request?.kind === 'control' && request.action === 'power-cycle') {
        this.simCycleTimerPending = true;
        return this.run('PowerCycle');
      }
      this.simCycleTimerPending = false;
      return this.run('ForceOff');
    }
    if (value === '1') {
      if (this.simCycleTimerPending && !fromClient) {
        // ipmi_sim's power-cycle timer finishing a cycle the machine already performed.
        this.simCycleTimerPending = false;
        return { ok: true, output: '' };
      }
      this.simCycleTimerPending = false;
      return this.run('On');
    }
    return { ok: false, output: `Invalid power value: ${value}` };
  }

  private setBoot(device: string): HookReply {
    const target = BOOT_TARGET_BY_DEVICE[device];
    if (!target)
      return { ok: false, output: `boot device ${device} is not emulated by the lab (pxe, disk, none are)` };
    const request = this.requests.current();
    const flags = request?.kind === 'boot-flags' ? request : undefined;
    // Without a readable request, IPMI's default applies: the override is for the next boot only.
    const cleared = target === 'None' || flags?.valid === false;
    this.machine.setBootOverride(
      cleared
        ? { enabled: 'Disabled', target: 'None' }
        : { enabled: flags?.persistent ? 'Continuous' : 'Once', target },
    );
    return { ok: true, output: '' };
  }

  private reportedPower(): 0 | 1 {
    if (this.simCycleTimerPending && this.requests.current()?.kind !== 'status') return 0;
    return this.machine.power === 'On' ? 1 : 0;
  }

  private reportedBootDevice(): string {
    const { enabled, target } = this.machine.bootOverride;
    if (enabled === 'Disabled') return 'none';
    return target === 'Pxe' ? 'pxe' : target === 'Hdd' ? 'default' : 'none';
  }

  private run(type: ResetType): HookReply {
    this.machine.reset(type).catch((error: unknown) => this.onActionError(type, error));
    return { ok: true, output: '' };
  }
}
