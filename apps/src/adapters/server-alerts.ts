import { type AlertWatch, type TetherClient, isNewerAlert, watchAlerts } from '@tether/client';
import type { AlertView } from '../../../src/protocol/index.ts';
import type { AlertHistoryPage, AlertsSource, CareAlert, Unsubscribe } from './care.ts';

/** acknowledged alerts kept on screen per page, newest first */
const ACKNOWLEDGED_KEPT = 20;

/**
 * A patient's alerts from the server (docs/protocol.md 16.4) through the SDK's `watchAlerts`
 * (`alerts:<id>`, newest view of each alert wins, a fresh snapshot after every reconnect): the
 * open ones, and those acknowledged while this page was open or by this page, with who took them.
 * One watch per patient, shared by every listener; stopped when the last listener goes. The
 * history is the server's audit trail (`alerts`, 16.6), each alert as this page knows it best.
 */
export class ServerAlerts implements AlertsSource {
  private readonly open = new Map<string, readonly AlertView[]>();
  private acknowledged: AlertView[] = [];
  private readonly watches = new Map<string, Promise<AlertWatch | null>>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly client: TetherClient) {}

  watch(patientIds: readonly string[], listener: (alerts: readonly CareAlert[]) => void): Unsubscribe {
    const wanted = new Set(patientIds);
    const tell = () => listener(this.list(wanted));
    this.listeners.add(tell);
    for (const patientId of wanted) this.follow(patientId);
    tell();
    return () => this.listeners.delete(tell);
  }

  async history(patientId: string, { limit, before }: { limit: number; before?: CareAlert }): Promise<AlertHistoryPage> {
    // one more than asked: whether older ones are left, without a second request
    const views = await this.client.alertHistory(patientId, { limit: limit + 1, ...(before ? { before: { raisedAt: before.raisedAt, alertId: before.id } } : {}) });
    return { alerts: views.slice(0, limit).map((view) => careAlert(this.newest(view))), more: views.length > limit };
  }

  /** the newer of `view` (the trail, written a moment after each event) and what the watch saw */
  private newest(view: AlertView): AlertView {
    const seen = [...(this.open.get(view.patientId) ?? []), ...this.acknowledged].find((a) => a.alertId === view.alertId);
    return seen && isNewerAlert(seen, view) ? seen : view;
  }

  async acknowledge(patientId: string, alertId: string): Promise<void> {
    this.remember(await this.client.acknowledgeAlert(patientId, alertId));
  }

  private follow(patientId: string): void {
    if (this.watches.has(patientId)) return;
    const watch = watchAlerts(this.client, patientId, (change) => {
      this.open.set(patientId, change.open);
      if (change.alert?.state === 'acknowledged') this.remember(change.alert);
      else this.emit();
    }).catch((error: unknown) => {
      console.error(`alerts of ${patientId}: not watched`, error); // FORBIDDEN: the token no longer grants the patient
      return null;
    });
    this.watches.set(patientId, watch);
  }

  private remember(alert: AlertView): void {
    this.acknowledged = [alert, ...this.acknowledged.filter((a) => a.alertId !== alert.alertId)].slice(0, ACKNOWLEDGED_KEPT);
    this.open.set(alert.patientId, (this.open.get(alert.patientId) ?? []).filter((a) => a.alertId !== alert.alertId));
    this.emit();
  }

  private list(wanted: Set<string>): CareAlert[] {
    const open = [...wanted].flatMap((id) => this.open.get(id) ?? []);
    const done = this.acknowledged.filter((a) => wanted.has(a.patientId));
    return [...open.sort((a, b) => b.raisedAt - a.raisedAt), ...done].map(careAlert);
  }

  private emit(): void {
    this.listeners.forEach((tell) => tell());
  }
}

function careAlert(alert: AlertView): CareAlert {
  return {
    id: alert.alertId,
    patientId: alert.patientId,
    kind: alert.reason,
    reason: alert.reason,
    raisedAt: alert.raisedAt,
    level: alert.level,
    ...(alert.zone ? { zoneName: alert.zone.name } : {}),
    ...(alert.acknowledgedBy ? { acknowledgedBy: alert.acknowledgedBy.userId } : {}),
    ...(alert.acknowledgedAt !== null ? { acknowledgedAt: alert.acknowledgedAt } : {}),
  };
}
