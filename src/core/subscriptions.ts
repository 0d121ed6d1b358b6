import { type SubscribeResult, parseChannel, userChannel } from '../protocol/index.ts';
import { maySubscribe } from './authorize.ts';
import { mapped } from './bus-errors.ts';
import { TetherError } from './errors.ts';
import type { Session } from './session.ts';

/**
 * Subscribe: authorize, bind through the bus, then (rooms) join the shared roster and tell
 * the room, or (locations) read the last known position. The ack is sent only after all of
 * that, so from the ack on every message on the channel reaches the session.
 */
export async function subscribe(session: Session, channel: string): Promise<SubscribeResult> {
  const started = session.ctx.now();
  const parsed = parseChannel(channel);
  if (!maySubscribe(session.identity, parsed)) {
    throw new TetherError('FORBIDDEN', `your token does not grant ${channel}`);
  }
  const fresh = !session.subscriptions.has(channel);
  if (fresh && session.subscriptions.size >= session.ctx.limits.maxSubscriptions) {
    throw new TetherError('TOO_MANY_SUBSCRIPTIONS', `at most ${session.ctx.limits.maxSubscriptions} subscriptions per connection`);
  }
  if (fresh) {
    session.subscriptions.add(channel);
    try {
      await mapped(session.ctx.relay.add(channel, session));
    } catch (error) {
      session.subscriptions.delete(channel);
      throw error;
    }
  }
  const result = await describe(session, channel, fresh).catch(async (error: unknown) => {
    if (fresh) {
      session.subscriptions.delete(channel);
      await session.ctx.relay.remove(channel, session);
    }
    throw error;
  });
  session.ctx.metrics.subscribeAck(parsed.kind, (session.ctx.now() - started) / 1000);
  return result;
}

/** What the ack carries: the roster for rooms (joining it if new), the last position for locations. */
async function describe(session: Session, channel: string, fresh: boolean): Promise<SubscribeResult> {
  const { kind, id } = parseChannel(channel);
  const { store } = session.ctx;
  switch (kind) {
    case 'user':
      return { channel };
    case 'room': {
      const members = await mapped(fresh ? store.joinRoom(id, session.sender) : store.roomMembers(id));
      if (fresh) announce(session, channel, 'joined');
      return { channel, members };
    }
    case 'location':
      return { channel, last: await mapped(store.lastPosition(id)) };
  }
}

export async function unsubscribe(session: Session, channel: string): Promise<void> {
  if (channel === userChannel(session.identity.userId)) {
    throw new TetherError('FORBIDDEN', 'a connection always stays subscribed to its own user channel');
  }
  if (!session.subscriptions.has(channel)) throw new TetherError('NOT_SUBSCRIBED', `not subscribed to ${channel}`);
  session.subscriptions.delete(channel);
  await leaveChannel(session, channel);
}

/**
 * Unbinds the session from `channel`; for rooms, tells the room and leaves the roster. A store
 * failure here is logged, not raised: the unsubscribe has taken effect either way.
 */
export async function leaveChannel(session: Session, channel: string): Promise<void> {
  await session.ctx.relay.remove(channel, session);
  const { kind, id } = parseChannel(channel);
  if (kind !== 'room') return;
  announce(session, channel, 'left');
  await session.ctx.store
    .leaveRoom(id, session.id)
    .catch((error: unknown) => session.ctx.logger.warn({ err: error, channel }, 'roster not updated on leave'));
}

/** Tells a room's members that this session joined or left. Best effort: a failure is logged. */
function announce(session: Session, channel: string, event: 'joined' | 'left'): void {
  const { ctx } = session;
  ctx.relay
    .publish(channel, { type: 'presence', channel, from: session.sender, ts: ctx.now(), event }, { mandatory: false })
    .catch((error: unknown) => ctx.logger.warn({ err: error, channel, event }, 'presence event not published'));
}
