/**
 * Conversions between protobuf Timestamp/Duration/int64 shapes and milliseconds.
 * Decoded int64 fields arrive as `Long`; objects built by handlers use numbers. Both are accepted.
 */
import Long from 'long';
import type { google } from './proto';

/** An int64 as it may appear in a request: Long, number, string or absent. */
export type Int64Like = number | string | { toString(): string } | null | undefined;

/** Converts any int64 representation to a number (0 when absent or unparsable). */
export function toNumber(value: Int64Like): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === 'number' ? value : Number(value.toString());
  return Number.isFinite(n) ? n : 0;
}

/** A Duration or Timestamp message to milliseconds; absent → 0. Negative values are clamped to 0. */
export function durationMs(
  d: google.protobuf.IDuration | google.protobuf.ITimestamp | null | undefined,
): number {
  if (!d) return 0;
  const ms = toNumber(d.seconds) * 1000 + Math.floor(toNumber(d.nanos) / 1_000_000);
  return ms > 0 ? ms : 0;
}

/** Milliseconds to a Duration/Timestamp message. Always returns a message, even for 0. */
export function msToProto(ms: number): google.protobuf.IDuration & google.protobuf.ITimestamp {
  const safe = Math.max(0, Math.floor(ms));
  return { seconds: Long.fromNumber(Math.floor(safe / 1000)), nanos: (safe % 1000) * 1_000_000 };
}

/** A number as the int64 `Long` the generated message types declare. */
export function int64(n: number): Long {
  return Long.fromNumber(n);
}

/** Epoch milliseconds to a Timestamp message. */
export const timestamp = msToProto;
