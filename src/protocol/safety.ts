import { z } from 'zod';
import { ChannelName, Id } from './channels.ts';
import { Position } from './position.ts';

/**
 * The vocabulary of caregiver safety (docs/protocol.md, section 16): safe zones, tracking health,
 * alerts and adaptive reporting. Client requests are strict (unknown fields are BAD_FRAME); the
 * views the server sends are lenient, like every server frame.
 */

/** A zone id: chosen by the caregiver's app (a UUID works), so a retried create never makes two. */
export const ZoneId = Id;

export const LatLng = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
});
export type LatLng = z.infer<typeof LatLng>;

/** A circle: `radius` metres around `center`. */
export const CircleShape = z.strictObject({
  kind: z.literal('circle'),
  center: LatLng,
  /** metres */
  radius: z.number().min(50).max(50_000),
});

/** A simple polygon (no crossing edges), its points in order, not closed (the last joins the first). */
export const PolygonShape = z.strictObject({
  kind: z.literal('polygon'),
  points: z.array(LatLng).min(3).max(100),
});

export const ZoneShape = z.discriminatedUnion('kind', [CircleShape, PolygonShape]);
export type ZoneShape = z.infer<typeof ZoneShape>;

/** `HH:MM`, 24-hour wall-clock time in the schedule's timezone. */
export const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'times are HH:MM, 00:00 to 23:59');

/**
 * One window of a zone's schedule: from `start` to `end` on the given days (ISO weekdays of the
 * window's start, 1 = Monday ... 7 = Sunday; all days when left out). `end` before `start` runs
 * past midnight: `22:00`-`06:00` on day 5 is Friday 22:00 to Saturday 06:00.
 */
export const ScheduleWindow = z.strictObject({
  days: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional(),
  start: ClockTime,
  end: ClockTime,
});
export type ScheduleWindow = z.infer<typeof ScheduleWindow>;

/** When a zone is watched: any of `windows`, in the IANA `timezone` (e.g. `Asia/Seoul`). */
export const ZoneSchedule = z.strictObject({
  timezone: z.string().min(1).max(64),
  windows: z.array(ScheduleWindow).min(1).max(14),
});
export type ZoneSchedule = z.infer<typeof ZoneSchedule>;

/** Which confirmed crossings of a zone raise an alert: `exit` (a safe zone), `enter` (a place to avoid), or both. */
export const ZoneAlertOn = z.enum(['exit', 'enter']);

/** A zone as a caregiver writes it. */
export const ZoneInput = z.strictObject({
  zoneId: ZoneId,
  name: z.string().min(1).max(100),
  shape: ZoneShape,
  /** null or left out: watched at all times */
  schedule: ZoneSchedule.nullable().default(null),
  alertOn: z.array(ZoneAlertOn).min(1).max(2).default(['exit']),
});
export type ZoneInput = z.infer<typeof ZoneInput>;

/** A zone as the server keeps it. */
export const ZoneView = z.object({
  zoneId: z.string(),
  patientId: z.string(),
  name: z.string(),
  shape: ZoneShape,
  schedule: ZoneSchedule.nullable(),
  alertOn: z.array(ZoneAlertOn),
  /** 1 when created, one more at every change */
  version: z.number().int(),
  /** server time of the last change, ms */
  updatedAt: z.number(),
  /** the caregiver who made the last change */
  updatedBy: z.string(),
});
export type ZoneView = z.infer<typeof ZoneView>;

// --- tracking health

/** Location permission as the patient's device reports it: always, only while the app is in use, or not at all. */
export const LocationPermission = z.enum(['always', 'while_in_use', 'denied']);

/** What the patient's device says about itself, apart from positions (the `device` request). */
export const DeviceState = z.strictObject({
  /** percent; null when the platform does not say */
  battery: z.number().min(0).max(100).nullable(),
  charging: z.boolean(),
  locationPermission: LocationPermission,
  /** location services (GPS) switched on */
  locationServices: z.boolean(),
  /** the app is in the foreground */
  foreground: z.boolean(),
});
export type DeviceState = z.infer<typeof DeviceState>;

