/**
 * Waiting on SDK events in tests: `nextEvent(client, 'state', (s) => s.state === 'open')`
 * resolves with the first matching event emitted after the call. No polling, no sleeps.
 */
import type { TetherClient, TetherEvents } from '../../src/index.ts';

export function nextEvent<K extends keyof TetherEvents>(
  client: TetherClient,
  event: K,
  where: (value: TetherEvents[K]) => boolean = () => true,
): Promise<TetherEvents[K]> {
  return new Promise((resolve) => {
    const off = client.on(event, (value) => {
      if (!where(value)) return;
      off();
      resolve(value);
    });
  });
}

/** Resolves when `client` reaches `state`, at once if it is already there. */
export function stateIs(client: TetherClient, state: TetherEvents['state']['state']): Promise<void> {
  if (client.state === state) return Promise.resolve();
  return nextEvent(client, 'state', (s) => s.state === state).then(() => undefined);
}
