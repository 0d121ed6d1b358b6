import type { Position, ZoneView } from '../protocol/index.ts';
import { edgeDistanceM } from './geo.ts';

/**
 * Where a patient is with respect to one zone, debounced against GPS noise. The rules (docs/
 * protocol.md 16.2):
 *
 * - A fix is judged on the side the zone alerts about by its accuracy: for an `exit` alert it
 *   counts as outside only if its distance beyond the edge, less `accuracyFactor` times its
 *   accuracy, exceeds the margin; for an `enter` alert it counts as inside only if its distance
 *   within the edge, less as much, exceeds the margin. Returning to the quiet side needs only the
 *   reported point on that side. A zone that alerts both ways is strict both ways. A fix that is
 *   neither is uncertain. (`accuracyFactor` 1 is the plain rule "distance minus accuracy"; phones'
 *   accuracy is a 68 % radius and their errors persist for tens of seconds, so with 1 a patient
 *   standing near the edge indoors flaps: see test/fixtures/tracks and docs/protocol.md 16.2.)
 * - A change of side is confirmed by `confirmFixes` consecutive fixes on the new side, or by at
 *   least two spanning `confirmMs` of device time. An uncertain fix, or one on the current side,
 *   starts the count again.
 * - The first confirmed side of a zone is not a crossing: nobody saw the patient cross.
 */
export interface ZoneTrack {
  /** the zone version this track was last checked against */
  version: number;
  /** the zone's shape as JSON when the track began: only a new shape starts a new track (a new
   * name, schedule or alertOn keeps the side the patient is on); absent in tracks from before */
  shape?: string;
  /** the confirmed side: true inside, false outside, null not known yet */
  inside: boolean | null;
  /** fixes seen in a row on the other side, and the device time of the first */
  pending: { side: 'in' | 'out'; count: number; firstAt: number } | null;
  /** whether the zone's schedule was on at the last evaluation; null before the first */
  active: boolean | null;
}

export interface TrackSettings {
  /** metres beyond `accuracyFactor` x its accuracy a fix must be on the alerting side */
  marginM: number;
  accuracyFactor: number;
  confirmFixes: number;
  confirmMs: number;
}

export type Side = 'in' | 'out';

export function newTrack(zone: ZoneView): ZoneTrack {
  return { version: zone.version, shape: JSON.stringify(zone.shape), inside: null, pending: null, active: null };
}

/** The track to go on with for `zone`: the old one while its shape is unchanged, else a new one. */
export function trackFor(old: ZoneTrack | undefined, zone: ZoneView): ZoneTrack {
  if (!old) return newTrack(zone);
  const shape = JSON.stringify(zone.shape);
  if (old.version === zone.version) return old.shape === undefined ? { ...old, shape } : old;
  return old.shape === shape ? { ...old, version: zone.version } : newTrack(zone);
}

/** Which side `fix` is on for `zone`, or null when its accuracy leaves that open. */
export function classify(zone: ZoneView, fix: Position, s: Pick<TrackSettings, 'marginM' | 'accuracyFactor'>): Side | null {
  const d = edgeDistanceM(zone.shape, fix);
  const doubt = s.accuracyFactor * fix.accuracy + s.marginM;
  const strictOut = zone.alertOn.includes('exit');
  const strictIn = zone.alertOn.includes('enter');
  if (strictOut ? d > doubt : d > 0) return 'out';
  if (strictIn ? -d > doubt : d <= 0) return 'in';
  return null;
}

export interface Observation {
  track: ZoneTrack;
  /** a confirmed change from one known side to the other */
  crossed: 'exit' | 'enter' | null;
  /** this fix began a run of fixes outside a zone the patient was inside */
  leaving: boolean;
}

/** The track after one more fix (fixes in device-time order; the caller drops older ones). */
export function observe(track: ZoneTrack, zone: ZoneView, fix: Position, s: TrackSettings): Observation {
  const side = classify(zone, fix, s);
  const current: Side | null = track.inside === null ? null : track.inside ? 'in' : 'out';
  if (side === null || side === current) return { track: { ...track, pending: null }, crossed: null, leaving: false };
  const pending = track.pending?.side === side ? { ...track.pending, count: track.pending.count + 1 } : { side, count: 1, firstAt: fix.timestamp };
  const leaving = pending.count === 1 && side === 'out' && current === 'in';
  const confirmed = pending.count >= s.confirmFixes || (pending.count >= 2 && fix.timestamp - pending.firstAt >= s.confirmMs);
  if (!confirmed) return { track: { ...track, pending }, crossed: null, leaving };
  const crossed = current === null ? null : side === 'out' ? 'exit' : 'enter';
  return { track: { ...track, inside: side === 'in', pending: null }, crossed, leaving };
}
