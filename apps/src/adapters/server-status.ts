import type { TetherClient } from '@tether/client';
import type { TrackingHealth } from '../../../src/protocol/index.ts';
import type { TrackingStatus, TrackingStatusSource, Unsubscribe } from './care.ts';

/**
 * Tracking health as the server derives it (docs/protocol.md 16.3): from the subscribe ack of
 * `location:<id>` (`health`) and every `status` delivery on it. It listens to the streams the
 * console watches (PatientTracker subscribes them, and the SDK again after a reconnect that
 * starts a new session, so the ack brings the status back); after a resumed session, which kept
 * the subscription but not what was published meanwhile, it subscribes again itself, as the
 * SDK's `watchAlerts` does.
 */
export class ServerStatus implements TrackingStatusSource {
  private readonly known = new Map<string, TrackingStatus>();
  private readonly listeners = new Map<string, Set<(status: TrackingStatus | null) => void>>();
  private readonly off: Array<() => void>;

  constructor(client: TetherClient) {
    this.off = [
      client.on('status', (frame) => this.set(frame.patientId, frame.health)),
      client.on('subscribed', ({ channel, result }) => {
        if (channel.startsWith('location:') && result.health) this.set(channel.slice('location:'.length), result.health);
      }),
      client.on('welcome', (welcome) => {
        // a resumed session kept its channels, not the `status` published while it was away: ask again
        if (!welcome.resumed?.ok) return;
        for (const patientId of this.listeners.keys()) {
          const channel = `location:${patientId}` as const;
          if (welcome.subscriptions.includes(channel)) client.subscribe(channel).catch(() => {}); // the next status delivery corrects it
        }
      }),
    ];
  }

  watch(patientId: string, listener: (status: TrackingStatus | null) => void): Unsubscribe {
    const set = this.listeners.get(patientId) ?? new Set();
    this.listeners.set(patientId, set);
    set.add(listener);
    listener(this.known.get(patientId) ?? null);
    return () => set.delete(listener);
  }

  stop(): void {
    this.off.forEach((off) => off());
  }

  private set(patientId: string, health: TrackingHealth): void {
    const status: TrackingStatus = { status: health.status, reason: health.reason, since: health.since, ...(health.battery === null ? {} : { battery: health.battery }) };
    this.known.set(patientId, status);
    this.listeners.get(patientId)?.forEach((listener) => listener(status));
  }
}
