/**
 * A run's event history: ids contiguous from 1, each event with its time and exactly one
 * attributes field matching its type. Events are stored exactly as appended and returned as-is,
 * because replay determinism depends on getting back the same payloads.
 */
import { temporal } from './proto';
import { timestamp } from './time';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** The attributes field name for an event type: EVENT_TYPE_TIMER_FIRED → timerFiredEventAttributes. */
export function attributesKey(eventType: temporal.api.enums.v1.EventType): keyof HistoryEvent {
  const cached = ATTRIBUTE_KEYS.get(eventType);
  if (cached) return cached;
  const name = EventType[eventType];
  if (!name) throw new Error(`unknown event type ${eventType}`);
  const camel = name
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const key = `${camel}EventAttributes` as keyof HistoryEvent;
  ATTRIBUTE_KEYS.set(eventType, key);
  return key;
}

const ATTRIBUTE_KEYS = new Map<number, keyof HistoryEvent>();

/** Event types that close a run. */
export const CLOSE_EVENT_TYPES: ReadonlySet<number> = new Set([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

/** Append-only event log with change notification for long polls. */
export class EventLog {
  readonly events: HistoryEvent[] = [];
  private listeners: Array<() => void> = [];
  /** Rough size of the history for DescribeWorkflowExecution and WFT started events. */
  sizeBytes = 0;

  get lastEventId(): number {
    return this.events.length;
  }

  /** Appends an event and returns its id. `attributes` go into the field matching `eventType`. */
  append(eventType: temporal.api.enums.v1.EventType, attributes: object, nowMs = Date.now()): number {
    const eventId = this.events.length + 1;
    // Converted to a message once, so every later poll response re-serialises it cheaply and
    // every reader sees exactly the same bytes.
    const event = temporal.api.history.v1.HistoryEvent.fromObject({
      eventId,
      eventTime: timestamp(nowMs),
      eventType,
      taskId: eventId,
      [attributesKey(eventType)]: attributes,
    });
    this.events.push(event);
    this.sizeBytes += 64; // an estimate: exact sizes would cost an encode per event
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
    return eventId;
  }

  get(eventId: number): HistoryEvent | undefined {
    return this.events[eventId - 1];
  }

  /**
   * Resolves when an event is appended, or after `timeoutMs`, or when `signal` aborts.
   * Returns false on timeout/abort.
   */
  waitForAppend(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (appended: boolean): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.listeners = this.listeners.filter((l) => l !== onAppend);
        resolve(appended);
      };
      const onAppend = (): void => done(true);
      const onAbort = (): void => done(false);
      // Unref: a pending long poll must not keep an embedding process alive after stop().
      const timer = setTimeout(onAbort, timeoutMs).unref();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.listeners.push(onAppend);
    });
  }
}
