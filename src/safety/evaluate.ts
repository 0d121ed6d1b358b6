import type { AlertEvent, AlertReason, AlertView, DeviceState, Position, ReportRequest, Sender, TrackingHealth, ZoneView } from '../protocol/index.ts';
import { distanceM } from './geo.ts';
import { deriveHealth, isBatteryLow, batteryOf, nextHealthChange } from './health.ts';
import { MAX_OPEN_ALERTS, MAX_RECENT_ALERTS, type PatientState, initialState } from './patient-state.ts';
import { isActive, nextChange } from './schedule.ts';
import type { SafetySettings } from './settings.ts';
import type { SosAlert } from '../calls/alert-sink.ts';
import { observe, trackFor } from './zone-track.ts';

/** how far ahead of the server's clock a fix's device time is believed (clocks drift) */
export const FUTURE_TOLERANCE_MS = 300_000;

/** What happened to a patient that the rules must weigh. */
export type SafetyInput =
  | { kind: 'fix'; position: Position }
  | { kind: 'device'; device: DeviceState }
  /** time passed (a due time), or the zones changed */
  | { kind: 'tick' }
  | { kind: 'ack'; alertId: string; by: Sender }
  | { kind: 'sos'; alert: SosAlert }
  /** a call involving the patient is on until `until` (null: it ended) */
  | { kind: 'call'; callId: string; until: number | null };

/** Something the node must tell the world after the change is stored. */
export type Effect =
  | { kind: 'alert'; event: AlertEvent; alert: AlertView; circle?: readonly string[] }
  | { kind: 'status'; health: TrackingHealth }
  | { kind: 'report'; report: ReportRequest };

export interface Evaluation {
  state: PatientState;
  effects: Effect[];
  /** when the patient must be evaluated again with nothing new heard; null: never */
  due: number | null;
  /** alert ids opened and closed by this change (for the cluster-wide count) */
  opened: string[];
  closed: string[];
  /** for an `ack`: the alert as it is now (acknowledged by this or an earlier ack); null if unknown */
  alert?: AlertView | null;
}

/** The zones as last saved, or null when they could not be read (zone rules are then left as they were). */
export interface ZoneList {
  rev: number;
  zones: readonly ZoneView[];
}

/**
 * The safety rules as one pure function: the patient's state after `input` at server time `now`,
 * the effects to announce, and when to look again. Deterministic given `newId`, so every node
 * computes the same, and a change is decided once by the store's compare-and-set: whichever node
 * commits a transition is the one that announces it.
 */
