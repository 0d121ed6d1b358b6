import type { LatLng, ZoneShape } from '../protocol/index.ts';

/** Mean Earth radius, metres (the sphere GPS distances are usually computed on). */
const EARTH_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** Great-circle distance between two points, metres (haversine). */
export function distanceM(a: LatLng, b: LatLng): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLng = (b.lng - a.lng) * RAD;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** A point `metres` from `from` along `bearingDeg` (clockwise from north), on the sphere. */
export function offset(from: LatLng, bearingDeg: number, metres: number): LatLng {
  const d = metres / EARTH_M;
  const b = bearingDeg * RAD;
  const lat1 = from.lat * RAD;
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b));
  const lng2 = from.lng * RAD + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  return { lat: lat2 / RAD, lng: (((lng2 / RAD + 540) % 360) - 180) };
}

/** x east, y north, metres, on a plane tangent at `origin`: exact enough within the 50 km a polygon may span. */
interface Xy {
  x: number;
  y: number;
}

function project(origin: LatLng, p: LatLng): Xy {
  return { x: (p.lng - origin.lng) * RAD * EARTH_M * Math.cos(origin.lat * RAD), y: (p.lat - origin.lat) * RAD * EARTH_M };
}

/**
 * How far `p` is from the zone's edge, metres: positive outside, negative inside, 0 on the edge.
 * Circles on the sphere; polygons on a plane tangent at their first point.
 */
export function edgeDistanceM(shape: ZoneShape, p: LatLng): number {
  if (shape.kind === 'circle') return distanceM(shape.center, p) - shape.radius;
  const origin = shape.points[0]!;
  const ring = shape.points.map((q) => project(origin, q));
  const at = project(origin, p);
  let nearest = Infinity;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i]!;
    const b = ring[j]!;
    nearest = Math.min(nearest, segmentDistance(at, a, b));
    // ray casting: an edge crossing the horizontal line through `at`, to its right
    if (a.y > at.y !== b.y > at.y && at.x < ((b.x - a.x) * (at.y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside ? -nearest : nearest;
}

function segmentDistance(p: Xy, a: Xy, b: Xy): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2));
  return Math.hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

/** The largest distance between two of the points, metres. */
export function spanM(points: readonly LatLng[]): number {
  let span = 0;
  for (let i = 0; i < points.length; i++) for (let j = i + 1; j < points.length; j++) span = Math.max(span, distanceM(points[i]!, points[j]!));
  return span;
}

/** True when two edges of the polygon that do not share a corner cross or touch, or two corners coincide. */
export function selfIntersects(points: readonly LatLng[]): boolean {
  const origin = points[0]!;
  const ring = points.map((q) => project(origin, q));
  const n = ring.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.hypot(ring[i]!.x - ring[j]!.x, ring[i]!.y - ring[j]!.y) < 0.01) return true;
      // edges i (i, i+1) and j (j, j+1); neighbours share a corner and do not count
      if (j === i + 1 || (i === 0 && j === n - 1)) continue;
      if (segmentsCross(ring[i]!, ring[(i + 1) % n]!, ring[j]!, ring[(j + 1) % n]!)) return true;
    }
  }
  return false;
}

function segmentsCross(a: Xy, b: Xy, c: Xy, d: Xy): boolean {
  const o1 = orient(a, b, c);
  const o2 = orient(a, b, d);
  const o3 = orient(c, d, a);
  const o4 = orient(c, d, b);
  if (o1 !== o2 && o3 !== o4) return true;
  return (o1 === 0 && onSegment(a, c, b)) || (o2 === 0 && onSegment(a, d, b)) || (o3 === 0 && onSegment(c, a, d)) || (o4 === 0 && onSegment(c, b, d));
}

function orient(a: Xy, b: Xy, c: Xy): number {
  const v = (b.y - a.y) * (c.x - b.x) - (b.x - a.x) * (c.y - b.y);
  return Math.abs(v) < 1e-9 ? 0 : v > 0 ? 1 : 2;
}

function onSegment(a: Xy, p: Xy, b: Xy): boolean {
  return p.x <= Math.max(a.x, b.x) && p.x >= Math.min(a.x, b.x) && p.y <= Math.max(a.y, b.y) && p.y >= Math.min(a.y, b.y);
}
