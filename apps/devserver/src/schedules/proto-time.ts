/**
 * Conversions between protobuf Timestamp/Duration/int64 and plain numbers (epoch ms, ms, counts).
 * Requests decoded by grpc carry `Long` for int64 fields, while tests and hand-built requests often
 * carry plain numbers, so every reader accepts both.
 */
import Long from 'long';
import type { google } from '@temporalio/proto';

type Int64 = Long | number | string | null | undefined;

/** An int64 field as a JS number (0 when unset). */
export function int64ToNumber(value: Int64): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  return Long.fromValue(value).toNumber();
}

/** A JS number as a protobuf int64 (`Long`), the form the generated types declare. */
export function toLong(value: number): Long {
  return Long.fromNumber(value);
}

/** Timestamp or Duration → milliseconds; undefined when unset. */
export function protoToMs(
  value: google.protobuf.ITimestamp | google.protobuf.IDuration | null | undefined,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  return int64ToNumber(value.seconds) * 1000 + Math.floor((value.nanos ?? 0) / 1_000_000);
}

/** Epoch milliseconds → Timestamp. */
export function msToTimestamp(epochMs: number): google.protobuf.ITimestamp {
  const seconds = Math.floor(epochMs / 1000);
  return { seconds: toLong(seconds), nanos: Math.round((epochMs - seconds * 1000) * 1_000_000) };
}

/** Milliseconds → Duration. */
export function msToDuration(ms: number): google.protobuf.IDuration {
  return msToTimestamp(ms);
}

/** RFC 3339 at second precision in UTC, as Temporal appends to scheduled workflow ids. */
export function formatRfc3339Seconds(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
