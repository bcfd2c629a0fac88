import type { LabHardware } from '../machine/lab-machine';

/**
 * The FRU inventory (IPMI Platform Management FRU Information Storage Definition v1.0) of a lab
 * machine: chassis, board and product areas with the same manufacturer, model and serial the
 * Redfish view shows, so `ipmitool fru print` and Redfish agree. The fixture's emulator file
 * defines no FRU data; the lab adds it with ipmi_sim's `mc_add_fru_data` command.
 */

/** Chassis type "Rack Mount Chassis" (SMBIOS chassis types, used by the FRU chassis area). */
const RACK_MOUNT_CHASSIS = 0x17;
/** Language code 0: English. */
const ENGLISH = 0x00;
const END_OF_FIELDS = 0xc1;
const MAX_FIELD_BYTES = 63;

export function buildFruImage(hardware: LabHardware, assetTag: string): Buffer {
  const chassis = area([RACK_MOUNT_CHASSIS, ...field(hardware.model), ...field(hardware.serial)]);
  const board = area([
    ENGLISH,
    // Manufacturing date: minutes since 1996-01-01; 0 means unspecified.
    0,
    0,
    0,
    ...field(hardware.manufacturer),
    ...field(hardware.model),
    ...field(hardware.serial),
    ...field(hardware.model),
    ...field(''),
  ]);
  const product = area([
    ENGLISH,
    ...field(hardware.manufacturer),
    ...field(hardware.model),
    ...field(hardware.model),
    ...field(hardware.biosVersion),
    ...field(hardware.serial),
    ...field(assetTag),
    ...field(''),
  ]);
  const chassisOffset = 8;
  const boardOffset = chassisOffset + chassis.length;
  const productOffset = boardOffset + board.length;
  const header = [0x01, 0, chassisOffset / 8, boardOffset / 8, productOffset / 8, 0, 0];
  return Buffer.from([...header, zeroChecksum(header), ...chassis, ...board, ...product]);
}

/** The ipmi_sim command that installs `image` as FRU device 0 of the BMC at 0x20. */
export function fruEmuCommand(image: Buffer): string {
  const bytes = [...image].map((byte) => `0x${byte.toString(16).padStart(2, '0')}`);
  return `mc_add_fru_data 0x20 0 ${image.length} data ${bytes.join(' ')}`;
}

/** 8-bit ASCII type/length byte followed by the text (printable ASCII only, at most 63 bytes). */
function field(text: string): number[] {
  const ascii = [...text]
    .map((character) => character.charCodeAt(0))
    .filter((code) => code >= 0x20 && code < 0x7f)
    .slice(0, MAX_FIELD_BYTES);
  return [0xc0 | ascii.length, ...ascii];
}

/** Area: format version, length in 8-byte units, contents, end marker, padding, checksum. */
function area(contents: number[]): number[] {
  const unpadded = 2 + contents.length + 1 + 1;
  const length = Math.ceil(unpadded / 8) * 8;
  const bytes = [0x01, length / 8, ...contents, END_OF_FIELDS];
  while (bytes.length < length - 1) bytes.push(0);
  return [...bytes, zeroChecksum(bytes)];
}

function zeroChecksum(bytes: number[]): number {
  return (0x100 - (bytes.reduce((sum, byte) => sum + byte, 0) & 0xff)) & 0xff;
}
