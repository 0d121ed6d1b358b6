import type { TetherClient } from '@tether/client';
import type { AlertsSource, CareAlert, Unsubscribe } from './care.ts';
import { NotConnectedError } from './not-connected.ts';

/** alerts kept, newest first */
const KEPT = 50;

/**
 * The alerts the server raises today: a patient's SOS (`alert` frames on `user:<me>`,
 * docs/protocol.md 15.7), as they arrive while the page is open. The server keeps no
 * acknowledgements for them yet (alerts that stay open until acknowledged, with who took them,
 * come with the safety work, which replaces this source), so `canAcknowledge` is false.
 */
export class SosAlerts implements AlertsSource {
  readonly connected = true;
  readonly canAcknowledge = false;
  private alerts: CareAlert[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly off: () => void;

  constructor(client: TetherClient) {
    this.off = client.on('alert', (frame) => {
      if (this.alerts.some((a) => a.id === frame.alertId)) return;
      this.alerts = [{ id: frame.alertId, patientId: frame.patientId, kind: frame.kind, reason: frame.kind, raisedAt: frame.ts }, ...this.alerts].slice(0, KEPT);
      this.listeners.forEach((listener) => listener());
    });
  }

  watch(patientIds: readonly string[], listener: (alerts: readonly CareAlert[]) => void): Unsubscribe {
    const wanted = new Set(patientIds);
    const tell = () => listener(this.alerts.filter((a) => wanted.has(a.patientId)));
    this.listeners.add(tell);
    tell();
    return () => this.listeners.delete(tell);
  }

  acknowledge(): Promise<void> {
    return Promise.reject(new NotConnectedError('acknowledging alerts'));
  }

  stop(): void {
    this.off();
  }
}
