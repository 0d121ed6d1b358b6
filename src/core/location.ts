import type { Position } from '../protocol/index.ts';
import { locationChannel } from '../protocol/index.ts';
import { mayPublishLocation } from './authorize.ts';
import { mapped } from './bus-errors.ts';
import { TetherError } from './errors.ts';
import type { Session } from './session.ts';
import type { Issued } from './signals.ts';

/**
 * A patient's new position: relayed live to `location:<patient>` watchers and kept as the
 * last known position. The ack waits for both; if the store is down the live relay still
 * happens and the ack is a STORE_UNAVAILABLE error saying the position was not kept.
 */
export async function publishLocation(session: Session, position: Position): Promise<Issued> {
  if (!mayPublishLocation(session.identity)) {
    throw new TetherError('FORBIDDEN', 'only patients publish locations');
  }
  const { ctx } = session;
  const channel = locationChannel(session.identity.userId);
  const fix = { position, from: session.sender, ts: ctx.now() };
  const relayed = mapped(ctx.relay.publish(channel, { type: 'location', channel, ...fix }, { mandatory: false }));
  const kept = mapped(ctx.store.setLastPosition(session.identity.userId, fix));
  const confirmed = Promise.all([relayed, kept]).then(() => undefined);
  return { confirmed };
}
