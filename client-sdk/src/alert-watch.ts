import type { AlertEvent, AlertView } from '../../src/protocol/index.ts';
import type { TetherClient } from './client.ts';
import { shareSubscription } from './shared-subscription.ts';

/** What changed in a watched patient's alerts. */
export interface AlertChange {
  /** `snapshot`: the list came from a (re-)subscribe; otherwise the alert event received */
  event: AlertEvent | 'snapshot';
  /** the alert the event is about; null for a snapshot */
  alert: AlertView | null;
  /** every open alert now, oldest first */
  open: readonly AlertView[];
}

export type AlertWatchListener = (change: AlertChange) => void;

/** A running watch; `stop()` ends it. */
export interface AlertWatch {
  readonly patientId: string;
  /** the open alerts, oldest first */
  readonly open: readonly AlertView[];
  /** Stops delivering; unsubscribes when no other watch of this client follows the patient. */
  stop(): Promise<void>;
}

/** True when `next` is a later view of the alert than `known` (acknowledged wins, then the higher level). */
export function isNewerAlert(next: AlertView, known: AlertView | undefined): boolean {
  if (!known) return true;
  if (known.state === 'acknowledged') return false;
  return next.state === 'acknowledged' || next.level > known.level;
}

/**
 * For caregivers: follows a patient's alerts on `alerts:<patientId>`. Resolves once the
 * subscription is live; `listener` gets the open alerts at once (`snapshot`), then every event.
 *
 * Alert events come from whichever node decided them, so for one alert they may arrive out of
 * order, and after a node crash one may arrive twice: each is applied only if it is newer than
 * what is known of the alert (acknowledged beats open, then the higher level); the others are
 * dropped. After a reconnect the SDK subscribes again and the fresh open list is a `snapshot`
 * (events while away are not kept by the server); after a resumed session, which keeps the
 * subscription but not what was published meanwhile, the watch subscribes again itself.
 */
export async function watchAlerts(client: TetherClient, patientId: string, listener: AlertWatchListener): Promise<AlertWatch> {
  const channel = `alerts:${patientId}` as const;
  const known = new Map<string, AlertView>();
  let open: AlertView[] = [];
  let stopped = false;
  const emit = (event: AlertChange['event'], alert: AlertView | null): void => {
    if (!stopped) listener({ event, alert, open });
  };
  const snapshot = (list: readonly AlertView[] | undefined): void => {
    if (!list) return;
    for (const alert of list) if (isNewerAlert(alert, known.get(alert.alertId))) known.set(alert.alertId, alert);
    // the snapshot is the server's open list; an acknowledgement that already arrived wins over it
    open = list.map((a) => known.get(a.alertId)!).filter((a) => a.state === 'open');
    emit('snapshot', null);
  };
  const off = [
    client.on('subscribed', (event) => {
      if (event.channel === channel) snapshot(event.result.open);
    }),
    client.on('alert', (delivery) => {
      if (delivery.channel !== channel || !isNewerAlert(delivery.alert, known.get(delivery.alert.alertId))) return;
      known.set(delivery.alert.alertId, delivery.alert);
      open = delivery.alert.state === 'open'
        ? [...open.filter((a) => a.alertId !== delivery.alert.alertId), delivery.alert].sort((a, b) => a.raisedAt - b.raisedAt)
        : open.filter((a) => a.alertId !== delivery.alert.alertId);
      emit(delivery.event, delivery.alert);
    }),
    client.on('welcome', (welcome) => {
      // a resumed session kept the channel, not the events published while it was away
      if (welcome.resumed?.ok && welcome.subscriptions.includes(channel)) client.subscribe(channel).catch(() => {});
    }),
  ];
  const release = await shareSubscription(client, channel, off);
  return {
    patientId,
    get open() {
      return open;
    },
    async stop() {
      stopped = true;
      await release();
    },
  };
}
