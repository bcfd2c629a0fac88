import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('loadSecretKey across processes', () => {
  let home = '';
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('gives processes that start at once the same generated key', async () => {
    home = mkdtempSync(join(tmpdir(), 'plinth-key-'));
    const script = `const { loadSecretKey } = require(${JSON.stringify(resolve(__dirname, 'secret-key.ts'))});
process.stdout.write(loadSecretKey({ homeDir: ${JSON.stringify(home)} }).keyId);`;
    const ids = await Promise.all(
      Array.from({ length: 6 }, () =>
        run(process.execPath, ['-r', '@swc-node/register', '-e', script], {
          cwd: resolve(__dirname, '../../../..'),
        }),
      ),
    );
    expect(new Set(ids.map((r) => r.stdout)).size).toBe(1);
    expect(readdirSync(home)).toEqual(['secret.key']);
  });
});
