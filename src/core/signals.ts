import { BusError } from '../bus/bus.ts';
import type { SendSignal, UnnumberedDelivery } from '../protocol/index.ts';
import { parseChannel } from '../protocol/index.ts';
import type { z } from 'zod';
import { linkedByToken } from './authorize.ts';
import { mapped, toTetherError } from './bus-errors.ts';
import { TetherError } from './errors.ts';
import type { Session } from './session.ts';

/** A publish issued to the bus; `confirmed` settles when it was delivered, queued or refused. */
export interface Issued {
  confirmed: Promise<{ queued: true } | undefined>;
}

/**
 * Relays a signaling message. To a user: allowed if the token links the two or they share a
 * room (cluster-wide roster); published mandatory, so a user with no live session anywhere
 * comes back at once: it is then parked for the user's resumable sessions (ack `queued`), or
 * answered PEER_UNAVAILABLE. Into a room: the sender must have joined it.
 */
export async function sendSignal(session: Session, message: z.infer<typeof SendSignal>): Promise<Issued> {
  const target = parseChannel(message.to);
  if (target.kind === 'room') {
    if (!session.subscriptions.has(message.to)) {
      throw new TetherError('NOT_SUBSCRIBED', `join ${message.to} before signaling into it`);
    }
  } else if (!(await maySignalUser(session, target.id))) {
    throw new TetherError('FORBIDDEN', `you share no room with ${target.id} and your token does not link you`);
  }
  const { ctx } = session;
  const delivery: UnnumberedDelivery = {
    type: 'signal',
    channel: message.to,
    from: session.sender,
    ts: ctx.now(),
    callId: message.callId,
    signal: message.signal,
  };
  const options = { mandatory: target.kind === 'user', ttlMs: ctx.limits.signalTtlMs };
  const published = ctx.relay.publish(message.to, delivery, options);
  const confirmed =
    target.kind === 'user'
      ? published.then(() => undefined, (error: unknown) => parkIfAway(session, target.id, delivery, error))
      : mapped(published).then(() => undefined);
  return { confirmed };
}

/**
 * After a direct message came back unroutable: parks it for the user's detached resumable
 * sessions (ack `queued`). If none is detached but one is attached (its node may be binding the
 * channel right now), publishes once more; if that comes back too, the user is unavailable for
 * now (retryable): an attached session whose node died is detached within PRESENCE_TTL_MS.
 */
async function parkIfAway(
  session: Session,
  userId: string,
  delivery: UnnumberedDelivery,
  error: unknown,
): Promise<{ queued: true } | undefined> {
  if (!(error instanceof BusError && error.code === 'UNROUTABLE')) throw toTetherError(error);
  const { ctx } = session;
  const outcome = await ctx.store.park(userId, JSON.stringify(delivery), ctx.now()).catch(() => ({ parked: 0, attached: 0 }));
  if (outcome.parked > 0) return { queued: true };
  if (outcome.attached === 0) throw new TetherError('PEER_UNAVAILABLE');
  try {
    await ctx.relay.publish(delivery.channel, delivery, { mandatory: true, ttlMs: ctx.limits.signalTtlMs });
    return undefined;
  } catch (again) {
    throw again instanceof BusError && again.code === 'UNROUTABLE' ? new TetherError('PEER_UNAVAILABLE') : toTetherError(again);
  }
}

/** Token link, or a room shared with the user (cluster-wide roster). */
export async function maySignalUser(session: Session, userId: string): Promise<boolean> {
  if (linkedByToken(session.identity, userId)) return true;
  const rooms = [...session.subscriptions].filter((c) => c.startsWith('room:')).map((c) => parseChannel(c).id);
  for (const room of rooms) {
    const members = await mapped(session.ctx.store.roomMembers(room, session.ctx.now()));
    if (members.some((m) => m.userId === userId)) return true;
  }
  return false;
}
