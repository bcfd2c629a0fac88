/**
 * Schedule spec compilation and matching, following Temporal's semantics
 * (temporalio/temporal service/worker/scheduler/spec.go and calendar.go):
 *
 * - matching times are the union of structured calendars (plus cron strings and legacy calendar
 *   strings, which are first parsed into structured calendars) and intervals,
 * - minus times matched by any exclude calendar,
 * - within [startTime, endTime], at one-second resolution, in the spec's time zone,
 * - each nominal time is then delayed by a deterministic jitter that never passes the next nominal time.
 *
 * Calendars are searched field by field (year, month, day, hour, minute, second), so finding the
 * next time of a yearly calendar costs a handful of steps, not a scan of every second.
 */
import type { temporal } from '@temporalio/proto';
import { invalidArgument, type ServiceError } from '../errors';
import { msToDuration, protoToMs } from './proto-time';
import { epochToWall, loadTimeZone, wallToEpoch, type TimeZone, type WallClock } from './timezone';

type IScheduleSpec = temporal.api.schedule.v1.IScheduleSpec;
type IStructuredCalendarSpec = temporal.api.schedule.v1.IStructuredCalendarSpec;
type ICalendarSpec = temporal.api.schedule.v1.ICalendarSpec;
type IIntervalSpec = temporal.api.schedule.v1.IIntervalSpec;
type IRange = temporal.api.schedule.v1.IRange;

/** Temporal accepts calendar years in this range and never searches past the maximum. */
export const MIN_CALENDAR_YEAR = 2000;
export const MAX_CALENDAR_YEAR = 2100;

/** A matching time: `nominal` is the spec match, `actual` the nominal time plus jitter (epoch ms). */
export interface ScheduleTime {
  nominal: number;
  actual: number;
}

/** A compiled spec. All times are epoch milliseconds. */
export interface CompiledScheduleSpec {
  /**
   * The canonical form Temporal stores and describes: cron strings and calendar strings parsed into
   * `structuredCalendar`/`interval`, `@every`/`CRON_TZ` folded in, ranges cleaned
   * (end >= start, step >= 1) and defaults filled.
   */
  readonly canonical: IScheduleSpec;
  /** IANA zone the calendars are evaluated in (`UTC` when none was given). */
  readonly timeZoneName: string;
  /** The first matching time strictly after `after`, or undefined when the spec has no more times. */
  next(after: number): ScheduleTime | undefined;
  /**
   * Up to `count` matching times strictly after `after`, as actual (jittered) times, which equal the
   * nominal times when the spec has no jitter. Usable for futureActionTimes and ListScheduleMatchingTimes.
   */
  nextTimes(after: number, count: number): number[];
}

/** Options for {@link compileScheduleSpec}. */
export interface CompileSpecOptions {
  /** Seeds the deterministic jitter; Temporal uses `<namespace>-<scheduleId>`. */
  jitterSeed?: string;
}

