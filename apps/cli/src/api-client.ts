import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where the CLI finds the API and which token it uses. */
export interface ApiTarget {
  url: string;
  token: string;
}

/**
 * `--api`/`--token` flags win; then PLINTH_API_URL / PLINTH_TOKEN; then what `npm start` left in
 * PLINTH_HOME (`api-url`, `admin-token`); the URL finally defaults to http://127.0.0.1:3000.
 */
export function resolveApiTarget(flags: { api?: string; token?: string }, env = process.env): ApiTarget {
  const home = resolve(env['PLINTH_HOME'] ?? '.plinth');
  const fromHome = (file: string): string | undefined =>
    existsSync(join(home, file)) ? readFileSync(join(home, file), 'utf8').trim() || undefined : undefined;
  const url = flags.api ?? env['PLINTH_API_URL'] ?? fromHome('api-url') ?? 'http://127.0.0.1:3000';
  const token = flags.token ?? env['PLINTH_TOKEN'] ?? fromHome('admin-token');
  if (!token)
    throw new Error(
      `no API token: pass --token, set PLINTH_TOKEN, or run \`npm start\` once here (it saves the first admin token in ${join(home, 'admin-token')})`,
    );
  return { url: url.replace(/\/$/, ''), token };
}

/** Calls the API; a non-2xx answer becomes an error carrying the API's `code` and `message`. */
export async function callApi<T>(
  target: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(
      `cannot reach the Plinth API at ${target.url} (${error instanceof Error ? error.message : String(error)}); is \`npm start\` running?`,
    );
  }
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = parsed as { code?: string; message?: string; details?: unknown } | undefined;
    const details = error?.details ? `\n${JSON.stringify(error.details, null, 2)}` : '';
    throw new Error(`${response.status} ${error?.code ?? ''}: ${error?.message ?? text}${details}`);
  }
  return parsed as T;
}
