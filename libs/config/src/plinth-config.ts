import { Expose, plainToInstance, Transform } from 'class-transformer';
import {
  IsBase64,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { resolve } from 'node:path';

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Every environment variable Plinth reads, validated once at start-up.
 * Property names are the variable names, so an error message names exactly what to fix.
 * Documented in docs/configuration.md; keep the two in step.
 */
export class PlinthConfig {
  /** Folder for local state: the embedded PostgreSQL data, generated keys. Default `.plinth` in the working folder. */
  @Expose()
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  PLINTH_HOME: string = '.plinth';

  /** PostgreSQL connection URL. When unset, Plinth starts an embedded PostgreSQL under PLINTH_HOME. */
  @Expose()
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, {
    message: 'must be a PostgreSQL URL such as postgres://user:pass@host:5432/plinth',
  })
  DATABASE_URL?: string = undefined;

  /** host:port of a Temporal frontend. When unset, Plinth uses a `temporal` CLI on PATH or its built-in dev server. */
  @Expose()
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/, { message: 'must be host:port, for example 127.0.0.1:7233' })
  TEMPORAL_ADDRESS?: string = undefined;

  /** Temporal namespace Plinth's workflows run in. */
  @Expose()
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  TEMPORAL_NAMESPACE: string = 'default';

  /** Address the API listens on. Loopback by default; set 0.0.0.0 to expose it. */
  @Expose()
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  PLINTH_API_HOST: string = '127.0.0.1';

  /** Port the API listens on; 0 picks a free port. */
  @Expose()
  @Transform(emptyToUndefined)
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be an integer port number between 0 and 65535' })
  @Min(0, { message: 'must be an integer port number between 0 and 65535' })
  @Max(65535, { message: 'must be an integer port number between 0 and 65535' })
  PLINTH_API_PORT: number = 3000;

  /**
   * The API's URL as machines and their installers reach it (the boot provisioner's iPXE scripts,
   * install configs and callbacks). Default `http://<PLINTH_API_HOST>:<port>` (127.0.0.1 for 0.0.0.0).
   */
  @Expose()
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/]+(\/[^\s]*)?$/, { message: 'must be an http(s) URL like http://10.0.0.5:3000' })
  PLINTH_PUBLIC_URL?: string;

  /**
   * Key that encrypts secrets at rest: 32 bytes, base64 (`openssl rand -base64 32`). When unset,
   * one is generated into PLINTH_HOME/secret.key (mode 0600). Keep it: secrets are unreadable without it.
   */
  @Expose()
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsBase64({}, { message: 'must be 32 random bytes encoded as base64, e.g. from `openssl rand -base64 32`' })
  PLINTH_SECRET_KEY?: string = undefined;

  /** Log level for every Plinth process. */
  @Expose()
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  /** Absolute path of PLINTH_HOME. */
  get homeDir(): string {
    return resolve(this.PLINTH_HOME);
  }
}

/** Thrown when the environment does not describe a usable configuration; `problems` name each variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: { variable: string; expected: string }[]) {
    super(
      'Invalid configuration:\n' +
        problems.map((p) => `  ${p.variable}: ${p.expected}`).join('\n') +
        '\nSee docs/configuration.md for every variable.',
    );
  }
}

/**
 * Reads and validates the configuration from `env`.
 * @throws ConfigError listing every bad variable with what is expected.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlinthConfig {
  const known = Object.keys(new PlinthConfig());
  const relevant = Object.fromEntries(known.filter((k) => env[k] !== undefined).map((k) => [k, env[k]]));
  const config = plainToInstance(PlinthConfig, relevant, {
    excludeExtraneousValues: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(config, { forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(errors.map(describe));
  return config;
}

function describe(error: ValidationError): { variable: string; expected: string } {
  const messages = Object.values(error.constraints ?? {});
  const shown = error.value === undefined ? 'unset' : `got ${JSON.stringify(error.value)}`;
  return { variable: error.property, expected: `${messages[0] ?? 'is invalid'} (${shown})` };
}

/**
 * For process entry points: loads the configuration, or prints what is wrong and exits with
 * status 78 (EX_CONFIG) so a supervisor can tell a configuration error from a crash.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): PlinthConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

/** The API's URL as machines reach it: PLINTH_PUBLIC_URL, else derived from the listen address. */
export function publicApiUrl(
  config: Pick<PlinthConfig, 'PLINTH_PUBLIC_URL' | 'PLINTH_API_HOST' | 'PLINTH_API_PORT'>,
): string {
  if (config.PLINTH_PUBLIC_URL) return config.PLINTH_PUBLIC_URL.replace(/\/$/, '');
  const host = config.PLINTH_API_HOST === '0.0.0.0' ? '127.0.0.1' : config.PLINTH_API_HOST;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.PLINTH_API_PORT}`;
}
