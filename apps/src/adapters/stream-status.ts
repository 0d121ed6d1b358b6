import type { TetherClient } from '@tether/client';
import type { ServerClock } from '../connection.ts';
import type { TrackingStatus, TrackingStatusSource, Unsubscribe } from './care.ts';

/** battery percent below which a patient's phone counts as low */
export const BATTERY_LOW_PERCENT = 20;

interface Known {
  /** server time of the newest position, ms */
  ts: number;
  battery: number | undefined;
  /** the server said `stale` after that position */
  stale: boolean;
}

/**
 * Tracking status read from the location stream alone, until the server's tracking health
 * (safety, issue 13: live, stationary, no fix, silent, battery low, with a reason) is on main:
 * - silent (`no_recent_position`): the server sent `stale` after the newest position (nothing for
 *   the welcome's `staleAfterMs`, LOCATION_STALE_MS), or the newest position a subscribe gave
 *   back is already older than that;
 * - battery low (`battery_below_threshold`): the newest position says below BATTERY_LOW_PERCENT;
 * - live (`reporting`): otherwise, once a position is known.
 * It cannot tell "not moving" or "no fix" (location off, no permission): only the phone's
 * heartbeats can, which the server's safety work brings. `basis` says so to the screen.
 * It listens to the streams the console watches (PatientTracker subscribes), it does not subscribe.
 */
export class StreamStatus implements TrackingStatusSource {
  readonly connected = true;
  readonly basis = 'location_stream' as const;
  private readonly known = new Map<string, Known>();
  private readonly listeners = new Map<string, Set<(status: TrackingStatus | null) => void>>();

  constructor(
    private readonly client: TetherClient,
    private readonly clock: ServerClock,
  ) {
    client.on('location', (update) => this.position(update.channel, update.ts, update.position.battery));
    client.on('subscribed', ({ channel, result }) => {
      if (!result.last) return;
      const staleAfter = client.welcome?.staleAfterMs ?? Infinity;
      this.position(channel, result.last.ts, result.last.position.battery, this.clock.now() - result.last.ts > staleAfter);
    });
    client.on('stale', (frame) => {
      const known = this.known.get(frame.patientId);
      if (!known || (frame.lastTs !== null && frame.lastTs < known.ts)) return; // about an older silence
      known.stale = true;
      this.emit(frame.patientId);
    });
  }

  watch(patientId: string, listener: (status: TrackingStatus | null) => void): Unsubscribe {
    const set = this.listeners.get(patientId) ?? new Set();
    this.listeners.set(patientId, set);
    set.add(listener);
    listener(this.statusOf(patientId));
    return () => set.delete(listener);
  }

  private position(channel: string, ts: number, battery: number | undefined, stale = false): void {
    if (!channel.startsWith('location:')) return;
    const patientId = channel.slice('location:'.length);
    const known = this.known.get(patientId);
    if (known && ts < known.ts) return;
    this.known.set(patientId, { ts, battery, stale });
    this.emit(patientId);
  }

  private statusOf(patientId: string): TrackingStatus | null {
    const known = this.known.get(patientId);
    if (!known) return null;
    const battery = known.battery === undefined ? {} : { battery: known.battery };
    if (known.stale) return { status: 'silent', reason: 'no_recent_position', since: known.ts, ...battery };
    if (known.battery !== undefined && known.battery < BATTERY_LOW_PERCENT) return { status: 'battery_low', reason: 'battery_below_threshold', since: known.ts, ...battery };
    return { status: 'live', reason: 'reporting', since: known.ts, ...battery };
  }

  private emit(patientId: string): void {
    const status = this.statusOf(patientId);
    this.listeners.get(patientId)?.forEach((listener) => listener(status));
  }
}
