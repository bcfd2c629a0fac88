import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');

async function lint(path: string): Promise<string[]> {
  // The fixture is in the main config's ignore list so `npm run lint` stays green; lint it on purpose here.
  const eslint = new ESLint({ cwd: root, ignore: false });
  const [result] = await eslint.lintFiles([resolve(root, path)]);
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('determinism lint rule', () => {
  it('rejects Node built-ins and I/O libraries in workflow code', async () => {
    const restricted = (await lint('test/fixtures/workflow-determinism/imports-node-builtin.ts')).filter(
      (m) => m.startsWith('no-restricted-imports'),
    );
    for (const module of ["'fs'", "'node:child_process'", "'typeorm'", "'@nestjs/common'", "'pg'"]) {
      expect(restricted.some((m) => m.includes(module))).toBe(true);
    }
  });

  it('accepts the real workflow code', async () => {
    expect(await lint('workflows/src/system.ts')).toEqual([]);
  });
});
