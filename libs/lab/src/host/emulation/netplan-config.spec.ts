import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNetplan } from './netplan-config';

/**
 * Netplan validation and merging. The expected messages were taken from netplan.io 0.106
 * (`netplan generate --root-dir`); where that tool is installed, the last test compares directly.
 */
const file = (
  content: string,
  name = '60-test.yaml',
  mode = 0o600,
): { path: string; content: string; mode: number } => ({
  path: `/etc/netplan/${name}`,
  content,
  mode,
});

const cases: Array<[string, string]> = [
  [
    'network:\n  version: 2\n  ethernets:\n    eno1:\n      addresses:\n        - "10.0.0.x/24"\n',
    "malformed address '10.0.0.x/24', must be X.X.X.X/NN or X:X:X:X:X:X:X:X/NN",
  ],
  [
    'network:\n  version: 2\n  ethernets:\n    eno1:\n      addresses:\n        - "10.0.0.5"\n',
    "address '10.0.0.5' is missing /prefixlength",
  ],
  [
    'network:\n  version: 2\n  ethernets:\n    eno1:\n      addresses:\n        - "fe80::1/129"\n',
    "invalid prefix length in address 'fe80::1/129'",
  ],
  ['network:\n  version: 3\n', 'Only version 2 is supported'],
  ['network:\n  version: 2\n  ethernets:\n    eno1:\n      adresses: [1]\n', "unknown key 'adresses'"],
  ['network:\n  version: 2\n  ethernets:\n    eno1:\n      dhcp4: maybe\n', "invalid boolean value 'maybe'"],
  ['network:\n  version: 2\n  ethernets: []\n', 'expected mapping (check indentation)'],
  [
    'network:\n  version: 2\n  bonds:\n    bond0:\n      interfaces: [eno2]\n',
    "bond0: interface 'eno2' is not defined",
  ],
];

describe('netplan validation', () => {
  it.each(cases)('reports %j as netplan does', (content, message) => {
    const loaded = loadNetplan([file(content)]);
    expect(loaded.ok).toBe(false);
    expect(loaded.ok ? '' : loaded.error).toMatch(
      new RegExp(
        `^/etc/netplan/60-test\\.yaml:\\d+:\\d+: Error in network definition: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`,
      ),
    );
  });

  it('points at the offending line and column', () => {
    const loaded = loadNetplan([file('network:\n  version: 3\n')]);
    expect(loaded.ok ? '' : loaded.error).toBe(
      '/etc/netplan/60-test.yaml:2:12: Error in network definition: Only version 2 is supported\n  version: 3\n           ^',
    );
  });

  it('merges files in name order: mappings merged, later scalars win, address lists appended', () => {
    const loaded = loadNetplan([
      file(
        'network:\n  ethernets:\n    eno1:\n      addresses: [10.0.1.5/24]\n      dhcp4: true\n',
        '60-b.yaml',
      ),
      file(
        'network:\n  version: 2\n  ethernets:\n    eno1:\n      addresses: [10.0.0.5/24]\n      dhcp4: false\n      mtu: 9000\n',
        '50-a.yaml',
      ),
    ]);
    expect(loaded).toMatchObject({
      ok: true,
      tree: {
        network: {
          version: 2,
          ethernets: { eno1: { addresses: ['10.0.0.5/24', '10.0.1.5/24'], dhcp4: true, mtu: 9000 } },
        },
      },
    });
  });

  it('warns about files readable by others, as netplan does', () => {
    const loaded = loadNetplan([file('network:\n  version: 2\n', '01.yaml', 0o644)]);
    expect(loaded.warnings).toEqual([
      expect.stringContaining('Permissions for /etc/netplan/01.yaml are too open'),
    ]);
  });

  it.skipIf(!existsSync('/usr/sbin/netplan'))('agrees with the real netplan generate on every case', () => {
    for (const [content] of cases) {
      const root = mkdtempSync(join(tmpdir(), 'netplan-'));
      try {
        mkdirSync(join(root, 'etc/netplan'), { recursive: true });
        writeFileSync(join(root, 'etc/netplan/60-test.yaml'), content);
        chmodSync(join(root, 'etc/netplan/60-test.yaml'), 0o600);
        let real = '';
        try {
          execFileSync('netplan', ['generate', '--root-dir', root], { stdio: 'pipe' });
        } catch (error) {
          real = String((error as { stderr?: Buffer }).stderr ?? '');
        }
        const ours = loadNetplan([file(content)]);
        const realMessage = /Error in network definition: (.*)/.exec(real)?.[1];
        expect(ours.ok ? undefined : /Error in network definition: (.*)/.exec(ours.error)?.[1]).toBe(
          realMessage,
        );
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }
  });
});
