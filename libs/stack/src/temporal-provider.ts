import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_TYPES } from '@plinth/contracts';
import { temporal } from '@temporalio/proto';
import { findFreePort } from '@plinth/db';
import { startProcess, type SupervisedProcess } from './supervised-process';

/** Search attributes Plinth's workflows set; registered on every Temporal the runner starts or is given. */
export const PLINTH_SEARCH_ATTRIBUTES = SEARCH_ATTRIBUTE_TYPES;

/** Where Temporal is and, when the runner started it, the process to stop. */
export interface ProvidedTemporal {
  address: string;
  kind: 'external' | 'temporal-cli' | 'built-in';
  /** Temporal UI, when the chosen server has one. */
  uiUrl?: string;
  process?: SupervisedProcess;
}

/**
 * `TEMPORAL_ADDRESS` → connect; a `temporal` CLI on PATH → `temporal server start-dev`;
 * else Plinth's built-in dev server (`plinth-devserver`). Resolves once the server answers
 * GetSystemInfo.
 */
export async function provideTemporal(options: {
  temporalAddress?: string;
  namespace: string;
  logDir: string;
  repoRoot: string;
}): Promise<ProvidedTemporal> {
  if (options.temporalAddress) {
    await waitForTemporal(options.temporalAddress, 10_000);
    await ensureSearchAttributes(options.temporalAddress, options.namespace);
    return { address: options.temporalAddress, kind: 'external' };
  }
  const port = await findFreePort();
  const searchAttributeArgs = Object.entries(PLINTH_SEARCH_ATTRIBUTES).flatMap(([n, t]) => [
    '--search-attribute',
    `${n}=${t}`,
  ]);
  const common = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--namespace',
    options.namespace,
    ...searchAttributeArgs,
  ];
  const temporalCli = findOnPath('temporal');
  let process: SupervisedProcess;
  let kind: ProvidedTemporal['kind'];
  let uiUrl: string | undefined;
  if (temporalCli) {
    const uiPort = await findFreePort();
    kind = 'temporal-cli';
    uiUrl = `http://127.0.0.1:${uiPort}`;
    process = startProcess({
      name: 'temporal',
      command: temporalCli,
      args: [...common, '--ui-port', String(uiPort), '--log-level', 'warn'],
      env: globalThis.process.env,
      logFile: join(options.logDir, 'temporal.log'),
    });
  } else {
    kind = 'built-in';
    process = startProcess({
      name: 'temporal (built-in dev server)',
      command: globalThis.process.execPath,
      args: [
        join(options.repoRoot, 'apps/devserver/bin/plinth-devserver.js'),
        ...common,
        '--headless',
        '--log-level',
        'info',
      ],
      // PLINTH_SUPERVISED: the dev server stops by itself if the runner is killed outright.
      env: { ...globalThis.process.env, PLINTH_SUPERVISED: '1' },
      logFile: join(options.logDir, 'devserver.log'),
    });
  }
  const address = `127.0.0.1:${port}`;
  try {
    await Promise.race([
      waitForTemporal(address, 20_000),
      process.exited.then((code) => {
        throw new Error(`The Temporal server exited during start-up (${code}); see ${process.logFile}.`);
      }),
    ]);
  } catch (error) {
    await process.stop();
    throw error;
  }
  return { address, kind, uiUrl, process };
}

/**
 * Registers Plinth's search attributes on a Temporal server it did not start (a real cluster or a
 * `temporal server start-dev` the operator runs). Attributes that already exist are left alone.
 */
export async function ensureSearchAttributes(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys({ ...existing.customAttributes, ...existing.systemAttributes }));
    const missing = Object.entries(PLINTH_SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
    if (missing.length === 0) return;
    const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map(([name, type]) => [
          name,
          type === 'Keyword'
            ? IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
            : IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
        ]),
      ),
    });
  } finally {
    await connection.close();
  }
}

/** Polls GetSystemInfo until it answers or `timeoutMs` passes. */
export async function waitForTemporal(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.close();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(
    `Temporal at ${address} did not answer within ${timeoutMs / 1000}s` +
      (lastError instanceof Error ? `: ${lastError.message}` : '.'),
  );
}

function findOnPath(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
