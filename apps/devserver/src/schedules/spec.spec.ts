import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../errors';
import { msToDuration, msToTimestamp } from './proto-time';
import { compileScheduleSpec, parseCronString, parseDurationMs } from './spec';

const t = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The next `count` times after `after`, as ISO strings, for readable tables. */
function times(spec: Parameters<typeof compileScheduleSpec>[0], after: string, count: number): string[] {
  return compileScheduleSpec(spec).nextTimes(t(after), count).map(iso);
}

function expectInvalid(fn: () => unknown, fragment: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe(status.INVALID_ARGUMENT);
    expect((err as ServiceError).message).toMatch(/^Invalid schedule spec: /);
    expect((err as ServiceError).message).toContain(fragment);
    return;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('cron strings', () => {
  it.each([
    [
      '0 12 * * 1-5',
      '2024-01-05T13:00:00Z',
      ['2024-01-08T12:00:00Z', '2024-01-09T12:00:00Z', '2024-01-10T12:00:00Z'],
    ],
    [
      '*/15 * * * *',
      '2024-01-01T00:00:00Z',
      ['2024-01-01T00:15:00Z', '2024-01-01T00:30:00Z', '2024-01-01T00:45:00Z'],
    ],
    [
      '5-20/5 3 * * *',
      '2024-01-01T03:10:00Z',
      ['2024-01-01T03:15:00Z', '2024-01-01T03:20:00Z', '2024-01-02T03:05:00Z'],
    ],
    [
      '0 0 1,15 * *',
      '2024-01-01T00:00:00Z',
      ['2024-01-15T00:00:00Z', '2024-02-01T00:00:00Z', '2024-02-15T00:00:00Z'],
    ],
    [
      '0 9 * jan-feb mon',
      '2024-02-20T00:00:00Z',
      ['2024-02-26T09:00:00Z', '2025-01-06T09:00:00Z', '2025-01-13T09:00:00Z'],
    ],
    [
      '0 0 * * 7',
      '2024-01-01T00:00:00Z',
      ['2024-01-07T00:00:00Z', '2024-01-14T00:00:00Z', '2024-01-21T00:00:00Z'],
    ],
    // Temporal ANDs day of month and day of week: Friday the 13th.
    [
      '0 0 13 * fri',
      '2024-01-01T00:00:00Z',
      ['2024-09-13T00:00:00Z', '2024-12-13T00:00:00Z', '2025-06-13T00:00:00Z'],
    ],
    // 6 fields: the sixth is the year.
    ['0 0 1 1 * 2026-2027', '2024-06-01T00:00:00Z', ['2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z']],
    // 7 fields: seconds first, year last.
    ['30 0 9 * * * 2025', '2024-12-31T23:00:00Z', ['2025-01-01T09:00:30Z', '2025-01-02T09:00:30Z']],
    ['@hourly', '2024-01-01T10:20:00Z', ['2024-01-01T11:00:00Z', '2024-01-01T12:00:00Z']],
    ['@daily', '2024-01-01T10:20:00Z', ['2024-01-02T00:00:00Z', '2024-01-03T00:00:00Z']],
    ['@weekly', '2024-01-01T10:20:00Z', ['2024-01-07T00:00:00Z', '2024-01-14T00:00:00Z']],
    ['@monthly', '2024-01-01T10:20:00Z', ['2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z']],
    ['@yearly', '2024-01-01T10:20:00Z', ['2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z']],
    [
      '@every 10s',
      '2024-01-01T00:00:03Z',
      ['2024-01-01T00:00:10Z', '2024-01-01T00:00:20Z', '2024-01-01T00:00:30Z'],
    ],
    ['@every 1h/15m', '2024-01-01T00:20:00Z', ['2024-01-01T01:15:00Z', '2024-01-01T02:15:00Z']],
    ['0 12 * * * # lunch', '2024-01-01T00:00:00Z', ['2024-01-01T12:00:00Z']],
  ])('%s after %s', (cron, after, expected) => {
    expect(times({ cronString: [cron] }, after, expected.length)).toEqual(expected);
  });

  it('applies a CRON_TZ prefix as the spec time zone (winter and summer offsets)', () => {
    const spec = compileScheduleSpec({ cronString: ['CRON_TZ=America/New_York 0 9 * * *'] });
    expect(spec.timeZoneName).toBe('America/New_York');
    expect(spec.canonical.timezoneName).toBe('America/New_York');
    expect(spec.nextTimes(t('2024-01-15T00:00:00Z'), 1).map(iso)).toEqual(['2024-01-15T14:00:00Z']);
    expect(spec.nextTimes(t('2024-07-15T00:00:00Z'), 1).map(iso)).toEqual(['2024-07-15T13:00:00Z']);
    expect(times({ cronString: ['TZ=Asia/Kolkata 30 9 * * *'] }, '2024-01-01T00:00:00Z', 1)).toEqual([
      '2024-01-01T04:00:00Z',
    ]);
  });

  it('compiles cron strings into the canonical structured form the client decodes', () => {
    const spec = compileScheduleSpec({ cronString: ['15 2 * * mon-fri'] });
    expect(spec.canonical.cronString).toEqual([]);
    expect(spec.canonical.structuredCalendar).toEqual([
      {
        comment: '',
        second: [{ start: 0, end: 0, step: 1 }],
        minute: [{ start: 15, end: 15, step: 1 }],
        hour: [{ start: 2, end: 2, step: 1 }],
        dayOfMonth: [{ start: 1, end: 31, step: 1 }],
        month: [{ start: 1, end: 12, step: 1 }],
        year: [],
        dayOfWeek: [{ start: 1, end: 5, step: 1 }],
      },
    ]);
    expect(compileScheduleSpec({ cronString: ['@every 90s'] }).canonical.interval).toHaveLength(1);
    const dow = (cron: string) =>
      compileScheduleSpec({ cronString: [cron] }).canonical.structuredCalendar?.[0]?.dayOfWeek;
    expect(dow('0 0 * * *')).toEqual([{ start: 0, end: 6, step: 1 }]);
    expect(dow('0 0 * * 1-7')).toEqual([{ start: 0, end: 6, step: 1 }]);
    expect(dow('0 0 * * 7')).toEqual([{ start: 0, end: 0, step: 1 }]);
    expect(dow('0 0 * * 3-7/2')).toEqual([
      { start: 0, end: 0, step: 1 },
      { start: 3, end: 6, step: 2 },
    ]);
    expect(dow('0 0 * * 5-7')).toEqual([
      { start: 0, end: 0, step: 1 },
      { start: 5, end: 6, step: 1 },
    ]);
  });

  it('parses Go-style durations', () => {
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('2d')).toBe(172_800_000);
    expect(parseDurationMs('1500ms')).toBe(1500);
    expect(() => parseDurationMs('10 parsecs')).toThrow(ServiceError);
  });

  it.each([
    ['0 12 * *', '5-7 fields'],
    ['60 * * * *', 'minute "60" is not in range'],
    ['0 0 * * 8', 'not in range'],
    ['5-1 * * * *', 'before start'],
    ['*/0 * * * *', 'invalid step'],
    ['1/2/3 * * * *', 'too many slashes'],
    ['CRON_TZ=Mars/Olympus 0 0 * * *', 'unknown time zone'],
    ['@every', 'no interval'],
  ])('rejects %s', (cron, fragment) => {
    expectInvalid(() => compileScheduleSpec({ cronString: [cron] }), fragment);
  });

  it('rejects cron strings that disagree on CRON_TZ', () => {
    expectInvalid(
      () =>
        compileScheduleSpec({
          cronString: ['CRON_TZ=Europe/Paris 0 0 * * *', 'CRON_TZ=Asia/Tokyo 0 0 * * *'],
        }),
      'same CRON_TZ',
    );
    expect(parseCronString('CRON_TZ=Europe/Paris 0 0 * * *').timeZoneName).toBe('Europe/Paris');
  });
});