/**
 * A patient's tracking status, worst first: `silent` (nothing heard), `no_fix` (the device
 * cannot locate itself), `battery_low`, `stationary` (heard from, not moving), `live`.
 */
export const TrackingStatus = z.enum(['live', 'stationary', 'no_fix', 'silent', 'battery_low']);
export type TrackingStatus = z.infer<typeof TrackingStatus>;
export const TRACKING_STATUSES = TrackingStatus.options;

/** Why a status is what it is; see docs/protocol.md 16.3 for which goes with which status. */
export const StatusReason = z.enum([
  'reporting',
  'not_moving',
  'permission_denied',
  'background_not_allowed',
  'services_off',
  'no_fix_yet',
  'not_heard',
  'battery_low',
]);
export type StatusReason = z.infer<typeof StatusReason>;
export const STATUS_REASONS = StatusReason.options;

export const TrackingHealth = z.object({
  status: TrackingStatus,
  reason: StatusReason,
  /** server time the status began, ms */
  since: z.number(),
  /** server time of the last heartbeat or position, ms */
  lastSeenAt: z.number(),
  /** server time of the last position, ms; null if none */
  lastFixAt: z.number().nullable(),
  /** percent, from the newest heartbeat or position that said; null if unknown */
  battery: z.number().nullable(),
  /** from the last heartbeat; null if none */
  device: DeviceState.nullable(),
});
export type TrackingHealth = z.infer<typeof TrackingHealth>;

// --- alerts

/**
 * Who acknowledged: the Sender of server-messages.ts (which imports this module, so the shape is
 * repeated here rather than imported in a cycle).
 */
const Sender = z.object({ userId: z.string(), role: z.string(), sessionId: z.string() });

export const AlertReason = z.enum(['zone_exit', 'zone_enter', 'dwell', 'silent', 'battery_low', 'sos']);
export type AlertReason = z.infer<typeof AlertReason>;
export const ALERT_REASONS = AlertReason.options;

export const AlertState = z.enum(['open', 'acknowledged']);
export type AlertState = z.infer<typeof AlertState>;

/** What happened to an alert: an `alert` delivery and a webhook event each carry one. */
export const AlertEvent = z.enum(['raised', 'escalated', 'acknowledged']);
export type AlertEvent = z.infer<typeof AlertEvent>;
export const ALERT_EVENTS = AlertEvent.options;

/** An alert as everyone sees it: raised by the server, open until a caregiver acknowledges it. */
export const AlertView = z.object({
  alertId: z.string(),
  patientId: z.string(),
  reason: AlertReason,
  state: AlertState,
  /** server time it was raised, ms */
  raisedAt: z.number(),
  /** zone_exit and zone_enter: the zone; null otherwise */
  zone: z.object({ zoneId: z.string(), name: z.string() }).nullable(),
  /** the patient's last position when it was raised; null if none was known */
  position: Position.nullable(),
  /** times it was escalated (re-sent) while open */
  level: z.number().int(),
  /** when it is escalated next while open; null when it will not be again */
  nextEscalationAt: z.number().nullable(),
  acknowledgedBy: Sender.nullable(),
  acknowledgedAt: z.number().nullable(),
  /** sos: the call that escalates through the care circle */
  callId: z.string().nullable(),
});
export type AlertView = z.infer<typeof AlertView>;

/** Pages through alerts newest first: those strictly older than this one. */
export const AlertCursor = z.strictObject({ raisedAt: z.number().int().min(0), alertId: z.string().min(1).max(128) });

// --- adaptive reporting

/** Why the server asks for an interval: `normal`, or faster because an alert is open, a call is on, or the patient is leaving a zone. */
export const ReportReason = z.enum(['normal', 'alert_open', 'call', 'zone_exit']);
export type ReportReason = z.infer<typeof ReportReason>;
export const REPORT_REASONS = ReportReason.options;

