import type { Position, Sender } from '../../src/protocol/index.ts';
import { locationChannel } from './channels.ts';
import type { TetherClient } from './client.ts';
import { shareSubscription } from './shared-subscription.ts';

/** One position of a watched patient. */
export interface LocationFix {
  position: Position;
  /** the publishing session, stamped by the server */
  from: Sender;
  /** server time the fix was accepted, ms since the Unix epoch */
  ts: number;
  /** true for a live update, false for the last known position from a (re-)subscribe ack */
  live: boolean;
}

/** A running watch; `stop()` ends it. */
export interface LocationWatch {
  readonly patientId: string;
  /** the newest fix delivered so far, or null */
  readonly last: LocationFix | null;
  /** Stops delivering; unsubscribes when no other watch of this client follows the patient. */
  stop(): Promise<void>;
}

/**
 * For caregivers: follows `patientId`'s location. Subscribes to `location:<patientId>` and
 * resolves once the subscription is live; `onFix` gets the last known position (if any) and then
 * every live update. After a reconnect `onFix` gets the newest known position again (from the
 * re-subscribe's ack, or after a resume, which does not replay location updates published while
 * no node held the session, from `history(patientId, { limit: 1 })`), so fixes missed while
 * offline are caught up to the newest (not replayed).
 *
 * Fixes are delivered newest-only: one whose device `timestamp` is not after the last delivered
 * one is skipped (a re-subscribe's last position usually repeats the last live update).
 * Rejects like `subscribe` (e.g. FORBIDDEN when the token does not list the patient).
 */
export async function watchLocation(client: TetherClient, patientId: string, onFix: (fix: LocationFix) => void): Promise<LocationWatch> {
  const channel = locationChannel(patientId);
  let last: LocationFix | null = null;
  let stopped = false;
  const deliver = (fix: LocationFix): void => {
    if (stopped || (last && fix.position.timestamp <= last.position.timestamp)) return;
    last = fix;
    onFix(fix);
  };
  // listening before subscribing: the ack's `subscribed` event and the first live update are not missed
  const off = [
    client.on('subscribed', (event) => {
      const known = event.channel === channel ? event.result.last : null;
      if (known) deliver({ position: known.position, from: known.from, ts: known.ts, live: false });
    }),
    client.on('location', (update) => {
      if (update.channel === channel) deliver({ position: update.position, from: update.from, ts: update.ts, live: true });
    }),
    client.on('welcome', (welcome) => {
      if (!welcome.resumed?.ok || !welcome.subscriptions.includes(channel)) return;
      // best effort: a failed read leaves the watch on live updates, as before the reconnect
      client.history(patientId, { limit: 1 }).then(
        ([newest]) => newest && deliver({ position: newest.position, from: newest.from, ts: newest.ts, live: false }),
        () => {},
      );
    }),
  ];
  const release = await shareSubscription(client, channel, off);
  return {
    patientId,
    get last() {
      return last;
    },
    async stop() {
      stopped = true;
      await release();
    },
  };
}
