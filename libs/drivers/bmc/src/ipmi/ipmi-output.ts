/** Parsers for ipmitool's human-readable output (ipmitool 1.8.19, Debian 12). Pure functions. */
import type { PowerState } from '@plinth/domain';
import type { BootOverride } from '../bmc-driver';

/** `Chassis Power is on` → `On`; undefined when the text says something else. */
export function parsePowerStatus(stdout: string): PowerState | undefined {
  const match = /Chassis Power is (on|off)/i.exec(stdout);
  if (!match) return undefined;
  return match[1]?.toLowerCase() === 'on' ? 'On' : 'Off';
}

/**
 * `chassis bootparam get 5` → the override. The device selector decides: `No override` is
 * Disabled; `Force PXE` / `Force Boot from default Hard-Drive` are Pxe / Hdd, once or for all
 * boots after "Options apply to …". The flags' valid bit is not read: ipmi_sim (and some BMCs)
 * report it invalid even while an override is pending.
 */
export function parseBootParameter5(stdout: string): BootOverride | undefined {
  const selector = /Boot Device Selector\s*:\s*(.+)/.exec(stdout)?.[1]?.trim();
  if (selector === undefined) return undefined;
  if (/^No override/i.test(selector)) return { enabled: 'Disabled', target: 'None' };
  const enabled = /Options apply to all future boots/i.test(stdout) ? 'Continuous' : 'Once';
  if (/PXE/i.test(selector)) return { enabled, target: 'Pxe' };
  if (/Hard-?Drive/i.test(selector)) return { enabled, target: 'Hdd' };
  return { enabled, target: 'None' };
}

/** `fru print` key/value lines (`Product Serial : ABC`), first value per key. */
export function parseFru(stdout: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^\s*([A-Za-z][A-Za-z0-9 /#.-]*?)\s*:\s*(.*?)\s*$/.exec(line);
    if (!match?.[1] || match[2] === undefined || match[2] === '') continue;
    if (!fields.has(match[1])) fields.set(match[1], match[2]);
  }
  return fields;
}

/** Identity from FRU fields: product area first, then board, then chassis. */
export function fruIdentity(fields: Map<string, string>): {
  serial?: string;
  manufacturer?: string;
  model?: string;
} {
  const first = (...keys: string[]): string | undefined =>
    keys
      .map((key) => fields.get(key))
      .find((value) => value !== undefined && value !== '' && value !== 'Unspecified');
  const serial = first('Product Serial', 'Chassis Serial', 'Board Serial');
  const manufacturer = first('Product Manufacturer', 'Board Mfg');
  const model = first('Product Name', 'Board Product', 'Chassis Part Number');
  return {
    ...(serial ? { serial } : {}),
    ...(manufacturer ? { manufacturer } : {}),
    ...(model ? { model } : {}),
  };
}

/** How a failed ipmitool run is to be read. */
export type IpmitoolFailure = 'auth' | 'unreachable' | 'refused';

/**
 * Classifies a failed run by ipmitool's verbose messages. RAKP errors mean the BMC answered and
 * refused the account; no answer to Get Channel Authentication Capabilities means nobody answered
 * (the session was never opened, so the command was not carried out); anything else is the BMC
 * refusing the command itself.
 */
export function classifyIpmitoolFailure(stderr: string, stdout: string): IpmitoolFailure {
  const text = `${stderr}\n${stdout}`;
  if (
    /RAKP \d+ (HMAC is invalid|message indicates an error)|unauthorized name|invalid (user ?name|password)/i.test(
      text,
    )
  ) {
    return 'auth';
  }
  if (
    /Get Auth Capabilities error|No response from remote controller|Unable to establish|Insufficient resources for session|timeout/i.test(
      text,
    )
  ) {
    return 'unreachable';
  }
  return 'refused';
}

/** True when the session was never established: the command cannot have been carried out. */
export function sessionNeverOpened(stderr: string): boolean {
  return /Get Auth Capabilities error|Error issuing Get Channel Authentication Capabilities/i.test(stderr);
}