export function evaluate(
  prev: PatientState | null,
  patientId: string,
  zones: ZoneList | null,
  input: SafetyInput,
  now: number,
  s: SafetySettings,
  newId: () => string,
): Evaluation {
  const st = prev ? structuredClone(prev) : initialState(patientId, s.reportNormalMs, now);
  const out: Evaluation = { state: st, effects: [], due: null, opened: [], closed: [] };
  // heard from (a position or a heartbeat) within silentMs before this input: the side it was last
  // confirmed on still stands for a schedule that begins now
  const heard = lastHeard(st);
  const recent = heard !== null && now - heard <= s.silentMs;
  const raise = (reason: AlertReason, extra: Partial<AlertView> = {}, circle?: readonly string[]): void => {
    const zoneId = extra.zone?.zoneId;
    if (reason !== 'sos' && st.open.some((a) => a.reason === reason && a.zone?.zoneId === zoneId)) return;
    if (st.open.length >= MAX_OPEN_ALERTS) return;
    const alert: AlertView = {
      alertId: newId(),
      patientId,
      reason,
      state: 'open',
      raisedAt: now,
      zone: null,
      position: st.lastFix?.position ?? null,
      level: 0,
      nextEscalationAt: s.escalateMax > 0 ? now + s.escalateMs : null,
      acknowledgedBy: null,
      acknowledgedAt: null,
      callId: null,
      ...extra,
    };
    st.open.push(alert);
    if (circle) st.circles[alert.alertId] = [...circle];
    out.opened.push(alert.alertId);
    out.effects.push(circle ? { kind: 'alert', event: 'raised', alert, circle } : { kind: 'alert', event: 'raised', alert });
  };

  let fix: Position | null = null;
  switch (input.kind) {
    case 'fix':
      // a fix dated more than FUTURE_TOLERANCE_MS ahead of the server's clock (a phone clock set
      // ahead) counts as taken now: kept as it came, it would make every later fix look old
      fix = input.position.timestamp > now + FUTURE_TOLERANCE_MS ? { ...input.position, timestamp: now } : input.position;
      // an old or repeated fix (a retry, a reordering) changes nothing
      if (st.lastFix && fix.timestamp <= st.lastFix.position.timestamp) return finish(out, zones, now, s);
      st.lastFix = { position: fix, ts: now };
      if (!st.anchor || distanceM(st.anchor, fix) - fix.accuracy > s.stationaryRadiusM) {
        st.anchor = { lat: fix.lat, lng: fix.lng };
        st.movedAt = now;
      }
      break;
    case 'device':
      st.heartbeat = { device: input.device, ts: now };
      break;
    case 'ack':
      acknowledge(st, out, input.alertId, input.by, now);
      break;
    case 'sos': {
      const known = [...st.open, ...st.recent].find((a) => a.alertId === input.alert.alertId);
      if (!known) raise('sos', { alertId: input.alert.alertId, callId: input.alert.callId, raisedAt: input.alert.ts }, input.alert.caregivers);
      break;
    }
    case 'call':
      if (input.until === null) delete st.calls[input.callId];
      else st.calls[input.callId] = input.until;
      break;
    case 'tick':
      break;
  }

  if (zones) zoneRules(st, zones, fix, now, s, raise, recent);

  const health = deriveHealth(st, now, s, st.health);
  if (health && (st.health?.status !== health.status || st.health.reason !== health.reason)) {
    out.effects.push({ kind: 'status', health });
    if (health.status === 'silent') raise('silent');
  }
  st.health = health;
  const low = isBatteryLow(st, s);
  if (low && !st.batteryLow) raise('battery_low');
  const level = batteryOf(st);
  if (low) st.batteryLow = true;
  else if ((st.heartbeat?.device.charging ?? false) || level === null || level > s.batteryLowPercent + 5) st.batteryLow = false;

  for (const alert of st.open) {
    if (alert.nextEscalationAt === null || alert.nextEscalationAt > now) continue;
    alert.level++;
    alert.nextEscalationAt = alert.level < s.escalateMax ? now + s.escalateMs : null;
    const circle = st.circles[alert.alertId];
    out.effects.push(circle ? { kind: 'alert', event: 'escalated', alert: { ...alert }, circle } : { kind: 'alert', event: 'escalated', alert: { ...alert } });
  }
  for (const [callId, until] of Object.entries(st.calls)) if (until <= now) delete st.calls[callId];
  return finish(out, zones, now, s);
}

