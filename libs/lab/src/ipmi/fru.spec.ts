import { describe, expect, it } from 'vitest';
import { buildFruImage, fruEmuCommand } from './fru';
import { ipmiTestMachine } from './test-machine';

const sumIsZero = (bytes: Buffer): boolean => bytes.reduce((sum, byte) => (sum + byte) & 0xff, 0) === 0;

/** Read the type/length fields of an area from `start` (after its fixed bytes) up to the end marker. */
function fields(image: Buffer, start: number): string[] {
  const texts: string[] = [];
  for (let at = start; image[at] !== 0xc1;) {
    const length = (image[at] ?? 0) & 0x3f;
    texts.push(image.subarray(at + 1, at + 1 + length).toString('latin1'));
    at += 1 + length;
  }
  return texts;
}

describe('buildFruImage', () => {
  const machine = ipmiTestMachine('node-7');
  const image = buildFruImage(machine.hardware, machine.name);

  it('has a valid common header and checksummed areas on 8-byte boundaries', () => {
    expect(image[0]).toBe(0x01);
    expect(sumIsZero(image.subarray(0, 8))).toBe(true);
    const offsets = [image[2], image[3], image[4]].map((units) => (units ?? 0) * 8);
    for (const offset of offsets) {
      const length = (image[offset + 1] ?? 0) * 8;
      expect(length).toBeGreaterThan(0);
      expect(sumIsZero(image.subarray(offset, offset + length))).toBe(true);
    }
    expect(image.length).toBe(offsets[2]! + (image[offsets[2]! + 1] ?? 0) * 8);
  });

  it('carries the identity the Redfish view shows', () => {
    const chassisAt = (image[2] ?? 0) * 8;
    const boardAt = (image[3] ?? 0) * 8;
    const productAt = (image[4] ?? 0) * 8;
    expect(image[chassisAt + 2]).toBe(0x17);
    expect(fields(image, chassisAt + 3)).toEqual(['PL-C1U', 'SN-node-7']);
    expect(fields(image, boardAt + 6)).toEqual(['Plinth Lab', 'PL-C1U', 'SN-node-7', 'PL-C1U', '']);
    expect(fields(image, productAt + 3)).toEqual([
      'Plinth Lab',
      'PL-C1U',
      'PL-C1U',
      '2.4.1',
      'SN-node-7',
      'node-7',
      '',
    ]);
  });

  it('becomes one ipmi_sim command with every byte', () => {
    const command = fruEmuCommand(image);
    expect(command.startsWith(`mc_add_fru_data 0x20 0 ${image.length} data 0x01 `)).toBe(true);
    expect(command.split(' ').length).toBe(5 + image.length);
  });
});
