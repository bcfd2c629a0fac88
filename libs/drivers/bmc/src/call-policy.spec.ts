import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs, DEFAULT_BMC_CALL_POLICY, resolvePolicy, retryAfterMs, sleep } from './call-policy';

describe('BMC call policy', () => {
  it('overrides field by field and rejects nonsense', () => {
    const policy = resolvePolicy(DEFAULT_BMC_CALL_POLICY, { maxAttempts: 2 }, { requestTimeoutMs: 500 });
    expect(policy).toEqual({ ...DEFAULT_BMC_CALL_POLICY, maxAttempts: 2, requestTimeoutMs: 500 });
    expect(() => resolvePolicy(DEFAULT_BMC_CALL_POLICY, { maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolvePolicy(DEFAULT_BMC_CALL_POLICY, { totalTimeoutMs: -1 })).toThrow(/totalTimeoutMs/);
  });

  it('backs off exponentially with jitter, within [ceiling/2, ceiling] and never above maxBackoffMs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (attempt, random) => {
          const policy = resolvePolicy(DEFAULT_BMC_CALL_POLICY, {
            initialBackoffMs: 100,
            maxBackoffMs: 5_000,
          });
          const ceiling = Math.min(5_000, 100 * 2 ** (attempt - 1));
          const wait = backoffMs(policy, attempt, () => random);
          expect(wait).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(wait).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMs('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });

  it('stops sleeping when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const sleeping = sleep(60_000, controller.signal);
    controller.abort(new Error('activity cancelled'));
    await expect(sleeping).rejects.toThrow('activity cancelled');
  });
});
