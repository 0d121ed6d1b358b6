import type { LocationFix, PositionFix, TetherClient } from '@tether/client';
import type { LatLng } from '../adapters/care.ts';

/** The time ranges a caregiver can pick for the trail, ms. */
export const TRAIL_RANGES = [15 * 60_000, 60 * 60_000, 6 * 3_600_000, 24 * 3_600_000] as const;
export type TrailRange = (typeof TRAIL_RANGES)[number];

/** The most positions one trail asks for (the protocol's `history` limit). */
const HISTORY_LIMIT = 1_000;

export interface TrailPoint extends LatLng {
  /** server time, ms */
  ts: number;
}

export function trailPoint(fix: Pick<PositionFix, 'position' | 'ts'>): TrailPoint {
  return { lat: fix.position.lat, lng: fix.position.lng, ts: fix.ts };
}

/** Reads a patient's trail over `range` up to now (server time); oldest first. */
export async function loadTrail(client: TetherClient, patientId: string, range: TrailRange, serverNow: number): Promise<TrailPoint[]> {
  const fixes = await client.history(patientId, { since: Math.max(0, Math.floor(serverNow - range)), limit: HISTORY_LIMIT });
  return fixes.map(trailPoint);
}

/** Adds a live fix to a trail (kept oldest first, without repeats) and drops what fell out of the range. */
export function extendTrail(trail: readonly TrailPoint[], fix: LocationFix, range: TrailRange, serverNow: number): TrailPoint[] {
  const point = trailPoint(fix);
  const last = trail.at(-1);
  const kept = trail.filter((p) => p.ts >= serverNow - range);
  if (last && last.ts >= point.ts) return kept;
  return [...kept, point];
}

/** Metres between two points (haversine). */
export function distanceM(a: LatLng, b: LatLng): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Degrees clockwise from north, from `a` towards `b`. */
export function bearing(a: LatLng, b: LatLng): number {
  const rad = Math.PI / 180;
  const y = Math.sin((b.lng - a.lng) * rad) * Math.cos(b.lat * rad);
  const x = Math.cos(a.lat * rad) * Math.sin(b.lat * rad) - Math.sin(a.lat * rad) * Math.cos(b.lat * rad) * Math.cos((b.lng - a.lng) * rad);
  return ((Math.atan2(y, x) / rad) + 360) % 360;
}

export function trailLengthM(trail: readonly LatLng[]): number {
  let sum = 0;
  for (let i = 1; i < trail.length; i++) sum += distanceM(trail[i - 1]!, trail[i]!);
  return sum;
}

/**
 * Where to draw direction arrows: about one every `spacingM` metres of path, each pointing the
 * way the patient walked there.
 */
export function arrowsAlong(trail: readonly LatLng[], spacingM: number): Array<LatLng & { bearing: number }> {
  const arrows: Array<LatLng & { bearing: number }> = [];
  let walked = 0;
  let next = spacingM / 2;
  for (let i = 1; i < trail.length; i++) {
    const a = trail[i - 1]!;
    const b = trail[i]!;
    const step = distanceM(a, b);
    while (step > 0 && walked + step >= next) {
      const f = (next - walked) / step;
      arrows.push({ lat: a.lat + (b.lat - a.lat) * f, lng: a.lng + (b.lng - a.lng) * f, bearing: bearing(a, b) });
      next += spacingM;
    }
    walked += step;
  }
  return arrows;
}
