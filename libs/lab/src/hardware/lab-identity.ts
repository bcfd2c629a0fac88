/**
 * Deterministic identities for lab machines, derived from a machine's lab-wide index so that two
 * labs started the same way agree, and no two machines of one lab collide.
 */

/** The locally administered prefix QEMU/KVM uses; nothing real on a lab network has it. */
const MAC_PREFIX = [0x52, 0x54, 0x00] as const;
/** MAC slots reserved per machine (the low 2 bits of the 24-bit suffix). */
export const MAX_NICS_PER_MACHINE = 4;
/** Machine indexes that fit the 24-bit MAC suffix with {@link MAX_NICS_PER_MACHINE} slots each. */
export const MAX_LAB_MACHINES = 2 ** 24 / MAX_NICS_PER_MACHINE;

/** MAC of NIC `nic` (0-based) of the machine with lab-wide `index`, lowercase `52:54:00:xx:xx:xx`. */
export function labMac(index: number, nic: number): string {
  assertIndex(index);
  if (!Number.isInteger(nic) || nic < 0 || nic >= MAX_NICS_PER_MACHINE) {
    throw new RangeError(`NIC number ${nic} is outside 0..${MAX_NICS_PER_MACHINE - 1}`);
  }
  const suffix = index * MAX_NICS_PER_MACHINE + nic;
  const bytes = [...MAC_PREFIX, (suffix >> 16) & 0xff, (suffix >> 8) & 0xff, suffix & 0xff];
  return bytes.map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

/** A chassis serial such as `LC00002S`: a two-letter profile code and the index in base 36. */
export function labSerial(code: string, index: number): string {
  assertIndex(index);
  return `${code}${index.toString(36).toUpperCase().padStart(6, '0')}`;
}

export function assertIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_LAB_MACHINES) {
    throw new RangeError(`machine index ${index} is outside 0..${MAX_LAB_MACHINES - 1}`);
  }
}
