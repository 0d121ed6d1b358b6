import type { ZoneInput } from '../protocol/index.ts';
import { selfIntersects, spanM } from './geo.ts';
import { isTimeZone } from './schedule.ts';

/** Polygons may span this much at most: the rules measure them on a flat tangent plane. */
export const MAX_POLYGON_SPAN_M = 50_000;

/**
 * What is wrong with a zone beyond its schema (ranges and types are the schema's): as
 * `path: message` strings for `details.issues` of a ZONE_INVALID error; empty when it is fine.
 */
export function zoneProblems(zone: ZoneInput): string[] {
  const problems: string[] = [];
  if (zone.shape.kind === 'polygon') {
    const { points } = zone.shape;
    const lngs = points.map((p) => p.lng);
    if (Math.max(...lngs) - Math.min(...lngs) > 180) problems.push('zone.shape.points: a polygon may not cross the antimeridian (180°)');
    else if (spanM(points) > MAX_POLYGON_SPAN_M) problems.push(`zone.shape.points: a polygon may span at most ${MAX_POLYGON_SPAN_M / 1000} km`);
    else if (selfIntersects(points)) problems.push('zone.shape.points: edges cross or corners repeat; give the corners in order around the zone');
  }
  if (zone.schedule) {
    if (!isTimeZone(zone.schedule.timezone)) problems.push(`zone.schedule.timezone: unknown timezone; use an IANA name such as Asia/Seoul`);
    zone.schedule.windows.forEach((w, i) => {
      if (w.start === w.end) problems.push(`zone.schedule.windows.${i}: start and end are equal; leave the schedule out to watch at all times`);
      if (w.days && new Set(w.days).size !== w.days.length) problems.push(`zone.schedule.windows.${i}.days: a day is repeated`);
    });
  }
  if (new Set(zone.alertOn).size !== zone.alertOn.length) problems.push('zone.alertOn: a value is repeated');
  return problems.slice(0, 5);
}
