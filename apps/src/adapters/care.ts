/**
 * What the apps need from the server's calls (docs/protocol.md 15) and safety (16), as small
 * ports; adapters.ts builds them on the SDK (call-history.ts, sos.ts, server-status.ts,
 * server-alerts.ts, server-zones.ts).
 *
 * Shared contract: a `watch*` calls its listener at once with what is known (possibly nothing),
 * then with the full new value after every change, until the returned function is called.
 */

/** Stops a watch. */
export type Unsubscribe = () => void;

export interface LatLng {
  lat: number;
  lng: number;
}

/** Tracking health of a patient's phone, derived by the server. */
export type TrackingStatusKind = 'live' | 'stationary' | 'silent' | 'no_fix' | 'battery_low';

export interface TrackingStatus {
  status: TrackingStatusKind;
  /**
   * Why, as a code (e.g. `no_heartbeat`, `location_permission_off`); the badge shows a
   * translated text for the codes in the catalogue (`reason.<code>`) and none for others.
   */
  reason: string;
  /** ms since the epoch (server time) this status began */
  since: number;
  /** battery percent from the latest heartbeat, if known */
  battery?: number;
}

export interface TrackingStatusSource {
  /** `null` while the server has no status for the patient */
  watch(patientId: string, listener: (status: TrackingStatus | null) => void): Unsubscribe;
}

export type AlertKind = 'zone_exit' | 'zone_enter' | 'dwell' | 'silent' | 'battery_low' | 'sos';

export interface CareAlert {
  id: string;
  patientId: string;
  kind: AlertKind;
  /** a code, translated like TrackingStatus.reason */
  reason: string;
  /** ms since the epoch (server time) */
  raisedAt: number;
  /** times the server escalated it (sent it again) while nobody acknowledged it */
  level: number;
  /** zone alerts: the zone's name */
  zoneName?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
}

/** One page of a patient's alert history, newest first; `more`: older ones are left. */
export interface AlertHistoryPage {
  alerts: CareAlert[];
  more: boolean;
}

export interface AlertsSource {
  /** open and recently acknowledged alerts of these patients, newest first */
  watch(patientIds: readonly string[], listener: (alerts: readonly CareAlert[]) => void): Unsubscribe;
  /** a patient's alerts, open or not, from the server's record: the newest `limit` (at most 99), or those older than `before` */
  history(patientId: string, options: { limit: number; before?: CareAlert }): Promise<AlertHistoryPage>;
  /** resolves once the server recorded the acknowledgement (everyone's watch then shows who and when) */
  acknowledge(patientId: string, alertId: string): Promise<void>;
}

export type ZoneShape = { kind: 'circle'; center: LatLng; radiusM: number } | { kind: 'polygon'; points: LatLng[] };

/** Which crossings raise an alert: leaving a safe zone, entering a place to avoid, or both. */
export type ZoneAlertOn = 'exit' | 'enter';

/** From `start` to `end` ("HH:MM"; an `end` before `start` is the next day), on ISO weekdays `days` (all when left out). */
export interface ZoneWindow {
  days?: number[];
  start: string;
  end: string;
}

/** When a zone is watched, in an IANA time zone; `null` on a zone: at all times. */
export interface ZoneSchedule {
  timezone: string;
  windows: ZoneWindow[];
}

export interface Zone {
  id: string;
  patientId: string;
  name: string;
  shape: ZoneShape;
  schedule: ZoneSchedule | null;
  /** never empty */
  alertOn: readonly ZoneAlertOn[];
}

export type ZoneDraft = Omit<Zone, 'id'>;

/** Safe zones, per patient. */
export interface ZonesStore {
  list(patientId: string): Promise<Zone[]>;
  create(draft: ZoneDraft): Promise<Zone>;
  /** replaces the zone with this id */
  update(zone: Zone): Promise<Zone>;
  delete(patientId: string, zoneId: string): Promise<void>;
  /** the patient's zones now and after every change, by anyone */
  watch(patientId: string, listener: (zones: readonly Zone[]) => void): Unsubscribe;
}

/** How a call ended, as the server records it (docs/protocol.md, section 15.8). */
export type CallRecordReason = 'missed' | 'declined' | 'cancelled' | 'completed' | 'expired';

/** One call in this user's history: the server's record (CallRecordView), or one just ended that the server is still writing. */
export interface CallRecord {
  callId: string;
  /** the other party's user id */
  peer: string;
  direction: 'incoming' | 'outgoing';
  /** 'sos': a patient's call for help */
  kind: 'call' | 'sos';
  /** ms since the epoch, server time: when it started ringing */
  startedAt: number;
  /** when it was answered, or null */
  answeredAt: number | null;
  endedAt: number;
  /** ms answered; 0 when never answered */
  durationMs: number;
  reason: CallRecordReason;
}

export interface CallHistorySource {
  /** this user's recent calls, newest first, missed ones included */
  watch(listener: (calls: readonly CallRecord[]) => void): Unsubscribe;
  /** the history could not be read (e.g. the records database is down): the list may be old */
  readonly failed: boolean;
}

export type SosResult = { sent: true } | { sent: false; reason: 'failed' };

export interface SosSender {
  /** asks the care circle for help (the server raises an SOS alert and rings caregivers in turn) */
  send(): Promise<SosResult>;
  /** `listener` hears when an SOS this device sent ended with nobody taking it (every caregiver missed or declined it) */
  onUnanswered(listener: () => void): Unsubscribe;
}

/** Everything phase 2 provides; see adapters.ts. */
export interface CareAdapters {
  status: TrackingStatusSource;
  alerts: AlertsSource;
  zones: ZonesStore;
  calls: CallHistorySource;
  sos: SosSender;
}