/** Zone tracks, schedule starts, crossings and dwell. */
function zoneRules(
  st: PatientState,
  { rev, zones }: ZoneList,
  fix: Position | null,
  now: number,
  s: SafetySettings,
  raise: (reason: AlertReason, extra?: Partial<AlertView>) => void,
  recent: boolean,
): void {
  const tracks: PatientState['tracks'] = {};
  for (const zone of zones) {
    const old = st.tracks[zone.zoneId];
    let track = trackFor(old, zone);
    const ref = { zone: { zoneId: zone.zoneId, name: zone.name } };
    const active = isActive(zone.schedule, now);
    // a schedule that just began: judge the side the patient is already on (not for a silent
    // patient: that side may be weeks old, and `silent` was raised already)
    if (track.active === false && active && recent) {
      if (track.inside === false && zone.alertOn.includes('exit')) raise('zone_exit', ref);
      if (track.inside === true && zone.alertOn.includes('enter')) raise('zone_enter', ref);
    }
    track = { ...track, active };
    if (fix) {
      const seen = observe(track, zone, fix, s);
      track = seen.track;
      const watched = active && zone.alertOn.includes('exit');
      if (watched && (seen.leaving || seen.crossed === 'exit')) st.fastUntil = Math.max(st.fastUntil, now + s.reportFastHoldMs);
      if (active && seen.crossed === 'exit' && zone.alertOn.includes('exit')) raise('zone_exit', ref);
      if (active && seen.crossed === 'enter' && zone.alertOn.includes('enter')) raise('zone_enter', ref);
    }
    tracks[zone.zoneId] = track;
  }
  st.tracks = tracks;
  st.zonesRev = rev;

  const safe = zones.filter((z) => tracks[z.zoneId]!.active && z.alertOn.includes('exit'));
  if (safe.length > 0 && safe.every((z) => tracks[z.zoneId]!.inside === false)) {
    st.outsideSince ??= now;
  } else {
    st.outsideSince = null;
    st.dwellRaised = false;
  }
  if (s.dwellMs > 0 && st.outsideSince !== null && !st.dwellRaised && now >= st.outsideSince + s.dwellMs) {
    raise('dwell');
    st.dwellRaised = true;
  }
}

function acknowledge(st: PatientState, out: Evaluation, alertId: string, by: Sender, now: number): void {
  const i = st.open.findIndex((a) => a.alertId === alertId);
  if (i < 0) {
    out.alert = st.recent.find((a) => a.alertId === alertId) ?? null;
    return;
  }
  const [open] = st.open.splice(i, 1);
  const alert: AlertView = { ...open!, state: 'acknowledged', acknowledgedBy: by, acknowledgedAt: now, nextEscalationAt: null };
  st.recent.push(alert);
  if (st.recent.length > MAX_RECENT_ALERTS) st.recent.splice(0, st.recent.length - MAX_RECENT_ALERTS);
  const circle = st.circles[alertId];
  delete st.circles[alertId];
  out.closed.push(alertId);
  out.alert = alert;
  out.effects.push(circle ? { kind: 'alert', event: 'acknowledged', alert, circle } : { kind: 'alert', event: 'acknowledged', alert });
}

/** The reporting interval to ask for, and the next time anything falls due. */
function finish(out: Evaluation, zones: ZoneList | null, now: number, s: SafetySettings): Evaluation {
  const st = out.state;
  const reason: ReportRequest['reason'] =
    st.open.length > 0 ? 'alert_open' : Object.keys(st.calls).length > 0 ? 'call' : st.fastUntil > now ? 'zone_exit' : 'normal';
  const report = { intervalMs: reason === 'normal' ? s.reportNormalMs : s.reportFastMs, reason };
  if (report.intervalMs !== st.report.intervalMs || report.reason !== st.report.reason) {
    st.report = report;
    out.effects.push({ kind: 'report', report });
  }
  const times: Array<number | null> = [nextHealthChange(st, st.health, s)];
  if (s.dwellMs > 0 && st.outsideSince !== null && !st.dwellRaised) times.push(st.outsideSince + s.dwellMs);
  // a silent patient's schedules need no ticks: nothing is judged for it, and its state can expire
  const heard = lastHeard(st);
  if (heard !== null && now - heard <= s.silentMs) for (const zone of zones?.zones ?? []) times.push(nextChange(zone.schedule, now));
  for (const alert of st.open) times.push(alert.nextEscalationAt);
  if (st.fastUntil > now) times.push(st.fastUntil);
  times.push(...Object.values(st.calls));
  const due = Math.min(...times.filter((t): t is number => t !== null));
  out.due = Number.isFinite(due) ? Math.max(due, now + 1) : null;
  st.updatedAt = now;
  return out;
}

/** Server time the patient was last heard from (a position or a heartbeat), or null. */
function lastHeard(st: PatientState): number | null {
  const times = [st.lastFix?.ts, st.heartbeat?.ts].filter((t): t is number => t !== undefined);
  return times.length > 0 ? Math.max(...times) : null;
}
