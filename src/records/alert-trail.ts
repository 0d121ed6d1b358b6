import type { AlertEvent, AlertView } from '../protocol/index.ts';

/**
 * The audit trail of safety alerts: every alert raised, each escalation, and who acknowledged it
 * and when. Written after the fact by whichever node announced the event (through the safety
 * outbox, so a write may be repeated).
 *
 * Contract (every adapter passes test/contract/safety-records-contract.ts):
 * - `recordAlerts` keeps each event once per (alertId, event, level): a repeated write changes
 *   nothing. The alert itself is kept as its newest view: acknowledged wins over open, and
 *   among open views the higher level; events may arrive in any order.
 * - `listAlerts` returns a patient's alerts newest first, by (raisedAt, alertId) descending, at
 *   most `limit`, only those strictly before `before` when given.
 * - `alertEvents` returns one alert's events, oldest first.
 * - `pruneAlerts` forgets alerts raised before `raisedBefore` with their events (the retention),
 *   and says how many alerts.
 * - When the backend is unreachable every call rejects with `RecordsError`.
 */
export interface AlertTrail {
  recordAlerts(events: readonly AlertRecord[]): Promise<void>;
  listAlerts(patientId: string, page: AlertPage): Promise<AlertView[]>;
  alertEvents(alertId: string): Promise<AlertRecord[]>;
  pruneAlerts(raisedBefore: number): Promise<number>;
}

/** One event of an alert, with the alert as it was right after it. */
export interface AlertRecord {
  event: AlertEvent;
  /** server time of the event, ms */
  at: number;
  alert: AlertView;
}

export interface AlertPage {
  before: { raisedAt: number; alertId: string } | null;
  limit: number;
}

/** True when `next` is a later view of the same alert than `current`. */
export function isNewerAlert(next: AlertView, current: AlertView): boolean {
  if (current.state === 'acknowledged') return false;
  return next.state === 'acknowledged' || next.level > current.level;
}