/** Thrown for invalid specs; the prefix makes the TS client rethrow it as a TypeError. */
function invalidSpec(message: string): ServiceError {
  return invalidArgument(`Invalid schedule spec: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Ranges and string parsing

type FieldName = 'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'year' | 'dayOfWeek';

interface FieldInfo {
  min: number;
  max: number;
  /** Used when the field is missing or empty (year: empty list = every year). */
  defaults: IRange[];
}

const FIELDS: Record<FieldName, FieldInfo> = {
  second: { min: 0, max: 59, defaults: [{ start: 0, end: 0, step: 1 }] },
  minute: { min: 0, max: 59, defaults: [{ start: 0, end: 0, step: 1 }] },
  hour: { min: 0, max: 23, defaults: [{ start: 0, end: 0, step: 1 }] },
  dayOfMonth: { min: 1, max: 31, defaults: [{ start: 1, end: 31, step: 1 }] },
  month: { min: 1, max: 12, defaults: [{ start: 1, end: 12, step: 1 }] },
  year: { min: MIN_CALENDAR_YEAR, max: MAX_CALENDAR_YEAR, defaults: [] },
  dayOfWeek: { min: 0, max: 6, defaults: [{ start: 0, end: 6, step: 1 }] },
};

const FIELD_ORDER: FieldName[] = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'year', 'dayOfWeek'];

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

type ParseMode = 'int' | 'month' | 'dow';

function parseValue(text: string, mode: ParseMode): number | undefined {
  const lower = text.toLowerCase();
  // Names: months need at least three letters, days two (Temporal's rule), matched as prefixes.
  if (mode === 'month' && lower.length >= 3) {
    const i = MONTH_NAMES.findIndex((name) => name.startsWith(lower));
    if (i >= 0) return i + 1;
  }
  if (mode === 'dow' && lower.length >= 2) {
    const i = DAY_NAMES.findIndex((name) => name.startsWith(lower));
    if (i >= 0) return i;
  }
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * Parses one calendar field string (`*`, `5`, `1-5`, `1-5/2`, `3/5`, `mon-fri`, lists with `,`)
 * into ranges. Day of week accepts 7 as Sunday.
 */
function parseRangeString(raw: string | null | undefined, field: FieldName, label: string): IRange[] {
  const info = FIELDS[field];
  const mode: ParseMode = field === 'month' ? 'month' : field === 'dayOfWeek' ? 'dow' : 'int';
  const max = field === 'dayOfWeek' ? 7 : info.max;
  const text = (raw ?? '').trim();
  if (text === '') return info.defaults.map((r) => ({ ...r }));
  if (text === '*' && field === 'year') return [];
  const ranges: IRange[] = [];
  for (const part of text.split(',')) {
    let body = part.trim();
    let step = 1;
    let hasStep = false;
    const slash = body.split('/');
    if (slash.length > 2) throw invalidSpec(`${label} has too many slashes in "${part}"`);
    if (slash.length === 2) {
      const stepText = slash[1] ?? '';
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1)
        throw invalidSpec(`${label} has invalid step in "${part}"`);
      step = Number(stepText);
      hasStep = true;
      body = slash[0] ?? '';
    }
    let start = info.min;
    let end = max;
    if (body !== '*') {
      const dash = body.split('-');
      if (dash.length > 2) throw invalidSpec(`${label} has too many dashes in "${part}"`);
      const first = parseValue(dash[0] ?? '', mode);
      if (first === undefined || first < info.min || first > max) {
        throw invalidSpec(`${label} "${part}" is not in range [${info.min}-${max}]`);
      }
      start = first;
      if (dash.length === 2) {
        const last = parseValue(dash[1] ?? '', mode);
        if (last === undefined || last < start || last > max) {
          throw invalidSpec(`${label} end in "${part}" is before start or not in range [${info.min}-${max}]`);
        }
        end = last;
      } else if (!hasStep) {
        // `x/y` runs from x to the maximum; a bare `x` is just x.
        end = start;
      }
    }
    if (field === 'dayOfWeek' && end === 7) {
      // 7 is another spelling of Sunday (0). A step-1 range from 0 or 1 becomes 0-6; any other
      // range that reaches 7 gets Sunday as its own range. (Temporal turns 1-7 into 1-6, which
      // loses Sunday; we keep it.)
      if (step === 1 && start <= 1) {
        start = 0;
      } else if ((7 - start) % step === 0) {
        ranges.push({ start: 0, end: 0, step: 1 });
        if (start === 7) continue;
      }
      end = 6;
    }
    ranges.push({ start, end, step });
  }
  return ranges;
}

/** Parses a legacy string {@link ICalendarSpec} into its structured form. */
export function parseCalendarSpec(cal: ICalendarSpec): IStructuredCalendarSpec {
  const defaults: Record<FieldName, string> = {
    second: '0',
    minute: '0',
    hour: '0',
    dayOfMonth: '*',
    month: '*',
    year: '*',
    dayOfWeek: '*',
  };
  const out: IStructuredCalendarSpec = { comment: cal.comment ?? '' };
  for (const field of FIELD_ORDER) {
    const raw = cal[field];
    out[field] = parseRangeString(raw && raw.trim() !== '' ? raw : defaults[field], field, field);
  }
  return out;
}

/** Result of parsing one cron string: a calendar or an interval, plus an optional zone name. */
export interface ParsedCron {
  calendar?: IStructuredCalendarSpec;
  interval?: IIntervalSpec;
  timeZoneName?: string;
}

const PREDEFINED_CRON: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses Go-style durations as Temporal accepts them (`10s`, `1h30m`, `2d`), in ms. */
export function parseDurationMs(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    total += Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? ''] ?? 0);
    consumed = re.lastIndex;
  }
  if (text === '' || consumed !== text.length)
    throw invalidSpec(`invalid duration "${text}" (examples: 30s, 15m, 1h30m, 2d)`);
  return Math.round(total);
}

/**
 * Parses a cron string: optional `CRON_TZ=<zone> ` or `TZ=<zone> ` prefix, optional `# comment`,
 * then `@every <duration>[/<phase>]`, a predefined `@hourly`/`@daily`/`@weekly`/`@monthly`/`@yearly`,
 * or 5 fields (minute hour day-of-month month day-of-week), 6 (… year) or 7 (second … year),
 * as Temporal does. Day of month and day of week must both match (unlike Vixie cron's "either").
 */
export function parseCronString(cron: string): ParsedCron {
  let text = cron.trim();
  let timeZoneName: string | undefined;
  if (text.startsWith('TZ=') || text.startsWith('CRON_TZ=')) {
    const space = text.search(/\s/);
    if (space < 0) throw invalidSpec(`cron string "${cron}" has a time zone but no fields`);
    timeZoneName = text.slice(text.indexOf('=') + 1, space);
    text = text.slice(space + 1).trim();
  }
  let comment = '';
  const hash = text.indexOf('#');
  if (hash >= 0) {
    comment = text.slice(hash + 1).trim();
    text = text.slice(0, hash).trim();
  }
  if (text.startsWith('@every')) {
    const rest = text.slice('@every'.length).trim();
    if (rest === '') throw invalidSpec(`cron string "${cron}" has no interval after @every`);
    const [every = '', phase] = rest.split('/');
    const interval: IIntervalSpec = { interval: msToDuration(parseDurationMs(every.trim())) };
    if (phase !== undefined) interval.phase = msToDuration(parseDurationMs(phase.trim()));
    return { interval, ...(timeZoneName !== undefined ? { timeZoneName } : {}) };
  }
  text = PREDEFINED_CRON[text] ?? text;
  const fields = text.split(/\s+/).filter((f) => f !== '');
  const cal: ICalendarSpec = { comment };
  if (fields.length === 5) {
    [cal.minute, cal.hour, cal.dayOfMonth, cal.month, cal.dayOfWeek] = fields;
  } else if (fields.length === 6) {
    [cal.minute, cal.hour, cal.dayOfMonth, cal.month, cal.dayOfWeek, cal.year] = fields;
  } else if (fields.length === 7) {
    [cal.second, cal.minute, cal.hour, cal.dayOfMonth, cal.month, cal.dayOfWeek, cal.year] = fields;
  } else {
    throw invalidSpec(`cron string "${cron}" does not have 5-7 fields`);
  }
  return { calendar: parseCalendarSpec(cal), ...(timeZoneName !== undefined ? { timeZoneName } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Canonicalisation and validation

function cleanRanges(ranges: IRange[] | null | undefined, field: FieldName): IRange[] {
  if (!ranges || ranges.length === 0) return FIELDS[field].defaults.map((r) => ({ ...r }));
  return ranges.map((r) => {
    const start = r.start ?? 0;
    const end = r.end ?? 0;
    const step = r.step ?? 0;
    return { start, end: end < start ? start : end, step: step <= 0 ? 1 : step };
  });
}

function validateStructured(cal: IStructuredCalendarSpec, index: number, list: string): void {
  const errors: string[] = [];
  for (const field of FIELD_ORDER) {
    const info = FIELDS[field];
    for (const r of cal[field] ?? []) {
      const start = r.start ?? 0;
      const end = r.end ?? 0;
      if (start < info.min || start > info.max)
        errors.push(`${field} start ${start} is not in range [${info.min}-${info.max}]`);
      if (end !== 0 && (end < start || end > info.max)) {
        errors.push(`${field} end ${end} is before start or not in range [${info.min}-${info.max}]`);
      }
      if ((r.step ?? 0) < 0) errors.push(`${field} has negative step`);
    }
  }
  if ((cal.comment ?? '').length > 200) errors.push('comment is too long (max 200 characters)');
  if (errors.length > 0) throw invalidSpec(`${list}[${index}]: ${errors.join(', ')}`);
}

function canonicalize(spec: IScheduleSpec): IScheduleSpec {
  const structured: IStructuredCalendarSpec[] = [...(spec.structuredCalendar ?? [])];
  const excludes: IStructuredCalendarSpec[] = [...(spec.excludeStructuredCalendar ?? [])];
  const intervals: IIntervalSpec[] = [...(spec.interval ?? [])];
  for (const cal of spec.calendar ?? []) structured.push(parseCalendarSpec(cal));
  for (const cal of spec.excludeCalendar ?? []) excludes.push(parseCalendarSpec(cal));

  let cronZone: string | undefined;
  let first = true;
  for (const cron of spec.cronString ?? []) {
    const parsed = parseCronString(cron);
    const zone = parsed.timeZoneName ?? '';
    if (!first && zone !== (cronZone ?? ''))
      throw invalidSpec('all cron strings must use the same CRON_TZ time zone');
    cronZone = zone;
    first = false;
    if (parsed.calendar) structured.push(parsed.calendar);
    if (parsed.interval) intervals.push(parsed.interval);
  }
  let timezoneName = spec.timezoneName ?? '';
  if (cronZone) {
    if (timezoneName !== '' && timezoneName !== cronZone) {
      throw invalidSpec(`cron time zone "${cronZone}" conflicts with timezoneName "${timezoneName}"`);
    }
    timezoneName = cronZone;
  }

  structured.forEach((cal, i) => validateStructured(cal, i, 'structuredCalendar'));
  excludes.forEach((cal, i) => validateStructured(cal, i, 'excludeStructuredCalendar'));
  intervals.forEach((iv, i) => {
    const every = protoToMs(iv.interval) ?? 0;
    const phase = protoToMs(iv.phase) ?? 0;
    if (every < 1000) throw invalidSpec(`interval[${i}] is too small (minimum 1s)`);
    if (phase < 0) throw invalidSpec(`interval[${i}] phase is negative`);
    if (phase >= every) throw invalidSpec(`interval[${i}] phase must be smaller than the interval`);
  });

  const clean = (cal: IStructuredCalendarSpec): IStructuredCalendarSpec => {
    const out: IStructuredCalendarSpec = { comment: cal.comment ?? '' };
    for (const field of FIELD_ORDER) out[field] = cleanRanges(cal[field], field);
    return out;
  };
  const canonical: IScheduleSpec = {
    structuredCalendar: structured.map(clean),
    cronString: [],
    calendar: [],
    interval: intervals.map((iv) => ({ interval: iv.interval ?? null, phase: iv.phase ?? null })),
    excludeCalendar: [],
    excludeStructuredCalendar: excludes.map(clean),
    timezoneName,
  };
  if (spec.startTime) canonical.startTime = spec.startTime;
  if (spec.endTime) canonical.endTime = spec.endTime;
  if (spec.jitter) canonical.jitter = spec.jitter;
  return canonical;
}

// ---------------------------------------------------------------------------------------------
// Matching

/** `table[v]` = smallest allowed value >= v, or -1. */
function nextAllowedTable(ranges: IRange[], size: number): Int16Array {
  const allowed = new Uint8Array(size + 1);
  for (const r of ranges) {
    const start = r.start ?? 0;
    const end = r.end ?? start;
    const step = r.step && r.step > 0 ? r.step : 1;
    for (let v = start; v <= end && v <= size; v += step) if (v >= 0) allowed[v] = 1;
  }
  const table = new Int16Array(size + 2).fill(-1);
  for (let v = size; v >= 0; v--) table[v] = allowed[v] ? v : (table[v + 1] ?? -1);
  return table;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function dayOfWeek(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

function at(table: Int16Array, index: number): number {
  return table[index] ?? -1;
}

class CompiledCalendar {
  private readonly seconds: Int16Array;
  private readonly minutes: Int16Array;
  private readonly hours: Int16Array;
  private readonly days: Int16Array;
  private readonly months: Int16Array;
  private readonly weekdays: Int16Array;
  /** undefined = every year. */
  private readonly years: Set<number> | undefined;

  constructor(
    cal: IStructuredCalendarSpec,
    private readonly zone: TimeZone,
  ) {
    this.seconds = nextAllowedTable(cal.second ?? [], 59);
    this.minutes = nextAllowedTable(cal.minute ?? [], 59);
    this.hours = nextAllowedTable(cal.hour ?? [], 23);
    this.days = nextAllowedTable(cal.dayOfMonth ?? [], 31);
    this.months = nextAllowedTable(cal.month ?? [], 12);
    this.weekdays = nextAllowedTable(cal.dayOfWeek ?? [], 6);
    const yearRanges = cal.year ?? [];
    if (yearRanges.length > 0) {
      this.years = new Set();
      for (const r of yearRanges) {
        const start = r.start ?? 0;
        const end = Math.max(r.end ?? start, start);
        const step = r.step && r.step > 0 ? r.step : 1;
        for (let y = start; y <= end; y += step) this.years.add(y);
      }
    }
  }

  /** True when the instant's local wall clock matches every field. */
  matches(epochMs: number): boolean {
    const w = epochToWall(epochMs + this.zone.offsetAt(epochMs));
    return (
      (this.years === undefined || this.years.has(w.year)) &&
      at(this.months, w.month) === w.month &&
      at(this.days, w.day) === w.day &&
      at(this.weekdays, dayOfWeek(w.year, w.month, w.day)) === dayOfWeek(w.year, w.month, w.day) &&
      at(this.hours, w.hour) === w.hour &&
      at(this.minutes, w.minute) === w.minute &&
      at(this.seconds, w.second) === w.second
    );
  }

  /**
   * First matching instant strictly after `after` (whole seconds), or undefined.
   *
   * Works in wall-clock time at the offset in force at a cursor instant; when a DST transition lies
   * between the cursor and the candidate, the candidate was computed with the wrong offset, so the
   * search restarts at the transition. That skips wall times that do not exist (spring forward) and
   * visits repeated wall times twice (fall back), as Temporal does.
   */
  next(after: number): number | undefined {
    let cursor = Math.floor(after / 1000) * 1000 + 1000;
    for (let guard = 0; guard < 10_000; guard++) {
      const offset = this.zone.offsetAt(cursor);
      const wall = this.nextWall(epochToWall(cursor + offset));
      if (!wall) return undefined;
      const candidate = wallToEpoch(wall) - offset;
      const transition = this.zone.nextTransition(cursor, candidate);
      if (transition === undefined) return candidate;
      cursor = transition;
    }
    return undefined;
  }

  /** First matching wall-clock time >= `from`, by skipping whole fields. */
  private nextWall(from: WallClock): WallClock | undefined {
    let { year, month, day, hour, minute, second } = from;
    for (;;) {
      if (second > 59) [minute, second] = [minute + 1, 0];
      if (minute > 59) [hour, minute] = [hour + 1, 0];
      if (hour > 23) [day, hour] = [day + 1, 0];
      if (day > daysInMonth(year, month)) [month, day] = [month + 1, 1];
      if (month > 12) [year, month] = [year + 1, 1];
      if (year > MAX_CALENDAR_YEAR) return undefined;
      if (this.years !== undefined && !this.years.has(year)) {
        [year, month, day, hour, minute, second] = [year + 1, 1, 1, 0, 0, 0];
        continue;
      }
      const m = at(this.months, month);
      if (m !== month) {
        if (m < 0) [year, month] = [year + 1, 1];
        else month = m;
        [day, hour, minute, second] = [1, 0, 0, 0];
        continue;
      }
      const d = at(this.days, day);
      if (d < 0 || d > daysInMonth(year, month)) {
        [month, day, hour, minute, second] = [month + 1, 1, 0, 0, 0];
        continue;
      }
      if (d !== day) {
        [day, hour, minute, second] = [d, 0, 0, 0];
        continue;
      }
      if (at(this.weekdays, dayOfWeek(year, month, day)) !== dayOfWeek(year, month, day)) {
        [day, hour, minute, second] = [day + 1, 0, 0, 0];
        continue;
      }
      const h = at(this.hours, hour);
      if (h < 0) {
        [day, hour, minute, second] = [day + 1, 0, 0, 0];
        continue;
      }
      if (h !== hour) [hour, minute, second] = [h, 0, 0];
      const mi = at(this.minutes, minute);
      if (mi < 0) {
        [hour, minute, second] = [hour + 1, 0, 0];
        continue;
      }
      if (mi !== minute) [minute, second] = [mi, 0];
      const s = at(this.seconds, second);
      if (s < 0) {
        [minute, second] = [minute + 1, 0];
        continue;
      }
      return { year, month, day, hour, minute, second: s };
    }
  }
}

/** FNV-1a, 32 bits: a cheap stable hash so jitter is the same for a nominal time on every call. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Exclusions that swallow every candidate must not spin forever (Temporal bounds this too). */
const MAX_EXCLUDED_ITERATIONS = 100_000;

class Spec implements CompiledScheduleSpec {
  readonly timeZoneName: string;
  private readonly calendars: CompiledCalendar[];
  private readonly excludes: CompiledCalendar[];
  private readonly intervals: { everySec: number; phaseSec: number }[];
  private readonly startMs: number | undefined;
  private readonly endMs: number | undefined;
  private readonly jitterMs: number;

  constructor(
    readonly canonical: IScheduleSpec,
    private readonly jitterSeed: string,
  ) {
    const zone = loadTimeZone(canonical.timezoneName);
    this.timeZoneName = zone.name;
    this.calendars = (canonical.structuredCalendar ?? []).map((c) => new CompiledCalendar(c, zone));
    this.excludes = (canonical.excludeStructuredCalendar ?? []).map((c) => new CompiledCalendar(c, zone));
    this.intervals = (canonical.interval ?? []).map((iv) => ({
      everySec: Math.max(1, Math.floor((protoToMs(iv.interval) ?? 0) / 1000)),
      phaseSec: Math.max(0, Math.floor((protoToMs(iv.phase) ?? 0) / 1000)),
    }));
    this.startMs = protoToMs(canonical.startTime);
    this.endMs = protoToMs(canonical.endTime);
    this.jitterMs = Math.max(0, protoToMs(canonical.jitter) ?? 0);
  }

  next(after: number): ScheduleTime | undefined {
    // Start one second before startTime so a match exactly at startTime is included.
    let cursor = this.startMs !== undefined ? Math.max(after, this.startMs - 1000) : after;
    let nominal: number | undefined;
    for (let i = 0; ; i++) {
      if (i >= MAX_EXCLUDED_ITERATIONS) return undefined;
      nominal = this.rawNext(cursor);
      if (nominal === undefined || (this.endMs !== undefined && nominal > this.endMs)) return undefined;
      if (new Date(nominal).getUTCFullYear() > MAX_CALENDAR_YEAR) return undefined;
      if (!this.excludes.some((ex) => ex.matches(nominal as number))) break;
      cursor = nominal;
    }
    return { nominal, actual: nominal + this.jitterFor(nominal) };
  }

  nextTimes(after: number, count: number): number[] {
    const out: number[] = [];
    let cursor = after;
    while (out.length < count) {
      const t = this.next(cursor);
      if (!t) break;
      out.push(t.actual);
      cursor = t.nominal;
    }
    return out;
  }

  /** Jitter never pushes a time past the following nominal time. */
  private jitterFor(nominal: number): number {
    if (this.jitterMs <= 0) return 0;
    const following = this.rawNext(nominal);
    const max = following === undefined ? this.jitterMs : Math.min(this.jitterMs, following - nominal);
    if (max <= 0) return 0;
    return Math.floor((fnv1a32(`${this.jitterSeed}|${nominal}`) / 2 ** 32) * max);
  }

  private rawNext(after: number): number | undefined {
    let best: number | undefined;
    for (const cal of this.calendars) {
      const t = cal.next(after);
      if (t !== undefined && (best === undefined || t < best)) best = t;
    }
    const afterSec = Math.floor(after / 1000);
    for (const { everySec, phaseSec } of this.intervals) {
      const t = ((Math.floor((afterSec - phaseSec) / everySec) + 1) * everySec + phaseSec) * 1000;
      if (best === undefined || t < best) best = t;
    }
    return best;
  }
}

/**
 * Validates and compiles a schedule spec. Throws INVALID_ARGUMENT with a message starting
 * "Invalid schedule spec: " (the TS client turns that into a TypeError) for malformed cron strings,
 * out-of-range calendar fields, intervals under one second, phases not below the interval, and
 * unknown time zones.
 */
export function compileScheduleSpec(
  spec: IScheduleSpec | null | undefined,
  options: CompileSpecOptions = {},
): CompiledScheduleSpec {
  const canonical = canonicalize(spec ?? {});
  return new Spec(canonical, options.jitterSeed ?? '');
}
