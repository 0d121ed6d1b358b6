/**
 * Helpers for the safety tests: a patient's positions east of a point in Seoul (device time
 * counted up from a start, 5 s per fix, so the rules see a realistic pace however fast the test
 * sends), the zone every scenario uses, and the short thresholds nodes run with in tests. Extend
 * with new thresholds in SAFETY_TEST_CONFIG rather than per test, so scenarios stay comparable.
 */
import type { Position, ZoneInput } from '../../src/protocol/index.ts';
import { offset } from '../../src/safety/geo.ts';

export const SEOUL = { lat: 37.5665, lng: 126.978 };

/** A 150 m circle around SEOUL that alerts on exit. */
export const HOME: ZoneInput = { zoneId: 'home', name: 'Home', shape: { kind: 'circle', center: SEOUL, radius: 150 }, schedule: null, alertOn: ['exit'] };

/**
 * Thresholds short enough for tests, long enough that a loaded machine does not trip them:
 * silent 2.5 s, dwell 1.2 s, timers looked at every 50 ms, a lease of 1.5 s (a committing node that
 * stalls longer than the lease has its announcements made again by another: at least once).
 */
export const SAFETY_TEST_CONFIG = {
  SAFETY_TICK_MS: 50,
  SAFETY_LEASE_MS: 1_500,
  SAFETY_SILENT_MS: 2_500,
  SAFETY_DWELL_MS: 1_200,
  SAFETY_STATIONARY_MS: 600_000,
  SAFETY_ESCALATE_MS: 600_000,
};

/** Positions with device time moving 5 s per fix, from now. */
export class Walker {
  private t = Date.now();
  at(eastM: number, accuracy = 10, battery?: number): Position {
    this.t += 5_000;
    return { ...offset(SEOUL, 90, eastM), accuracy, timestamp: this.t, ...(battery === undefined ? {} : { battery }) };
  }
}
