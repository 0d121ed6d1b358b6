import { z } from 'zod';
import { AlertView, DeviceState, LatLng, Position, ReportRequest, TrackingHealth } from '../protocol/index.ts';
import type { ZoneTrack } from './zone-track.ts';

/**
 * Everything the safety rules know about one patient, kept in the SafetyStore as one document so
 * that one compare-and-set decides each change (see safety-store.ts). Times are server ms unless
 * named device time. Bounded: `open` by MAX_OPEN_ALERTS, `recent` by MAX_RECENT_ALERTS, `tracks`
 * and `calls` by the zones and calls that exist.
 */
export interface PatientState {
  patientId: string;
  /** the revision of the zone list the tracks were made for */
  zonesRev: number;
  lastFix: { position: Position; ts: number } | null;
  heartbeat: { device: DeviceState; ts: number } | null;
  /** where the patient last moved from, and when (for `stationary`) */
  anchor: LatLng | null;
  movedAt: number | null;
  /** zoneId -> the patient's side of it */
  tracks: Record<string, ZoneTrack>;
  /** since when every active safe zone is confirmed outside; null when not */
  outsideSince: number | null;
  /** a dwell alert was raised for this time outside */
  dwellRaised: boolean;
  /** a battery_low alert was raised for this low period */
  batteryLow: boolean;
  health: TrackingHealth | null;
  /** open alerts, oldest first */
  open: AlertView[];
  /** acknowledged alerts, newest last: a repeated acknowledgement is answered from here */
  recent: AlertView[];
  /** sos alerts: the care circle the calls work named, for the webhook */
  circles: Record<string, string[]>;
  /** what the patient's devices were last asked */
  report: ReportRequest;
  /** fast reporting asked until then: the patient started leaving a zone */
  fastUntil: number;
  /** calls in progress: callId -> the latest it can end */
  calls: Record<string, number>;
  updatedAt: number;
}

export const MAX_OPEN_ALERTS = 50;
export const MAX_RECENT_ALERTS = 20;

const Track = z.object({
  version: z.number(),
  inside: z.boolean().nullable(),
  pending: z.object({ side: z.enum(['in', 'out']), count: z.number(), firstAt: z.number() }).nullable(),
  active: z.boolean().nullable(),
});

/** Validates a stored document: one written by another version or by hand is refused, not trusted. */
export const PatientStateSchema = z.object({
  patientId: z.string(),
  zonesRev: z.number(),
  lastFix: z.object({ position: Position, ts: z.number() }).nullable(),
  heartbeat: z.object({ device: DeviceState, ts: z.number() }).nullable(),
  anchor: LatLng.nullable(),
  movedAt: z.number().nullable(),
  tracks: z.record(z.string(), Track),
  outsideSince: z.number().nullable(),
  dwellRaised: z.boolean(),
  batteryLow: z.boolean(),
  health: TrackingHealth.nullable(),
  open: z.array(AlertView),
  recent: z.array(AlertView),
  circles: z.record(z.string(), z.array(z.string())),
  report: ReportRequest,
  fastUntil: z.number(),
  calls: z.record(z.string(), z.number()),
  updatedAt: z.number(),
}) satisfies z.ZodType<PatientState>;

export function initialState(patientId: string, reportNormalMs: number, now: number): PatientState {
  return {
    patientId,
    zonesRev: 0,
    lastFix: null,
    heartbeat: null,
    anchor: null,
    movedAt: null,
    tracks: {},
    outsideSince: null,
    dwellRaised: false,
    batteryLow: false,
    health: null,
    open: [],
    recent: [],
    circles: {},
    report: { intervalMs: reportNormalMs, reason: 'normal' },
    fastUntil: 0,
    calls: {},
    updatedAt: now,
  };
}
