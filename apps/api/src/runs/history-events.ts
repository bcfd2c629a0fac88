import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** One Temporal history event as the API shows it: typed, timed, payloads decoded. */
export interface RunEvent {
  id: number;
  time: string;
  /** Event type without the enum prefix, e.g. `ActivityTaskScheduled`. */
  type: string;
  /** One line for operators, e.g. `activity recordMachineStep scheduled`. */
  summary: string;
  /** The event's attributes with every payload decoded to its JSON value. */
  attributes: Record<string, unknown>;
}

const EventType = temporal.api.enums.v1.EventType;
const HistoryEvent = temporal.api.history.v1.HistoryEvent;

/** Decodes one raw history event. Payloads are data the workflow chose to record — never secrets, by contract. */
export function decodeHistoryEvent(event: temporal.api.history.v1.IHistoryEvent): RunEvent {
  const plain = HistoryEvent.toObject(HistoryEvent.fromObject(event), {
    longs: Number,
    enums: String,
    bytes: String,
    defaults: false,
  }) as Record<string, unknown>;
  const typeName = String(EventType[Number(event.eventType ?? 0)] ?? 'EVENT_TYPE_UNSPECIFIED');
  const type = typeName
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_match, _sep: string, letter: string) => letter.toUpperCase());
  const attributesKey = Object.keys(plain).find((key) => key.endsWith('EventAttributes'));
  const attributes = attributesKey ? (decodePayloads(plain[attributesKey]) as Record<string, unknown>) : {};
  const seconds = Number(event.eventTime?.seconds ?? 0);
  const nanos = Number(event.eventTime?.nanos ?? 0);
  return {
    id: Number(event.eventId ?? 0),
    time: new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString(),
    type,
    summary: summarize(type, attributes),
    attributes,
  };
}

/** Replaces every `{ metadata, data }` payload (and `{ payloads: [...] }` list) with its decoded value. */
function decodePayloads(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodePayloads);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (isPayload(record)) return decodePayload(record);
  if (Array.isArray(record['payloads']) && Object.keys(record).length === 1) {
    return (record['payloads'] as unknown[]).map((payload) =>
      isPayload(payload) ? decodePayload(payload) : decodePayloads(payload),
    );
  }
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, decodePayloads(inner)]));
}

function isPayload(value: unknown): value is { metadata: Record<string, string>; data?: string } {
  if (typeof value !== 'object' || value === null) return false;
  const metadata = (value as Record<string, unknown>)['metadata'];
  return typeof metadata === 'object' && metadata !== null && 'encoding' in metadata;
}

function decodePayload(payload: { metadata: Record<string, string>; data?: string }): unknown {
  const metadata = Object.fromEntries(
    Object.entries(payload.metadata).map(([key, base64]) => [key, Buffer.from(base64, 'base64')]),
  );
  try {
    return defaultPayloadConverter.fromPayload({
      metadata,
      data: payload.data ? Buffer.from(payload.data, 'base64') : undefined,
    });
  } catch {
    // Encodings the default converter does not know (e.g. encrypted by a codec) are shown, not guessed.
    const encoding = metadata['encoding']?.toString() ?? 'unknown';
    return { encoding, bytes: payload.data ? Buffer.from(payload.data, 'base64').length : 0 };
  }
}

function summarize(type: string, attributes: Record<string, unknown>): string {
  const name = (field: string): string => {
    const value = attributes[field];
    return typeof value === 'object' && value !== null
      ? String((value as { name?: unknown }).name ?? '')
      : '';
  };
  const failure = (): string => {
    const message = (attributes['failure'] as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? `: ${message}` : '';
  };
  switch (type) {
    case 'WorkflowExecutionStarted':
      return `workflow ${name('workflowType')} started`;
    case 'ActivityTaskScheduled':
      return `activity ${name('activityType')} scheduled`;
    case 'ActivityTaskStarted':
      return `activity started (attempt ${String(attributes['attempt'] ?? 1)})`;
    case 'ActivityTaskCompleted':
      return 'activity completed';
    case 'ActivityTaskFailed':
      return `activity failed${failure()}`;
    case 'ActivityTaskTimedOut':
      return `activity timed out${failure()}`;
    case 'WorkflowExecutionSignaled':
      return `signal ${String(attributes['signalName'] ?? '')} received`;
    case 'UpsertWorkflowSearchAttributes':
      return 'search attributes updated';
    case 'TimerStarted':
      return `timer started (${String(attributes['startToFireTimeout'] ?? '')})`;
    case 'WorkflowExecutionCompleted':
      return 'workflow completed';
    case 'WorkflowExecutionFailed':
      return `workflow failed${failure()}`;
    case 'WorkflowExecutionCanceled':
      return 'workflow canceled';
    case 'WorkflowExecutionCancelRequested':
      return 'cancellation requested';
    case 'WorkflowExecutionTerminated':
      return `workflow terminated${attributes['reason'] ? `: ${String(attributes['reason'])}` : ''}`;
    default:
      return type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  }
}
