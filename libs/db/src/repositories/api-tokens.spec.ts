import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/test-database';
import { createApiTokenRepository, expandScopes } from './api-tokens';

describe('API tokens', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());

  it('issues one bootstrap admin token on first start only, even when starts race', async () => {
    const tokens = createApiTokenRepository(db.dataSource);
    const results = await Promise.all([1, 2, 3].map(() => tokens.createBootstrapTokenIfNone()));
    const issued = results.filter((t): t is string => t !== undefined);
    expect(issued).toHaveLength(1);
    expect(await tokens.verify(issued[0]!)).toMatchObject({
      name: 'bootstrap',
      scopes: ['read', 'write', 'admin'],
    });
    expect(await tokens.createBootstrapTokenIfNone()).toBeUndefined();
  });

  it('stores only a hash, verifies the plain token, and stops accepting it once revoked', async () => {
    const tokens = createApiTokenRepository(db.dataSource);
    const { token, id, prefix } = await tokens.create('ci', ['read']);
    expect(token.startsWith(prefix)).toBe(true);
    const dump = JSON.stringify(await db.dataSource.query('SELECT * FROM api_tokens'));
    expect(dump).not.toContain(token);
    expect(await tokens.verify(token)).toMatchObject({ name: 'ci', scopes: ['read'] });
    expect(await tokens.verify(`${token}x`)).toBeUndefined();
    expect(await tokens.verify('not-a-token')).toBeUndefined();
    expect(await tokens.revoke(id)).toBe(true);
    expect(await tokens.verify(token)).toBeUndefined();
  });

  it('expands scopes: admin implies write implies read', () => {
    expect(expandScopes(['write'])).toEqual(['read', 'write']);
    expect(expandScopes(['read'])).toEqual(['read']);
    expect(expandScopes([])).toEqual([]);
  });
});
