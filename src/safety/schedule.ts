import type { ZoneSchedule } from '../protocol/index.ts';

/**
 * Zone schedules: whether a time falls in one of the windows, in the schedule's own timezone
 * (DST included, from the platform's IANA database through Intl), and when that next changes.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

/** True when `timezone` is an IANA zone this platform knows. */
export function isTimeZone(timezone: string): boolean {
  try {
    formatter(timezone);
    return true;
  } catch {
    return false;
  }
}

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, f);
  }
  return f;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  /** minutes since local midnight */
  minutes: number;
  /** ISO weekday, 1 = Monday */
  weekday: number;
}

/** The wall clock in `timezone` at instant `t` (ms). */
export function wallClock(t: number, timezone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(t)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const { year, month, day, hour, minute } = parts as { year: number; month: number; day: number; hour: number; minute: number };
  const weekday = ((new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7) + 1;
  return { year, month, day, minutes: hour * 60 + minute, weekday };
}

/** ms the zone's wall clock is ahead of UTC at instant `t`. */
function offsetMs(t: number, timezone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(t)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** The instant when the wall clock in `timezone` shows this date and minute (the later reading in a DST gap). */
export function instantOf(year: number, month: number, day: number, minutes: number, timezone: string): number {
  const guess = Date.UTC(year, month - 1, day, 0, minutes);
  const first = guess - offsetMs(guess, timezone);
  const second = guess - offsetMs(first, timezone);
  return Math.max(first, second);
}

const parseClock = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** True when `t` falls in one of the schedule's windows (a null schedule: always). */
export function isActive(schedule: ZoneSchedule | null, t: number): boolean {
  if (!schedule) return true;
  const now = wallClock(t, schedule.timezone);
  const yesterday = ((now.weekday + 5) % 7) + 1;
  return schedule.windows.some((w) => {
    const start = parseClock(w.start);
    const end = parseClock(w.end);
    const on = (day: number): boolean => !w.days || w.days.includes(day);
    if (start < end) return on(now.weekday) && now.minutes >= start && now.minutes < end;
    // past midnight: the evening part belongs to today's window, the morning part to yesterday's
    return (on(now.weekday) && now.minutes >= start) || (on(yesterday) && now.minutes < end);
  });
}

/**
 * The next instant after `t` at which a window starts or ends (where `isActive` may change), or
 * null for a schedule that never changes. Looks up to 8 days ahead, which covers any weekly
 * schedule.
 */
export function nextChange(schedule: ZoneSchedule | null, t: number): number | null {
  if (!schedule) return null;
  const today = wallClock(t, schedule.timezone);
  let next = Infinity;
  for (let offset = -1; offset <= 8; offset++) {
    // calendar arithmetic on the local date, done in UTC where days are always 24 h
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offset));
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    const weekday = ((date.getUTCDay() + 6) % 7) + 1;
    for (const w of schedule.windows) {
      if (w.days && !w.days.includes(weekday)) continue;
      const start = parseClock(w.start);
      const end = parseClock(w.end);
      const startAt = instantOf(y, m, d, start, schedule.timezone);
      const endAt = end > start ? instantOf(y, m, d, end, schedule.timezone) : instantOf(y, m, d + 1, end, schedule.timezone);
      for (const at of [startAt, endAt]) if (at > t && at < next) next = at;
    }
  }
  return next === Infinity ? null : next;
}
