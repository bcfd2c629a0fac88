import { describe, expect, it } from 'vitest';
import { parseOsRelease, versionMatches } from './verify-os-activities';

describe('os-release', () => {
  it('parses quoted and bare values', () => {
    expect(
      parseOsRelease(
        'NAME="Rocky Linux"\nVERSION_ID="9.4"\nID=rocky\nPRETTY_NAME="say \\"hi\\""\n# comment\n',
      ),
    ).toEqual({
      NAME: 'Rocky Linux',
      VERSION_ID: '9.4',
      ID: 'rocky',
      PRETTY_NAME: 'say "hi"',
    });
  });

  it('matches asked releases against VERSION_ID and VERSION', () => {
    expect(versionMatches('24.04', '24.04', '24.04.1 LTS (Noble Numbat)')).toBe(true);
    expect(versionMatches('24.04.1', '24.04', '24.04.1 LTS (Noble Numbat)')).toBe(true);
    expect(versionMatches('24.04.2', '24.04', '24.04.1 LTS (Noble Numbat)')).toBe(false);
    expect(versionMatches('9', '9.4', '9.4 (Blue Onyx)')).toBe(true);
    expect(versionMatches('9.6', '9.4', '9.4 (Blue Onyx)')).toBe(false);
    expect(versionMatches('12', '12', '12 (bookworm)')).toBe(true);
    expect(versionMatches('1', '12', '12 (bookworm)')).toBe(false);
  });
});
