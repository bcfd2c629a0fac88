import { ConfigError } from '@plinth/config';
import { startLocalStack } from '@plinth/stack';

/**
 * `plinth up`: brings the local stack up, prints where everything is, and keeps it running until
 * Ctrl-C (or SIGTERM), then stops everything it started. With `exit`, stops right after the
 * self-check — for scripts and CI. Returns the process exit code.
 */
export async function upCommand(options: { exit: boolean }): Promise<number> {
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  say('Starting Plinth (PostgreSQL, Temporal, API, worker)…');
  // Signals are ours from the first moment: Ctrl-C during start-up must still stop what was started.
  const interrupted = new AbortController();
  const signalled = new Promise<string>((resolve) => {
    const on = (signal: string) => () => {
      interrupted.abort();
      resolve(signal);
    };
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
  let stack;
  try {
    stack = await startLocalStack(say, { signal: interrupted.signal });
  } catch (error) {
    process.stderr.write(
      `✗ ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`,
    );
    process.stderr.write('Nothing was left running. Logs are in .plinth/logs/.\n');
    return interrupted.signal.aborted ? 130 : 1;
  }
  say('');
  say(`  API        ${stack.apiUrl}`);
  say(`  API docs   ${stack.docsUrl}`);
  say(`  Health     ${stack.apiUrl}/healthz`);
  say(
    `  Temporal   ${stack.temporal.address}${stack.temporal.uiUrl ? `  (UI ${stack.temporal.uiUrl})` : ''}`,
  );
  say(
    `  Processes  ${Object.entries(stack.pids)
      .map(([n, p]) => `${n}=${p}`)
      .join(' ')}`,
  );
  say('');

  if (options.exit) {
    await stack.stop();
    say('Stopped everything (--exit).');
    return 0;
  }
  say('Plinth is running. Press Ctrl-C to stop.');
  const outcome = await Promise.race([
    signalled.then((signal) => ({ signal, crash: undefined })),
    stack.crashed.then((crash) => ({ signal: undefined, crash })),
  ]);
  if (outcome.crash)
    process.stderr.write(
      `✗ ${outcome.crash.name} exited unexpectedly (${outcome.crash.code}); stopping the rest.\n`,
    );
  say('Stopping…');
  await stack.stop();
  say('Stopped everything.');
  return outcome.crash ? 1 : 0;
}
