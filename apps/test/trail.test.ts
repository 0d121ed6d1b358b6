import { describe, expect, it } from 'vitest';
import { arrowsAlong, bearing, distanceM, extendTrail, trailLengthM } from '../src/console/trail.ts';
import { formatDuration } from '../src/ui/format.ts';

const north = (metres: number) => ({ lat: 37.5 + metres / 111_195, lng: 127 });

describe('trail geometry', () => {
  it('measures metres and bearings', () => {
    expect(distanceM(north(0), north(100))).toBeCloseTo(100, 0);
    expect(bearing(north(0), north(100))).toBeCloseTo(0, 5);
    expect(bearing(north(100), north(0))).toBeCloseTo(180, 5);
    expect(bearing({ lat: 0, lng: 0 }, { lat: 0, lng: 1 })).toBeCloseTo(90, 5);
  });

  it('puts an arrow about every spacing along the path, pointing the way walked', () => {
    const path = [north(0), north(100), north(300)];
    expect(trailLengthM(path)).toBeCloseTo(300, 0);
    const arrows = arrowsAlong(path, 100);
    expect(arrows).toHaveLength(3);
    expect(arrows.map((a) => Math.round(distanceM(north(0), a)))).toEqual([50, 150, 250]);
    expect(arrows.every((a) => Math.abs(a.bearing) < 1e-6)).toBe(true);
    expect(arrowsAlong([north(0)], 100)).toEqual([]);
    expect(arrowsAlong([north(0), north(0)], 100)).toEqual([]);
  });

  it('extends a trail with newer fixes only, and drops what left the range', () => {
    const fix = (ts: number) => ({ position: { lat: 1, lng: 2, accuracy: 5, timestamp: ts }, from: { userId: 'p', sessionId: 's', role: 'patient' }, ts, live: true });
    const trail = [{ lat: 1, lng: 2, ts: 1_000 }, { lat: 1, lng: 2, ts: 5_000 }];
    expect(extendTrail(trail, fix(6_000), 900_000, 6_000).map((p) => p.ts)).toEqual([1_000, 5_000, 6_000]);
    expect(extendTrail(trail, fix(5_000), 900_000, 6_000).map((p) => p.ts)).toEqual([1_000, 5_000]);
    expect(extendTrail(trail, fix(7_000), 3_000, 7_000).map((p) => p.ts)).toEqual([5_000, 7_000]);
  });

  it('shows call durations as a timer does', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(7_900)).toBe('0:07');
    expect(formatDuration(754_000)).toBe('12:34');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(-5)).toBe('0:00');
  });
});
