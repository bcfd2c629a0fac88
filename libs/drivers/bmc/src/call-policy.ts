/**
 * How long a BMC call may take and how often it is retried. Flaky BMCs are the norm, so nothing is
 * hard-coded: every field can be set for a driver (registry defaults) and again per call site.
 */
export interface BmcCallPolicy {
  /** One HTTP request or one ipmitool run, in ms; a BMC that holds a request longer is unreachable. */
  requestTimeoutMs: number;
  /** Attempts of one request, the first included (≥ 1). */
  maxAttempts: number;
  /** Bound on one call with all its retries and waits, in ms. */
  totalTimeoutMs: number;
  /** First backoff, in ms; doubles per attempt (full jitter), capped by {@link maxBackoffMs}. */
  initialBackoffMs: number;
  /** Largest backoff, in ms. A `Retry-After` from the BMC is honoured even when longer. */
  maxBackoffMs: number;
  /** Longest pause between two task-monitor polls, in ms (the BMC's `Retry-After` is used when shorter). */
  taskPollIntervalMs: number;
  /** Bound on waiting for one BMC task (volume create/delete), in ms. */
  taskTimeoutMs: number;
}

/** Defaults for a worker talking to real BMCs. */
export const DEFAULT_BMC_CALL_POLICY: Readonly<BmcCallPolicy> = Object.freeze({
  requestTimeoutMs: 20_000,
  maxAttempts: 5,
  totalTimeoutMs: 120_000,
  initialBackoffMs: 250,
  maxBackoffMs: 10_000,
  taskPollIntervalMs: 5_000,
  taskTimeoutMs: 30 * 60_000,
});

/** `base` with the fields of each override applied in order; invalid numbers are rejected. */
export function resolvePolicy(
  base: Readonly<BmcCallPolicy>,
  ...overrides: (Partial<BmcCallPolicy> | undefined)[]
): BmcCallPolicy {
  const policy: BmcCallPolicy = { ...base };
  for (const override of overrides) {
    if (!override) continue;
    for (const [key, value] of Object.entries(override) as [keyof BmcCallPolicy, number | undefined][]) {
      if (value !== undefined) policy[key] = value;
    }
  }
  for (const [key, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`BMC call policy ${key} must be ≥ 0, got ${value}`);
  }
  if (policy.maxAttempts < 1) throw new RangeError('BMC call policy maxAttempts must be at least 1');
  return policy;
}

/** Exponential backoff with full jitter before attempt `attempt + 1` (attempt counts from 1). */
export function backoffMs(
  policy: BmcCallPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * A `Retry-After` header in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable.
 */
export function retryAfterMs(header: string | undefined, now: number = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The error an aborted call rejects with: the signal's reason when it is an Error. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error(typeof reason === 'string' ? reason : 'the BMC call was cancelled');
  error.name = 'AbortError';
  return error;
}

/** Waits `ms`, or rejects with the abort reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal as AbortSignal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
