/** A levelled one-line logger to stderr (the CLI's `--log-level`). */
import type { DevServerLogger } from './state/store';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
): DevServerLogger {
  const at = (l: LogLevel) => (message: string) => {
    if (ORDER[l] >= ORDER[level])
      write(`${new Date().toISOString()} ${l.toUpperCase()} plinth-devserver: ${message}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
