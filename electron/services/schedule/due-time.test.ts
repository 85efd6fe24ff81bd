// Wall-clock times below are Berlin's: DST starts 2024-03-31 02:00 → 03:00 and ends 2024-10-27 03:00 → 02:00.
process.env.TZ = 'Europe/Berlin';

import { describe, expect, it } from 'vitest';
import { dueTime, nextDailyAt, nextDue } from './due-time';

const HOUR = 3_600_000;

describe('due times', () => {
  it('runs in the Berlin time zone (the DST cases below depend on it)', () => {
    expect(new Date('2024-01-15T12:00:00Z').getTimezoneOffset()).toBe(-60);
    expect(new Date('2024-07-15T12:00:00Z').getTimezoneOffset()).toBe(-120);
  });

  it('every N hours counts elapsed time from the anchor', () => {
    const anchor = new Date('2024-05-01T10:15:00Z');
    expect(nextDue({ kind: 'interval', hours: 6 }, anchor).toISOString()).toBe('2024-05-01T16:15:00.000Z');
  });

  it('every N hours across the spring-forward night is still N elapsed hours', () => {
    const anchor = new Date('2024-03-30T23:30:00Z'); // 00:30 CET
    expect(nextDue({ kind: 'interval', hours: 3 }, anchor).getTime() - anchor.getTime()).toBe(3 * HOUR);
  });

  it('daily at HH:MM is the next local occurrence strictly after the anchor', () => {
    expect(nextDailyAt('03:00', new Date('2024-05-01T00:30:00Z')).toISOString()).toBe('2024-05-01T01:00:00.000Z'); // 03:00 CEST same day
    expect(nextDailyAt('03:00', new Date('2024-05-01T01:00:00Z')).toISOString()).toBe('2024-05-02T01:00:00.000Z'); // exactly at: the next day
    expect(nextDailyAt('23:59', new Date('2024-12-31T23:00:00Z')).toISOString()).toBe('2025-01-01T22:59:00.000Z');
  });

  it('daily keeps the local time across the spring-forward change (23 h apart)', () => {
    const first = nextDailyAt('04:00', new Date('2024-03-29T12:00:00Z'));
    const second = nextDailyAt('04:00', first);
    const third = nextDailyAt('04:00', second);
    expect([first, second, third].map((d) => d.toISOString())).toEqual(['2024-03-30T03:00:00.000Z', '2024-03-31T02:00:00.000Z', '2024-04-01T02:00:00.000Z']);
    expect(third.getTime() - second.getTime()).toBe(24 * HOUR);
    expect(second.getTime() - first.getTime()).toBe(23 * HOUR);
  });

  it('daily at a time inside the skipped hour runs once, just after the jump', () => {
    const run = nextDailyAt('02:30', new Date('2024-03-30T12:00:00Z'));
    expect(run.toISOString()).toBe('2024-03-31T01:30:00.000Z'); // 03:30 CEST: 02:30 CET does not exist
    expect(nextDailyAt('02:30', run).toISOString()).toBe('2024-04-01T00:30:00.000Z'); // 02:30 CEST the next day, no second run that day
  });

  it('daily at a time inside the repeated hour runs once, at its first occurrence', () => {
    const run = nextDailyAt('02:30', new Date('2024-10-26T12:00:00Z'));
    expect(run.toISOString()).toBe('2024-10-27T00:30:00.000Z'); // 02:30 CEST, the first of the two
    const next = nextDailyAt('02:30', run);
    expect(next.toISOString()).toBe('2024-10-28T01:30:00.000Z'); // not 01:30Z (02:30 CET) the same night
  });

  it('a due time that passed while Quorum was closed becomes one catch-up run soon', () => {
    const anchor = new Date('2024-05-01T00:00:00Z');
    const now = new Date('2024-05-04T00:00:00Z'); // 72 hourly runs missed
    expect(dueTime({ kind: 'interval', hours: 1 }, anchor, now, 60_000)).toEqual({ at: new Date('2024-05-04T00:01:00Z'), catchUp: true });
    expect(dueTime({ kind: 'daily', time: '12:00' }, now, now, 60_000)).toEqual({ at: new Date('2024-05-04T10:00:00Z'), catchUp: false });
  });
});
