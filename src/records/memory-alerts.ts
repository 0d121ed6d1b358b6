import type { AlertView } from '../protocol/index.ts';
import { type AlertPage, type AlertRecord, type AlertTrail, isNewerAlert } from './alert-trail.ts';

/** What a MemoryAlertTrail keeps: alerts by id, and their events by `alertId|event|level`. */
export class MemoryAlertData {
  readonly alerts = new Map<string, AlertView>();
  readonly events = new Map<string, AlertRecord>();
}

/** The alert audit trail held in memory (contract: alert-trail.ts); at most `maxAlerts`, the oldest raised forgotten first. */
export class MemoryAlertTrail implements AlertTrail {
  private readonly d: MemoryAlertData;
  private readonly maxAlerts: number;
  private readonly assertUp: () => void;

  constructor(data: MemoryAlertData, maxAlerts: number, assertUp: () => void) {
    this.d = data;
    this.maxAlerts = maxAlerts;
    this.assertUp = assertUp;
  }

  async recordAlerts(events: readonly AlertRecord[]): Promise<void> {
    this.assertUp();
    for (const record of events) {
      const key = `${record.alert.alertId}|${record.event}|${record.alert.level}`;
      if (!this.d.events.has(key)) this.d.events.set(key, structuredClone(record));
      const current = this.d.alerts.get(record.alert.alertId);
      if (!current || isNewerAlert(record.alert, current)) this.d.alerts.set(record.alert.alertId, structuredClone(record.alert));
    }
    if (this.d.alerts.size > this.maxAlerts) {
      const oldest = [...this.d.alerts.values()].sort(newestFirst).slice(this.maxAlerts);
      for (const alert of oldest) this.forget(alert.alertId);
    }
  }

  async listAlerts(patientId: string, { before, limit }: AlertPage): Promise<AlertView[]> {
    this.assertUp();
    const mine = [...this.d.alerts.values()].filter((a) => a.patientId === patientId).sort(newestFirst);
    const older = before ? mine.filter((a) => a.raisedAt < before.raisedAt || (a.raisedAt === before.raisedAt && a.alertId < before.alertId)) : mine;
    return structuredClone(older.slice(0, limit));
  }

  async alertEvents(alertId: string): Promise<AlertRecord[]> {
    this.assertUp();
    const events = [...this.d.events.values()].filter((e) => e.alert.alertId === alertId);
    return structuredClone(events.sort((a, b) => a.at - b.at || order(a) - order(b)));
  }

  async pruneAlerts(raisedBefore: number): Promise<number> {
    this.assertUp();
    const old = [...this.d.alerts.values()].filter((a) => a.raisedAt < raisedBefore);
    for (const alert of old) this.forget(alert.alertId);
    return old.length;
  }

  private forget(alertId: string): void {
    this.d.alerts.delete(alertId);
    for (const key of [...this.d.events.keys()]) if (key.startsWith(`${alertId}|`)) this.d.events.delete(key);
  }
}

const EVENT_ORDER = { raised: 0, escalated: 1, acknowledged: 2 } as const;
const order = (e: AlertRecord): number => EVENT_ORDER[e.event] * 1_000_000 + e.alert.level;

function newestFirst(a: AlertView, b: AlertView): number {
  return b.raisedAt - a.raisedAt || (a.alertId < b.alertId ? 1 : a.alertId > b.alertId ? -1 : 0);
}
