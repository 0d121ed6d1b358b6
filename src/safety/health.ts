import type { DeviceState, Position, StatusReason, TrackingHealth, TrackingStatus } from '../protocol/index.ts';

/**
 * A patient's tracking status, derived from what was last heard (docs/protocol.md 16.3). Worst
 * first, the first that applies wins:
 *
 * | status | reason | when |
 * | silent | not_heard | no heartbeat and no position for `silentMs` |
 * | no_fix | permission_denied, background_not_allowed, services_off | the last heartbeat says the device cannot locate itself (`while_in_use` permission counts only in the foreground) |
 * | no_fix | no_fix_yet | heard from, but never a position |
 * | battery_low | battery_low | battery at or below `batteryLowPercent` and not charging |
 * | stationary | not_moving | no move farther than `stationaryRadiusM` (beyond the fix's accuracy) for `stationaryMs` |
 * | live | reporting | otherwise |
 */
export interface HealthSettings {
  silentMs: number;
  stationaryMs: number;
  batteryLowPercent: number;
}

/** What the status is derived from, as the patient's state keeps it. */
export interface HealthInputs {
  /** the last position, with the server time it was accepted */
  lastFix: { position: Position; ts: number } | null;
  /** the last heartbeat, with the server time it arrived */
  heartbeat: { device: DeviceState; ts: number } | null;
  /** server time of the last move (or first fix) */
  movedAt: number | null;
}

export function lastSeenAt(i: HealthInputs): number | null {
  const times = [i.lastFix?.ts, i.heartbeat?.ts].filter((t): t is number => t !== undefined);
  return times.length === 0 ? null : Math.max(...times);
}

/** Battery percent from whichever of the last heartbeat and the last position is newer and says. */
export function batteryOf(i: HealthInputs): number | null {
  const fromFix = i.lastFix?.position.battery;
  const fromDevice = i.heartbeat?.device.battery ?? undefined;
  if (fromFix === undefined) return fromDevice ?? null;
  if (fromDevice === undefined) return fromFix;
  return i.heartbeat!.ts >= i.lastFix!.ts ? fromDevice : fromFix;
}

export function isBatteryLow(i: HealthInputs, s: HealthSettings): boolean {
  const level = batteryOf(i);
  return level !== null && level <= s.batteryLowPercent && !(i.heartbeat?.device.charging ?? false);
}

/** The status at `now`, or null if the patient was never heard from. `previous` keeps `since` across evaluations. */
export function deriveHealth(i: HealthInputs, now: number, s: HealthSettings, previous: TrackingHealth | null): TrackingHealth | null {
  const seen = lastSeenAt(i);
  if (seen === null) return null;
  const [status, reason, from] = classify(i, seen, now, s);
  const same = previous && previous.status === status && previous.reason === reason;
  return {
    status,
    reason,
    since: same ? previous.since : Math.min(now, from),
    lastSeenAt: seen,
    lastFixAt: i.lastFix?.ts ?? null,
    battery: batteryOf(i),
    device: i.heartbeat?.device ?? null,
  };
}

/** The status, its reason, and the earliest time it can have begun. */
function classify(i: HealthInputs, seen: number, now: number, s: HealthSettings): [TrackingStatus, StatusReason, number] {
  if (now - seen >= s.silentMs) return ['silent', 'not_heard', seen + s.silentMs];
  const device = i.heartbeat?.device;
  if (device) {
    if (device.locationPermission === 'denied') return ['no_fix', 'permission_denied', now];
    if (!device.locationServices) return ['no_fix', 'services_off', now];
    if (device.locationPermission === 'while_in_use' && !device.foreground) return ['no_fix', 'background_not_allowed', now];
  }
  if (!i.lastFix) return ['no_fix', 'no_fix_yet', now];
  if (isBatteryLow(i, s)) return ['battery_low', 'battery_low', now];
  if (i.movedAt !== null && now - i.movedAt >= s.stationaryMs) return ['stationary', 'not_moving', i.movedAt + s.stationaryMs];
  return ['live', 'reporting', now];
}

/** When the status would next change with nothing new heard (silent or stationary), or null. */
export function nextHealthChange(i: HealthInputs, health: TrackingHealth | null, s: HealthSettings): number | null {
  if (!health || health.status === 'silent') return null;
  const times = [health.lastSeenAt + s.silentMs];
  if (health.status === 'live' && i.movedAt !== null) times.push(i.movedAt + s.stationaryMs);
  return Math.min(...times);
}
