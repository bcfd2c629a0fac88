/**
 * Wall-clock arithmetic in an IANA time zone using only `Intl.DateTimeFormat` (no tz database
 * library). The schedule matcher works on local wall-clock fields, and needs two things from a zone:
 * the UTC offset at an instant, and where the offset changes (DST transitions).
 */
import { invalidArgument } from '../errors';

/** Local wall-clock fields. `month` is 1-12, `day` 1-31, `hour` 0-23. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** A time zone able to convert instants (epoch ms) to wall-clock fields and back. */
export interface TimeZone {
  /** The IANA name, `UTC` for the empty name. */
  readonly name: string;
  /** Offset from UTC in ms (local = utc + offset) at `epochMs`. */
  offsetAt(epochMs: number): number;
  /**
   * First instant in `(fromMs, toMs]` where the offset differs from the offset at `fromMs`, or
   * undefined. Assumes no zone changes its offset twice within a week (true for tzdb zones).
   */
  nextTransition(fromMs: number, toMs: number): number | undefined;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

const UTC_ZONE: TimeZone = {
  name: 'UTC',
  offsetAt: () => 0,
  nextTransition: () => undefined,
};

/**
 * Loads a zone by IANA name. The empty name means UTC, as in Temporal.
 * Throws INVALID_ARGUMENT ("Invalid schedule spec: …", which the TS client turns into a TypeError)
 * for names Intl does not know.
 */
export function loadTimeZone(name: string | null | undefined): TimeZone {
  if (!name || name === 'UTC' || name === 'Etc/UTC') return UTC_ZONE;
  let formatter = formatters.get(name);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw invalidArgument(
        `Invalid schedule spec: unknown time zone "${name}" (use an IANA name such as Europe/Paris)`,
      );
    }
    formatters.set(name, formatter);
  }
  return new IntlTimeZone(name, formatter);
}

class IntlTimeZone implements TimeZone {
  constructor(
    readonly name: string,
    private readonly formatter: Intl.DateTimeFormat,
  ) {}

  offsetAt(epochMs: number): number {
    const wholeSecond = Math.floor(epochMs / 1000) * 1000;
    const wall = this.wallAt(wholeSecond);
    return wallToEpoch(wall) - wholeSecond;
  }

  nextTransition(fromMs: number, toMs: number): number | undefined {
    const base = this.offsetAt(fromMs);
    // Scan in week-sized chunks so two transitions in one span (e.g. spring and autumn between
    // two yearly matches) cannot cancel out, then bisect to the second.
    const week = 7 * 86_400_000;
    for (let lo = fromMs; lo < toMs; lo += week) {
      const hi = Math.min(lo + week, toMs);
      if (this.offsetAt(hi) === base) continue;
      let a = lo;
      let b = hi;
      while (b - a > 1000) {
        const mid = Math.floor((a + b) / 2000) * 1000;
        if (mid <= a) break;
        if (this.offsetAt(mid) === base) a = mid;
        else b = mid;
      }
      return b;
    }
    return undefined;
  }

  private wallAt(epochMs: number): WallClock {
    const wall: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
    let bc = false;
    for (const part of this.formatter.formatToParts(new Date(epochMs))) {
      switch (part.type) {
        case 'year':
          wall.year = Number(part.value);
          break;
        case 'month':
          wall.month = Number(part.value);
          break;
        case 'day':
          wall.day = Number(part.value);
          break;
        case 'hour':
          wall.hour = Number(part.value);
          break;
        case 'minute':
          wall.minute = Number(part.value);
          break;
        case 'second':
          wall.second = Number(part.value);
          break;
        case 'era':
          bc = part.value.startsWith('B');
          break;
        default:
          break;
      }
    }
    if (bc) wall.year = 1 - wall.year;
    return wall;
  }
}

/** Wall-clock fields read as if they were UTC, in epoch ms. */
export function wallToEpoch(wall: WallClock): number {
  const d = new Date(0);
  d.setUTCFullYear(wall.year, wall.month - 1, wall.day);
  d.setUTCHours(wall.hour, wall.minute, wall.second, 0);
  return d.getTime();
}

/** Inverse of {@link wallToEpoch}. */
export function epochToWall(epochMs: number): WallClock {
  const d = new Date(epochMs);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** Local wall-clock fields of an instant in a zone. */
export function wallClockAt(zone: TimeZone, epochMs: number): WallClock {
  return epochToWall(epochMs + zone.offsetAt(epochMs));
}
