import { type SubscribeResult, parseChannel, userChannel } from '../protocol/index.ts';
import { StoreError } from '../store/store.ts';
import { maySubscribe } from './authorize.ts';
import { mapped } from './bus-errors.ts';
import { TetherError } from './errors.ts';
import { type Session, SessionEnded } from './session.ts';

/**
 * Subscribe: authorize, bind through the bus, then (rooms) join the shared roster and tell the
 * room, or (locations) read the last known position. The ack is sent only after all of that, so
 * from the ack on every message on the channel reaches the session. The channel joins the
 * session's set (what a close cleans up and a resume restores) only once all of that is done; if
 * the session ended meanwhile, the subscribe undoes itself instead.
 */
export async function subscribe(session: Session, channel: string): Promise<SubscribeResult> {
  const { ctx } = session;
  const started = ctx.now();
  const parsed = parseChannel(channel);
  if (!maySubscribe(session.identity, parsed)) {
    throw new TetherError('FORBIDDEN', `your token does not grant ${channel}`);
  }
  if (session.subscriptions.has(channel)) {
    if (!ctx.relay.usable) throw new TetherError('BUS_UNAVAILABLE', 'message bus unavailable');
    return describe(session, channel, false);
  }
  if (session.subscriptions.size >= ctx.limits.maxSubscriptions) {
    throw new TetherError('TOO_MANY_SUBSCRIPTIONS', `at most ${ctx.limits.maxSubscriptions} subscriptions per connection`);
  }
  await mapped(ctx.relay.add(channel, session));
  let result: SubscribeResult;
  try {
    session.assertOpen();
    result = await describe(session, channel, true);
    session.assertOpen();
    // never acked while the bus is down, even if it bound before it went
    if (!ctx.relay.usable) throw new TetherError('BUS_UNAVAILABLE', 'message bus unavailable');
  } catch (error) {
    await undoSubscribe(session, channel);
    throw error;
  }
  session.subscriptions.add(channel);
  saveSubscriptions(session);
  ctx.metrics.subscribeAck(parsed.kind, (ctx.now() - started) / 1000);
  return result;
}

/**
 * What the ack carries: the roster for rooms (joining it if new), the last position for
 * locations. When the store is down the subscription still holds (live relay needs only the bus)
 * and the ack leaves `members` / `last` out; the roster is rejoined when the store returns.
 */
async function describe(session: Session, channel: string, fresh: boolean): Promise<SubscribeResult> {
  const { kind, id } = parseChannel(channel);
  const { store } = session.ctx;
  const now = session.ctx.now();
  switch (kind) {
    case 'user':
      return { channel };
    case 'room': {
      const members = await unlessStoreDown(session, fresh ? store.joinRoom(id, session.sender, now, session.epoch) : store.roomMembers(id, now));
      if (members === null) {
        // a stale connection (the session was resumed elsewhere) adds nothing for it: closed with 4509, unanswered
        if (!session.ended) session.takenOver();
        throw new SessionEnded(`session ${session.id} moved on`);
      }
      if (fresh) announce(session, channel, 'joined');
      return members === undefined ? { channel } : { channel, members };
    }
    case 'location': {
      // read side by side with the last position; never rejects
      const health = session.ctx.safety.health(id);
      const last = await unlessStoreDown(session, store.lastPosition(id));
      const known = await health;
      if (known) return last === undefined ? { channel, health: known } : { channel, last, health: known };
      return last === undefined ? { channel } : { channel, last };
    }
    case 'alerts': {
      const open = await session.ctx.safety.openAlerts(id);
      return open === undefined ? { channel } : { channel, open };
    }
  }
}

/** A subscribe that failed or outlived its session: out of the channel and the roster again. */
async function undoSubscribe(session: Session, channel: string): Promise<void> {
  const { ctx } = session;
  await ctx.relay.remove(channel, session).catch(() => {});
  const { kind, id } = parseChannel(channel);
  if (kind !== 'room') return;
  await leaveRoster(session, channel, id, 'roster not undone; the entry is filtered out once the session is not live');
}

/**
 * Takes the session off the room's roster and tells the room it left; a roster the store could
 * not update is logged. False, with nothing announced, when the leave was fenced by a takeover:
 * the session lives on another connection, in the room still. Fenced after this session's own
 * clean close (which forgot it, rosters included) is no takeover: the room is told it left.
 */
async function leaveRoster(session: Session, channel: string, room: string, failure: string): Promise<boolean> {
  const { ctx } = session;
  const left = await ctx.store.leaveRoom(room, session.id, session.epoch).catch((error: unknown) => {
    ctx.logger.warn({ err: error, channel }, failure);
    return true;
  });
  if (!left && !session.cleanClose) return false;
  announce(session, channel, 'left');
  return true;
}

async function unlessStoreDown<T>(session: Session, read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    session.ctx.logger.warn({ err: error, sessionId: session.id }, 'subscribed without shared state: store unavailable');
    return undefined;
  }
}

export async function unsubscribe(session: Session, channel: string): Promise<void> {
  if (channel === userChannel(session.identity.userId)) {
    throw new TetherError('FORBIDDEN', 'a connection always stays subscribed to its own user channel');
  }
  if (!session.subscriptions.has(channel)) throw new TetherError('NOT_SUBSCRIBED', `not subscribed to ${channel}`);
  session.subscriptions.delete(channel);
  await session.ctx.relay.remove(channel, session);
  saveSubscriptions(session);
  const { kind, id } = parseChannel(channel);
  if (kind !== 'room') return;
  // the unsubscribe has taken effect either way
  if (await leaveRoster(session, channel, id, 'roster not updated on leave')) return;
  // a stale connection (the session was resumed elsewhere) takes nothing from the resumed one: closed with 4509, unanswered
  if (!session.ended) session.takenOver();
  throw new SessionEnded(`session ${session.id} moved on`);
}

/** Records the session's channels for resume. Best effort: a failure is logged. */
function saveSubscriptions(session: Session): void {
  if (session.epoch === null) return;
  session.ctx.store
    .saveSubscriptions(session.id, session.epoch, [...session.subscriptions])
    .catch((error: unknown) => session.ctx.logger.debug({ err: error, sessionId: session.id }, 'subscriptions not saved for resume'));
}

/** Tells a room's members that this session joined or left. Best effort: a failure is logged. */
export function announce(session: Session, channel: string, event: 'joined' | 'left'): void {
  const { ctx } = session;
  ctx.relay
    .publish(channel, { delivery: { type: 'presence', channel, from: session.sender, ts: ctx.now(), event } }, { mandatory: false })
    .catch((error: unknown) => ctx.logger.warn({ err: error, channel, event }, 'presence event not published'));
}
