import { describe, expect, it } from 'vitest';
import { parseCsvRows, readInventoryCsv } from './inventory-csv';
import { validateInventory } from './validate';

const header = 'name,bmc_address,bmc_credentials,boot_mac,rack,position,labels,expect_cpu_cores';

describe('CSV inventories', () => {
  it('splits quoted fields, doubled quotes, CRLF and embedded newlines', () => {
    const rows = parseCsvRows('a,"b,c","d ""e"""\r\n"multi\nline",x\n\n');
    expect(rows).toEqual({
      ok: true,
      value: [
        { line: 1, fields: ['a', 'b,c', 'd "e"'] },
        { line: 2, fields: ['multi\nline', 'x'] },
      ],
    });
    expect(parseCsvRows('a,"open\n').ok).toBe(false);
    expect(parseCsvRows('a,b"c\n').ok).toBe(false);
  });

  it('turns rows into the inventory document that validates like YAML', () => {
    const csv = `${header}\ncp-1,redfish+http://127.0.0.1:18001,secret/bmc,52:54:00:10:00:01,r1,1,"pool=control; zone = a",16\n`;
    const read = readInventoryCsv(csv);
    if (!read.ok) throw new Error(JSON.stringify(read.problems));
    const validated = validateInventory(read.value.document);
    expect(validated.ok).toBe(true);
    if (!validated.ok) return;
    expect(validated.value.machines[0]).toMatchObject({
      name: 'cp-1',
      bmc: { address: 'redfish+http://127.0.0.1:18001', credentialsRef: 'secret/bmc' },
      bootMac: '52:54:00:10:00:01',
      rack: 'r1',
      position: 1,
      labels: { pool: 'control', zone: 'a' },
      expect: { cpuCores: 16 },
    });
  });

  it('reports problems per row with the line, the machine and the column', () => {
    const csv = [
      header,
      'cp-1,redfish+http://127.0.0.1:18001,secret/bmc,52:54:00:10:00:01,r1,1,pool=control,16',
      'cp-2,ftp://x,secret/bmc,not-a-mac,r1,two,pool=control,16',
    ].join('\n');
    const read = readInventoryCsv(csv);
    if (!read.ok) throw new Error('unexpected');
    const validated = validateInventory(read.value.document);
    expect(validated.ok).toBe(false);
    if (validated.ok) return;
    const messages = validated.problems.map(read.value.describe).map((p) => p.message);
    expect(messages.some((m) => m.startsWith('line 3 (cp-2): bmc_address:'))).toBe(true);
    expect(messages.some((m) => m.startsWith('line 3 (cp-2): boot_mac:'))).toBe(true);
    expect(messages.some((m) => m.startsWith('line 3 (cp-2): position:'))).toBe(true);
    expect(messages.every((m) => m.startsWith('line 3'))).toBe(true);
  });

  it('refuses unknown and missing columns, ragged rows and bad labels before validating', () => {
    expect(readInventoryCsv('name,colour\nx,red\n')).toMatchObject({ ok: false });
    const missing = readInventoryCsv('name\nx\n');
    expect(missing.ok || missing.problems.map((p) => p.message)).toContain(
      'line 1: the required column "bmc_address" is missing',
    );
    const ragged = readInventoryCsv(`${header}\ncp-1,x\n`);
    expect(ragged.ok || ragged.problems[0]!.message).toBe('line 2: has 2 fields, the header has 8');
    const labels = readInventoryCsv(`${header}\ncp-1,a,b,c,r,1,pool,1\n`);
    expect(labels.ok || labels.problems[0]!.message).toContain('"pool" is not key=value');
    expect(readInventoryCsv('')).toMatchObject({ ok: false });
  });
});
