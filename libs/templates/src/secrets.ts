import { RoleError } from '@plinth/contracts';
import type { Params } from '@plinth/domain';

/** A secret reference as operators write it in params: `secret/<name>`. */
export const SECRET_REF_PATTERN = /^secret\/[a-z0-9][a-z0-9._-]{0,127}$/;

/** What to show instead of a secret value or a boot token in previews. */
export const MASK = '********';

/** Reads a secret's value by reference (the secret store's `reveal`). */
export type RevealSecret = (ref: string) => Promise<string>;

/** Params with every `secret/<name>` string replaced by its value, and the values that were revealed. */
export interface ResolvedParams {
  params: Params;
  /** The revealed values (to mask them in previews); never log or return these. */
  revealed: string[];
  /** The references resolved, in order of first use (safe to show). */
  refs: string[];
}

/**
 * Resolves secret references anywhere in params (at any depth, in objects and arrays) at render
 * time, so templates see values while specs, history and logs only ever hold references.
 * A reference to a missing secret fails with `SecretMissing`, naming the reference and its path.
 */
export async function resolveSecretParams(params: Params, reveal: RevealSecret): Promise<ResolvedParams> {
  const revealed: string[] = [];
  const refs: string[] = [];
  const cache = new Map<string, string>();
  const visit = async (value: unknown, path: string): Promise<unknown> => {
    if (typeof value === 'string' && SECRET_REF_PATTERN.test(value)) {
      let secret = cache.get(value);
      if (secret === undefined) {
        try {
          secret = await reveal(value);
        } catch (error) {
          const name = error instanceof Error ? error.name : '';
          if (name === 'SecretNotFoundError') {
            throw new RoleError(
              'SecretMissing',
              `${path} references ${value}, which does not exist: create it with POST /secrets, or change the params`,
              { ref: value, path },
            );
          }
          throw error;
        }
        cache.set(value, secret);
        refs.push(value);
        revealed.push(secret);
      }
      return secret;
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const [index, item] of value.entries()) out.push(await visit(item, `${path}[${index}]`));
      return out;
    }
    if (typeof value === 'object' && value !== null) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        Object.defineProperty(out, key, {
          value: await visit(item, `${path}.${key}`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  };
  return { params: (await visit(params, 'params')) as Params, revealed, refs };
}

/**
 * Replaces every line of every revealed secret in `text` with {@link MASK}: as written raw, and as
 * the `yaml` and `shq` filters write it (JSON-escaped, shell-escaped).
 */
export function maskSecrets(text: string, revealed: readonly string[]): string {
  const needles = new Set<string>();
  for (const secret of revealed) {
    for (const line of secret.split(/\r?\n/)) {
      const trimmed = line.trim();
      // Very short values (a "1", a "true") would mask unrelated text; they are not secrets worth the name.
      if (trimmed.length < 4) continue;
      needles.add(trimmed);
      needles.add(JSON.stringify(trimmed).slice(1, -1));
      needles.add(trimmed.replace(/'/g, `'\\''`));
    }
  }
  let masked = text;
  // Longest first, so a value containing another is masked whole.
  for (const needle of [...needles].sort((a, b) => b.length - a.length))
    masked = masked.split(needle).join(MASK);
  return masked;
}
