import { describe, expect, it } from 'vitest';
import { instantOf, isActive, isTimeZone, nextChange, wallClock } from '../../src/safety/schedule.ts';

/** Seoul is UTC+9 all year (no DST): 22:00 there is 13:00 UTC. */
const seoul = (y: number, m: number, d: number, hh: number, mm = 0) => Date.UTC(y, m - 1, d, hh - 9, mm);
const night = { timezone: 'Asia/Seoul', windows: [{ start: '22:00', end: '06:00' }] };

describe('zone schedules', () => {
  it('reads the wall clock of a timezone', () => {
    expect(wallClock(seoul(2026, 11, 2, 22, 30), 'Asia/Seoul')).toMatchObject({ day: 2, minutes: 22 * 60 + 30, weekday: 1 });
    expect(isTimeZone('Asia/Seoul')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('is active from 22:00 to 06:00 in Seoul, across midnight', () => {
    expect(isActive(night, seoul(2026, 11, 2, 21, 59))).toBe(false);
    expect(isActive(night, seoul(2026, 11, 2, 22, 0))).toBe(true);
    expect(isActive(night, seoul(2026, 11, 3, 2, 0))).toBe(true);
    expect(isActive(night, seoul(2026, 11, 3, 6, 0))).toBe(false);
    expect(isActive(null, 0)).toBe(true);
  });

  it('limits windows to the days they start on: Friday night runs into Saturday morning', () => {
    const friday = { timezone: 'Asia/Seoul', windows: [{ days: [5], start: '22:00', end: '06:00' }] };
    // 2026-11-06 is a Friday
    expect(isActive(friday, seoul(2026, 11, 6, 23))).toBe(true);
    expect(isActive(friday, seoul(2026, 11, 7, 5))).toBe(true);
    expect(isActive(friday, seoul(2026, 11, 7, 23))).toBe(false);
    expect(isActive(friday, seoul(2026, 11, 6, 5))).toBe(false);
  });

  it('finds the next start or end', () => {
    expect(nextChange(night, seoul(2026, 11, 2, 12))).toBe(seoul(2026, 11, 2, 22));
    expect(nextChange(night, seoul(2026, 11, 2, 23))).toBe(seoul(2026, 11, 3, 6));
    const weekly = { timezone: 'Asia/Seoul', windows: [{ days: [7], start: '09:00', end: '12:00' }] };
    // Monday 2026-11-02 -> Sunday 2026-11-08 09:00
    expect(nextChange(weekly, seoul(2026, 11, 2, 12))).toBe(seoul(2026, 11, 8, 9));
    expect(nextChange(null, 0)).toBeNull();
  });

  it('follows daylight saving time where there is one', () => {
    // New York: 2026-11-01 02:00 EDT falls back to 01:00 EST; 22:00 local is 02:00 UTC before, 03:00 UTC after
    const ny = { timezone: 'America/New_York', windows: [{ start: '22:00', end: '23:00' }] };
    expect(nextChange(ny, Date.UTC(2026, 9, 31, 12))).toBe(Date.UTC(2026, 10, 1, 2));
    expect(nextChange(ny, Date.UTC(2026, 10, 1, 12))).toBe(Date.UTC(2026, 10, 2, 3));
    expect(instantOf(2026, 3, 8, 2 * 60 + 30, 'America/New_York')).toBe(Date.UTC(2026, 2, 8, 7, 30)); // in the spring gap
  });
});
