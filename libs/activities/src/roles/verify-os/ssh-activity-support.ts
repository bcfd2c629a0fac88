/**
 * What the SSH roles' activities (verify-os, network, Kubernetes, OpenStack) share: turning role
 * errors into Temporal failures, the cancellation signal, and heartbeats during long waits.
 */
import { Context } from '@temporalio/activity';
import { RoleError, toApplicationFailure } from '@plinth/contracts';

/** The running activity's context, or undefined when called outside one (plain unit tests). */
function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * Run an activity body: a {@link RoleError} becomes the `ApplicationFailure` the workflow sees
 * (type = code, retryability from the code); anything else (cancellation included) passes as is.
 */
export async function roleActivity<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof RoleError) throw toApplicationFailure(error);
    throw error;
  }
}

/** Aborted when Temporal cancels the activity (undefined outside an activity). */
export function cancellationSignal(): AbortSignal | undefined {
  return currentContext()?.cancellationSignal;
}

/** Record a heartbeat with progress details (no-op outside an activity). */
export function heartbeat(details: unknown): void {
  currentContext()?.heartbeat(details);
}

/**
 * Await `work` while heartbeating `details()` every `intervalMs`, so a long command (helm --wait,
 * netplan try) shows progress and a lost worker is detected by its heartbeat timeout.
 */
export async function withHeartbeats<T>(
  work: Promise<T>,
  details: () => unknown,
  intervalMs: number,
): Promise<T> {
  heartbeat(details());
  const timer = setInterval(() => heartbeat(details()), intervalMs);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** Sleep that ends early (rejecting with the reason) when the activity is cancelled. */
export function sleepUnlessCancelled(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
