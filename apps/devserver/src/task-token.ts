/**
 * Task tokens are opaque to workers; the server encodes enough to find the task again and to
 * reject stale completions (a newer attempt, an already completed task, a different run).
 */
import { invalidArgument } from './errors';

/** What a task token identifies. `seq` is the WFT/activity scheduled event id, or a query id. */
export interface TaskToken {
  kind: 'wft' | 'activity' | 'query';
  namespace: string;
  workflowId: string;
  runId: string;
  seq: number;
  attempt: number;
}

export function encodeTaskToken(token: TaskToken): Buffer {
  return Buffer.from(JSON.stringify(token), 'utf8');
}

/** Decodes a token from a request; anything that is not a token of ours is INVALID_ARGUMENT. */
export function decodeTaskToken(
  bytes: Uint8Array | null | undefined,
  expected?: TaskToken['kind'],
): TaskToken {
  if (!bytes || bytes.length === 0) throw invalidArgument('Task token not set on request.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw invalidArgument('Error deserializing task token.');
  }
  const t = parsed as Partial<TaskToken> | null;
  if (
    !t ||
    typeof t !== 'object' ||
    (t.kind !== 'wft' && t.kind !== 'activity' && t.kind !== 'query') ||
    typeof t.namespace !== 'string' ||
    typeof t.workflowId !== 'string' ||
    typeof t.runId !== 'string' ||
    typeof t.seq !== 'number' ||
    typeof t.attempt !== 'number'
  ) {
    throw invalidArgument('Error deserializing task token.');
  }
  if (expected && t.kind !== expected) throw invalidArgument(`Task token is not a ${expected} task token.`);
  return t as TaskToken;
}