describe('structured calendars', () => {
  it('defaults missing fields to second 0, minute 0, hour 0, every day', () => {
    expect(times({ structuredCalendar: [{}] }, '2024-01-01T00:00:00Z', 2)).toEqual([
      '2024-01-02T00:00:00Z',
      '2024-01-03T00:00:00Z',
    ]);
  });

  it('expands ranges with steps', () => {
    const cal = {
      hour: [{ start: 9, end: 17, step: 4 }],
      minute: [{ start: 30 }],
      dayOfWeek: [{ start: 1, end: 5 }],
    };
    expect(times({ structuredCalendar: [cal] }, '2024-01-05T14:00:00Z', 4)).toEqual([
      '2024-01-05T17:30:00Z',
      '2024-01-08T09:30:00Z',
      '2024-01-08T13:30:00Z',
      '2024-01-08T17:30:00Z',
    ]);
  });

  it('skips months without the day (31st, 29 February)', () => {
    expect(
      times({ structuredCalendar: [{ dayOfMonth: [{ start: 31 }] }] }, '2024-01-31T00:00:00Z', 3),
    ).toEqual(['2024-03-31T00:00:00Z', '2024-05-31T00:00:00Z', '2024-07-31T00:00:00Z']);
    const leap = { dayOfMonth: [{ start: 29 }], month: [{ start: 2 }] };
    expect(times({ structuredCalendar: [leap] }, '2024-03-01T00:00:00Z', 2)).toEqual([
      '2028-02-29T00:00:00Z',
      '2032-02-29T00:00:00Z',
    ]);
  });

  it('finds far matches and gives up on impossible calendars quickly', () => {
    const started = performance.now();
    expect(
      times(
        { structuredCalendar: [{ dayOfMonth: [{ start: 30 }], month: [{ start: 2 }] }] },
        '2024-01-01T00:00:00Z',
        1,
      ),
    ).toEqual([]);
    expect(times({ structuredCalendar: [{ year: [{ start: 2099 }] }] }, '2024-01-01T00:00:00Z', 1)).toEqual([
      '2099-01-01T00:00:00Z',
    ]);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('unions calendars, intervals and cron strings', () => {
    const spec = {
      structuredCalendar: [{ hour: [{ start: 6 }] }],
      cronString: ['0 18 * * *'],
      interval: [{ interval: msToDuration(8 * 3_600_000) }],
    };
    expect(times(spec, '2024-01-01T00:00:00Z', 5)).toEqual([
      '2024-01-01T06:00:00Z',
      '2024-01-01T08:00:00Z',
      '2024-01-01T16:00:00Z',
      '2024-01-01T18:00:00Z',
      '2024-01-02T00:00:00Z',
    ]);
  });

  it('accepts legacy string calendars', () => {
    expect(times({ calendar: [{ hour: '9', dayOfWeek: 'sat,sun' }] }, '2024-01-01T00:00:00Z', 2)).toEqual([
      '2024-01-06T09:00:00Z',
      '2024-01-07T09:00:00Z',
    ]);
  });

  it('rejects out-of-range structured fields', () => {
    expectInvalid(
      () => compileScheduleSpec({ structuredCalendar: [{ hour: [{ start: 24 }] }] }),
      'hour start 24',
    );
    expectInvalid(
      () => compileScheduleSpec({ structuredCalendar: [{ year: [{ start: 1999 }] }] }),
      'year start 1999',
    );
  });
});

describe('intervals', () => {
  it('counts from the epoch plus phase', () => {
    const spec = { interval: [{ interval: msToDuration(3_600_000), phase: msToDuration(15 * 60_000) }] };
    expect(times(spec, '2024-01-01T00:20:00Z', 2)).toEqual(['2024-01-01T01:15:00Z', '2024-01-01T02:15:00Z']);
    expect(
      times({ interval: [{ interval: msToDuration(86_400_000 * 7) }] }, '2024-01-01T00:00:00Z', 1),
    ).toEqual([
      // 1970-01-01 was a Thursday.
      '2024-01-04T00:00:00Z',
    ]);
  });

  it('is strictly after the given time', () => {
    const spec = compileScheduleSpec({ interval: [{ interval: msToDuration(10_000) }] });
    expect(spec.nextTimes(t('2024-01-01T00:00:10Z'), 1).map(iso)).toEqual(['2024-01-01T00:00:20Z']);
    expect(spec.nextTimes(t('2024-01-01T00:00:09.999Z'), 1).map(iso)).toEqual(['2024-01-01T00:00:10Z']);
  });

  it.each([
    [{ interval: msToDuration(500) }, 'too small'],
    [{ interval: msToDuration(60_000), phase: msToDuration(60_000) }, 'phase must be smaller'],
  ])('rejects %j', (interval, fragment) => {
    expectInvalid(() => compileScheduleSpec({ interval: [interval] }), fragment);
  });
});

describe('exclusions and bounds', () => {
  it('removes times matched by an exclude calendar', () => {
    const spec = {
      cronString: ['0 * * * *'],
      excludeStructuredCalendar: [{ hour: [{ start: 12, end: 13 }], minute: [{ start: 0, end: 59 }] }],
    };
    expect(times(spec, '2024-01-01T10:30:00Z', 3)).toEqual([
      '2024-01-01T11:00:00Z',
      '2024-01-01T14:00:00Z',
      '2024-01-01T15:00:00Z',
    ]);
  });

  it('excludes weekends from an interval', () => {
    const spec = {
      interval: [{ interval: msToDuration(86_400_000) }],
      excludeStructuredCalendar: [{ dayOfWeek: [{ start: 0 }, { start: 6 }] }],
    };
    expect(times(spec, '2024-01-04T12:00:00Z', 3)).toEqual([
      '2024-01-05T00:00:00Z',
      '2024-01-08T00:00:00Z',
      '2024-01-09T00:00:00Z',
    ]);
  });

  it('keeps times within [startTime, endTime], both inclusive', () => {
    const spec = {
      interval: [{ interval: msToDuration(3_600_000) }],
      startTime: msToTimestamp(t('2024-01-01T05:00:00Z')),
      endTime: msToTimestamp(t('2024-01-01T07:00:00Z')),
    };
    expect(times(spec, '2024-01-01T00:00:00Z', 10)).toEqual([
      '2024-01-01T05:00:00Z',
      '2024-01-01T06:00:00Z',
      '2024-01-01T07:00:00Z',
    ]);
  });
});

describe('time zones', () => {
  it('evaluates calendars in the spec time zone', () => {
    expect(
      times({ cronString: ['0 9 * * *'], timezoneName: 'Europe/Paris' }, '2024-01-01T00:00:00Z', 1),
    ).toEqual(['2024-01-01T08:00:00Z']);
    expect(
      times({ cronString: ['0 9 * * *'], timezoneName: 'Australia/Sydney' }, '2024-01-01T00:00:00Z', 1),
    ).toEqual(['2024-01-01T22:00:00Z']);
  });

  it('skips wall times that do not exist when clocks spring forward', () => {
    // New York, 2024-03-10: 02:00 EST jumps to 03:00 EDT.
    expect(
      times({ cronString: ['30 2 * * *'], timezoneName: 'America/New_York' }, '2024-03-08T12:00:00Z', 3),
    ).toEqual(['2024-03-09T07:30:00Z', '2024-03-11T06:30:00Z', '2024-03-12T06:30:00Z']);
    expect(
      times({ cronString: ['0 * * * *'], timezoneName: 'America/New_York' }, '2024-03-10T06:30:00Z', 2),
    ).toEqual([
      '2024-03-10T07:00:00Z', // 03:00 EDT right after 01:00 EST (06:00Z)
      '2024-03-10T08:00:00Z',
    ]);
  });

  it('visits repeated wall times twice when clocks fall back', () => {
    // New York, 2024-11-03: 02:00 EDT falls back to 01:00 EST, so 01:xx happens twice.
    expect(
      times({ cronString: ['0 * * * *'], timezoneName: 'America/New_York' }, '2024-11-03T04:30:00Z', 3),
    ).toEqual([
      '2024-11-03T05:00:00Z', // 01:00 EDT
      '2024-11-03T06:00:00Z', // 01:00 EST
      '2024-11-03T07:00:00Z', // 02:00 EST
    ]);
    expect(
      times({ cronString: ['30 1 * * *'], timezoneName: 'America/New_York' }, '2024-11-02T12:00:00Z', 3),
    ).toEqual(['2024-11-03T05:30:00Z', '2024-11-03T06:30:00Z', '2024-11-04T06:30:00Z']);
  });

  it('rejects unknown zones', () => {
    expectInvalid(
      () => compileScheduleSpec({ cronString: ['0 0 * * *'], timezoneName: 'Not/AZone' }),
      'Not/AZone',
    );
  });
});

describe('jitter', () => {
  it('is deterministic, bounded by the jitter and by the next nominal time', () => {
    const spec = { interval: [{ interval: msToDuration(60_000) }], jitter: msToDuration(600_000) };
    const a = compileScheduleSpec(spec, { jitterSeed: 'ns-a' });
    const b = compileScheduleSpec(spec, { jitterSeed: 'ns-a' });
    const start = t('2024-01-01T00:00:00Z');
    const first = a.nextTimes(start, 20);
    expect(b.nextTimes(start, 20)).toEqual(first);
    let cursor = start;
    for (let i = 0; i < 20; i++) {
      const next = a.next(cursor);
      expect(next).toBeDefined();
      if (!next) return;
      expect(next.nominal).toBe(start + (i + 1) * 60_000);
      expect(next.actual).toBeGreaterThanOrEqual(next.nominal);
      expect(next.actual).toBeLessThan(next.nominal + 60_000);
      cursor = next.nominal;
    }
    expect(new Set(first.map((x) => x % 60_000)).size).toBeGreaterThan(1);
  });
});
