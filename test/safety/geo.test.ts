import { describe, expect, it } from 'vitest';
import { distanceM, edgeDistanceM, offset, selfIntersects, spanM } from '../../src/safety/geo.ts';

const SEOUL = { lat: 37.5665, lng: 126.978 };
const at = (east: number, north: number) => offset(offset(SEOUL, 90, east), 0, north);

describe('geometry', () => {
  it('measures great-circle distances (Seoul City Hall to Gangnam station is about 8.6 km)', () => {
    expect(distanceM(SEOUL, { lat: 37.4979, lng: 127.0276 })).toBeGreaterThan(8_500);
    expect(distanceM(SEOUL, { lat: 37.4979, lng: 127.0276 })).toBeLessThan(8_800);
    expect(distanceM(SEOUL, offset(SEOUL, 37, 1234))).toBeCloseTo(1234, 3);
  });

  it('gives a circle edge distance, negative inside', () => {
    const circle = { kind: 'circle' as const, center: SEOUL, radius: 150 };
    expect(edgeDistanceM(circle, at(100, 0))).toBeCloseTo(-50, 3);
    expect(edgeDistanceM(circle, at(0, 200))).toBeCloseTo(50, 3);
  });

  it('gives a polygon edge distance, negative inside, including in a concave corner', () => {
    // an L: the square [0,400]x[0,400] less the corner [150,400]x[250,400]
    const points = [at(0, 0), at(400, 0), at(400, 250), at(150, 250), at(150, 400), at(0, 400)];
    const l = { kind: 'polygon' as const, points };
    expect(edgeDistanceM(l, at(380, 120))).toBeCloseTo(-20, 0);
    expect(edgeDistanceM(l, at(300, 350))).toBeCloseTo(100, 0); // in the missing corner: outside
    expect(edgeDistanceM(l, at(75, 300))).toBeCloseTo(-75, 0);
    expect(edgeDistanceM(l, at(-30, 200))).toBeCloseTo(30, 0);
  });

  it('finds polygons whose edges cross, and their span', () => {
    expect(selfIntersects([at(0, 0), at(100, 0), at(100, 100), at(0, 100)])).toBe(false);
    expect(selfIntersects([at(0, 0), at(100, 100), at(100, 0), at(0, 100)])).toBe(true); // a bow tie
    expect(selfIntersects([at(0, 0), at(100, 0), at(100, 0), at(0, 100)])).toBe(true); // a repeated corner
    expect(spanM([at(0, 0), at(300, 400), at(300, 0)])).toBeCloseTo(500, 0);
  });
});
