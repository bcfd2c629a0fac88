import {
  CMD_CHASSIS_CONTROL,
  CMD_GET_CHASSIS_STATUS,
  CMD_SET_SYSTEM_BOOT_OPTIONS,
  NETFN_CHASSIS,
} from './ipmi-message';
import type { SnoopedMessage } from './rmcp-snooper';

/** Chassis Control actions (IPMI 2.0 table 28-4, low nibble of the request byte). */
export type ChassisControlAction =
  'power-down' | 'power-up' | 'power-cycle' | 'hard-reset' | 'diag' | 'soft-off';
const CONTROL_ACTIONS: ChassisControlAction[] = [
  'power-down',
  'power-up',
  'power-cycle',
  'hard-reset',
  'diag',
  'soft-off',
];

/** The chassis requests whose meaning the chassis_control hook cannot see on its own. */
export type ChassisRequest =
  | { kind: 'status' }
  | { kind: 'control'; action: ChassisControlAction }
  /** Set System Boot Options parameter 5 (boot flags, IPMI 2.0 table 28-14). */
  | { kind: 'boot-flags'; valid: boolean; persistent: boolean; deviceSelector: number };

interface PendingRequest {
  request: ChassisRequest;
  sessionKey: string;
  seq: number;
  cmd: number;
  receivedAt: number;
}

/**
 * The chassis requests ipmi_sim has received and not yet answered, oldest first.
 *
 * ipmi_sim handles one request at a time in arrival order and runs the chassis_control hook while
 * handling it, before it answers. So while the hook runs, the oldest unanswered request is the one
 * that caused the call; when no chassis request is pending, the call comes from ipmi_sim itself
 * (its power-cycle timer). A request ipmi_sim drops without answering (bad integrity data, a
 * duplicate) is forgotten after `ttlMs`.
 */
export class ChassisRequestTracker {
  private pending: PendingRequest[] = [];

  constructor(
    private readonly ttlMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A request on its way to ipmi_sim (call it just before the packet is forwarded). */
  onRequest(snooped: SnoopedMessage): void {
    const request = decodeChassisRequest(snooped.message);
    if (!request) return;
    this.expire();
    const { sessionKey, message } = snooped;
    this.pending.push({ request, sessionKey, seq: message.seq, cmd: message.cmd, receivedAt: this.now() });
  }

  /** A response from ipmi_sim: its request has been handled, hook calls included. */
  onResponse(snooped: SnoopedMessage): void {
    const { sessionKey, message } = snooped;
    if (message.netFn !== NETFN_CHASSIS + 1) return;
    this.pending = this.pending.filter(
      (entry) => !(entry.sessionKey === sessionKey && entry.seq === message.seq && entry.cmd === message.cmd),
    );
  }

  /** The request ipmi_sim is handling now, if it is a chassis request the lab could read. */
  current(): ChassisRequest | undefined {
    this.expire();
    return this.pending[0]?.request;
  }

  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    if (this.pending.some((entry) => entry.receivedAt < cutoff)) {
      this.pending = this.pending.filter((entry) => entry.receivedAt >= cutoff);
    }
  }
}

/** Decode the chassis requests the lab cares about; others give undefined. */
export function decodeChassisRequest(message: SnoopedMessage['message']): ChassisRequest | undefined {
  if (message.netFn !== NETFN_CHASSIS) return undefined;
  const { data } = message;
  switch (message.cmd) {
    case CMD_GET_CHASSIS_STATUS:
      return { kind: 'status' };
    case CMD_CHASSIS_CONTROL: {
      const action = CONTROL_ACTIONS[(data[0] ?? 0xff) & 0x0f];
      return action ? { kind: 'control', action } : undefined;
    }
    case CMD_SET_SYSTEM_BOOT_OPTIONS: {
      const flags1 = data[1];
      const flags2 = data[2];
      if (((data[0] ?? 0) & 0x7f) !== 5 || flags1 === undefined || flags2 === undefined) return undefined;
      return {
        kind: 'boot-flags',
        valid: (flags1 & 0x80) !== 0,
        persistent: (flags1 & 0x40) !== 0,
        deviceSelector: (flags2 >> 2) & 0x0f,
      };
    }
    default:
      return undefined;
  }
}
