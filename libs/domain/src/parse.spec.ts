import { describe, expect, it } from 'vitest';
import { parseSpecDocument, parseSpecDocuments } from './parse';

describe('parseSpecDocument', () => {
  it('reads YAML 1.2: MACs stay strings, unquoted versions become numbers', () => {
    expect(parseSpecDocument('mac: 52:54:00:00:01:01\nversion: 24.04\nquoted: "24.04"\n')).toEqual({
      ok: true,
      value: { mac: '52:54:00:00:01:01', version: 24.04, quoted: '24.04' },
    });
  });

  it('reports YAML syntax errors with line and column', () => {
    const result = parseSpecDocument('name: a\nnetwork:\n  vlans: [\n  dns: x: y\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]).toMatchObject({ path: '', line: 4 });
    expect(result.problems[0]?.message).toMatch(/^line 4, column \d+: /);
  });

  it('reports duplicate keys', () => {
    const result = parseSpecDocument('name: a\nname: b\n');
    expect(result).toEqual({
      ok: false,
      problems: [{ path: '', line: 2, column: 1, message: 'line 2, column 1: Map keys must be unique' }],
    });
  });

  it('refuses several documents where one is expected, and reads them all on request', () => {
    const text = 'a: 1\n---\nb: 2\n';
    expect(parseSpecDocument(text)).toEqual({
      ok: false,
      problems: [{ path: '', message: 'expected one document, found 2 (separated by ---)' }],
    });
    expect(parseSpecDocuments(text)).toEqual({ ok: true, value: [{ a: 1 }, { b: 2 }] });
  });

  it('returns null for an empty file', () => {
    expect(parseSpecDocument('')).toEqual({ ok: true, value: null });
    expect(parseSpecDocument('# only a comment\n')).toEqual({ ok: true, value: null });
  });

  it('reads JSON and reports its errors with line and column', () => {
    expect(parseSpecDocument('{"a": [1, 2]}', 'json')).toEqual({ ok: true, value: { a: [1, 2] } });
    const result = parseSpecDocument('{\n  "a": 1,\n}', 'json');
    expect(result).toMatchObject({ ok: false, problems: [{ path: '', line: 3, column: 1 }] });
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill('*' + String.fromCharCode(96 + i))
          .join(', ')}]`,
      );
    const result = parseSpecDocument(lines.join('\n'));
    expect(result.ok).toBe(false);
  });
});
