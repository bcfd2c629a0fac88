/**
 * The `plinth-devserver` executable: listens within the 5 s sdk-core allows, tolerates unknown
 * flags with a warning, serves the namespaces it was given, and exits 0 on SIGTERM and SIGINT.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { findFreePort } from '@plinth/db';

const BIN = path.resolve(__dirname, '../bin/plinth-devserver.js');

describe('plinth-devserver executable', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`starts within 5 s with start-dev flags and exits 0 on ${signal}`, async () => {
      const port = await findFreePort();
      const started = Date.now();
      const child = spawn(
        BIN,
        [
          'server',
          'start-dev',
          '--port',
          String(port),
          '--namespace',
          'plinth',
          '--ip',
          '127.0.0.1',
          '--log-level',
          'warn',
          '--headless',
          '--db-filename',
          '/tmp/ignored.db',
          '--dynamic-config-value',
          'x=1',
          '--made-up-flag',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        for (;;) {
          if (stdout.includes(`listening on 127.0.0.1:${port}`)) break;
          if (Date.now() - started > 5_000) throw new Error(`not listening after 5 s: ${stdout} ${stderr}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
        const ns = await connection.workflowService.describeNamespace({ namespace: 'plinth' });
        expect(ns.namespaceInfo?.name).toBe('plinth');
        await connection.close();
        expect(stderr).toMatch(/made-up-flag/);
        child.kill(signal);
        expect(await exited).toBe(0);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  }
});
