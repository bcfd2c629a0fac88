import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './plinth-config';

describe('loadConfig', () => {
  it('applies documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.PLINTH_API_PORT).toBe(3000);
    expect(config.PLINTH_API_HOST).toBe('127.0.0.1');
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.homeDir).toBe(resolve('.plinth'));
  });

  it('parses numbers and keeps given values', () => {
    const config = loadConfig({
      PLINTH_API_PORT: '8080',
      TEMPORAL_ADDRESS: 'temporal.example:7233',
      LOG_LEVEL: 'debug',
    });
    expect(config.PLINTH_API_PORT).toBe(8080);
    expect(config.TEMPORAL_ADDRESS).toBe('temporal.example:7233');
    expect(config.LOG_LEVEL).toBe('debug');
  });

  it('names every bad variable and what it expects', () => {
    let error: unknown;
    try {
      loadConfig({ PLINTH_API_PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(problems).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PLINTH_API_PORT']);
    expect((error as ConfigError).message).toContain(
      'PLINTH_API_PORT: must be an integer port number between 0 and 65535 (got "eighty")',
    );
    expect((error as ConfigError).message).toContain('DATABASE_URL: must be a PostgreSQL URL');
  });

  it('rejects a port out of range and a malformed Temporal address', () => {
    expect(() => loadConfig({ PLINTH_API_PORT: '70000' })).toThrow(/PLINTH_API_PORT/);
    expect(() => loadConfig({ TEMPORAL_ADDRESS: 'localhost' })).toThrow(
      /TEMPORAL_ADDRESS: must be host:port/,
    );
  });

  it('stops a process with exit status 78 and a message naming the variable', () => {
    const script = "require('./libs/config/src').loadConfigOrExit(); console.log('started');";
    const result = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', script], {
      cwd: resolve(__dirname, '../../..'),
      env: { ...process.env, PLINTH_API_PORT: 'x' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(78);
    expect(result.stderr).toContain('PLINTH_API_PORT');
    expect(result.stdout).not.toContain('started');
  });
});
