import type { TetherClient } from './client.ts';
import type { Channel } from './events.ts';

/** How many watches of each client follow each channel, so one watch's stop does not end the others. */
const watches = new WeakMap<TetherClient, Map<string, number>>();

/**
 * Subscribes `channel` for one more watch on `client`; watches of one channel share its
 * subscription. Resolves with the watch's release: it removes `listeners` and unsubscribes once
 * the channel's last watch is released (later calls do nothing). A failed subscribe removes
 * `listeners` and rejects.
 */
export async function shareSubscription(client: TetherClient, channel: Channel, listeners: ReadonlyArray<() => void>): Promise<() => Promise<void>> {
  const counts = watches.get(client) ?? new Map<string, number>();
  watches.set(client, counts);
  counts.set(channel, (counts.get(channel) ?? 0) + 1);
  let released = false;
  /** true when this was the channel's last watch */
  const release = (): boolean => {
    released = true;
    listeners.forEach((unlisten) => unlisten());
    const left = (counts.get(channel) ?? 1) - 1;
    if (left > 0) counts.set(channel, left);
    else counts.delete(channel);
    return left === 0;
  };
  try {
    await client.subscribe(channel);
  } catch (error) {
    release();
    throw error;
  }
  return async () => {
    if (!released && release()) await client.unsubscribe(channel);
  };
}