export const ReportRequest = z.object({
  /** publish a position at most this often, ms */
  intervalMs: z.number().int(),
  reason: ReportReason,
});
export type ReportRequest = z.infer<typeof ReportRequest>;

// --- client requests

const RequestId = z.string().min(1).max(64);

/** Creates or replaces a patient's zone (same `zoneId`). `ifVersion`: 0 = only if new; n = only if it is at version n. */
export const ZonePut = z.strictObject({
  type: z.literal('zone_put'),
  id: RequestId,
  patientId: Id,
  zone: ZoneInput,
  ifVersion: z.number().int().min(0).optional(),
});

export const ZoneDelete = z.strictObject({
  type: z.literal('zone_delete'),
  id: RequestId,
  patientId: Id,
  zoneId: ZoneId,
  ifVersion: z.number().int().min(1).optional(),
});

/** Lists a patient's zones. */
export const ZonesList = z.strictObject({
  type: z.literal('zones'),
  id: RequestId,
  patientId: Id,
});

/** A caregiver acknowledges an open alert; everyone watching the patient's alerts sees who and when. */
export const AlertAck = z.strictObject({
  type: z.literal('alert_ack'),
  id: RequestId,
  patientId: Id,
  alertId: z.string().min(1).max(128),
});

/** A patient's alerts, open and acknowledged, newest first (the audit trail). */
export const AlertsList = z.strictObject({
  type: z.literal('alerts'),
  id: RequestId,
  patientId: Id,
  before: AlertCursor.optional(),
  limit: z.number().int().min(1).max(100).default(20),
});

/** The patient's device heartbeat: its state, apart from positions. */
export const DeviceReport = z.strictObject({
  type: z.literal('device'),
  id: RequestId,
  device: DeviceState,
});

// --- results

export const ZoneResult = z.object({ zone: ZoneView });
export const ZonesResult = z.object({ patientId: z.string(), zones: z.array(ZoneView) });
export const AlertAckResult = z.object({ alert: AlertView });
export const AlertsResult = z.object({ patientId: z.string(), alerts: z.array(AlertView) });
export const DeviceResult = z.object({
  health: TrackingHealth,
  report: ReportRequest,
  /** send the next heartbeat within this, ms */
  heartbeatMs: z.number().int(),
});

// --- deliveries (server-made: `from.role` is `server`)

const delivered = {
  seq: z.number().int().positive(),
  channel: ChannelName,
  from: Sender,
  ts: z.number(),
};

/** On `alerts:<patientId>`: an alert was raised, escalated (re-sent) or acknowledged. */
export const AlertDelivery = z.object({
  type: z.literal('alert'),
  ...delivered,
  event: AlertEvent,
  alert: AlertView,
});

/** On `alerts:<patientId>`: a caregiver created, changed or deleted a zone (`zone` is null when deleted). */
export const ZoneDelivery = z.object({
  type: z.literal('zone'),
  ...delivered,
  event: z.enum(['put', 'deleted']),
  patientId: z.string(),
  zoneId: z.string(),
  zone: ZoneView.nullable(),
});

/** On `location:<patientId>`: the patient's tracking status changed. */
export const StatusDelivery = z.object({
  type: z.literal('status'),
  ...delivered,
  patientId: z.string(),
  health: TrackingHealth,
});

/** On `user:<patientId>`: the server asks the patient's devices to publish positions at this interval. */
export const ReportDelivery = z.object({
  type: z.literal('report'),
  ...delivered,
  report: ReportRequest,
});

export type AlertDelivery = z.infer<typeof AlertDelivery>;
export type ZoneDelivery = z.infer<typeof ZoneDelivery>;
export type StatusDelivery = z.infer<typeof StatusDelivery>;
export type ReportDelivery = z.infer<typeof ReportDelivery>;
