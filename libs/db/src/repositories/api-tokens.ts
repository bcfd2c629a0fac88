import { createHash, randomBytes } from 'node:crypto';
import { IsNull, type DataSource } from 'typeorm';
import { ApiTokenEntity } from '../entities/api-token.entity';

export const API_SCOPES = ['read', 'write', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** A verified caller. `scopes` is expanded: admin implies write, write implies read. */
export interface ApiPrincipal {
  tokenId: string;
  name: string;
  scopes: ApiScope[];
}

/** API tokens, stored only as SHA-256 hashes. The plain token exists once: in create()'s result. */
export interface ApiTokenRepository {
  /** Issues a token; the returned `token` is the only copy anywhere. */
  create(name: string, scopes: ApiScope[]): Promise<{ token: string; id: string; prefix: string }>;
  /** Resolves a presented token to its principal, or undefined when unknown or revoked. */
  verify(token: string): Promise<ApiPrincipal | undefined>;
  /** Issues an admin token named `bootstrap` only when no token exists yet (first start). */
  createBootstrapTokenIfNone(): Promise<string | undefined>;
  revoke(id: string): Promise<boolean>;
}

const TOKEN_PREFIX = 'plt_';
const hash = (token: string): string => createHash('sha256').update(token).digest('hex');

/** admin ⊃ write ⊃ read */
export function expandScopes(scopes: readonly string[]): ApiScope[] {
  if (scopes.includes('admin')) return ['read', 'write', 'admin'];
  if (scopes.includes('write')) return ['read', 'write'];
  return scopes.includes('read') ? ['read'] : [];
}

export function createApiTokenRepository(dataSource: DataSource): ApiTokenRepository {
  const repo = dataSource.getRepository(ApiTokenEntity);
  const create: ApiTokenRepository['create'] = async (name, scopes) => {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const prefix = token.slice(0, TOKEN_PREFIX.length + 6);
    const saved = await repo.save(repo.create({ name, scopes, prefix, tokenHash: hash(token) }));
    return { token, id: saved.id, prefix };
  };
  return {
    create,
    async verify(token) {
      if (!token.startsWith(TOKEN_PREFIX)) return undefined;
      const row = await repo.findOneBy({ tokenHash: hash(token), revokedAt: IsNull() });
      if (!row) return undefined;
      // Best effort bookkeeping; a failed update must not fail the request.
      void repo.update(row.id, { lastUsedAt: new Date() }).catch(() => undefined);
      return { tokenId: row.id, name: row.name, scopes: expandScopes(row.scopes) };
    },
    async createBootstrapTokenIfNone() {
      return dataSource.transaction(async (manager) => {
        // Serialise concurrent first starts so only one bootstrap token is ever issued.
        await manager.query('LOCK TABLE api_tokens IN EXCLUSIVE MODE');
        if ((await manager.count(ApiTokenEntity)) > 0) return undefined;
        const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
        await manager.save(
          manager.create(ApiTokenEntity, {
            name: 'bootstrap',
            scopes: ['admin'],
            prefix: token.slice(0, TOKEN_PREFIX.length + 6),
            tokenHash: hash(token),
          }),
        );
        return token;
      });
    },
    async revoke(id) {
      const result = await repo.update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
      return (result.affected ?? 0) > 0;
    },
  };
}
