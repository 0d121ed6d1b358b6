import type { SendSignal } from '../protocol/index.ts';
import { parseChannel } from '../protocol/index.ts';
import type { z } from 'zod';
import { linkedByToken } from './authorize.ts';
import { mapped } from './bus-errors.ts';
import { TetherError } from './errors.ts';
import type { Session } from './session.ts';

/** A publish issued to the bus; `confirmed` settles when the bus accepts or refuses it. */
export interface Issued {
  confirmed: Promise<void>;
}

/**
 * Relays a signaling message. To a user: allowed if the token links the two or they share a
 * room (cluster-wide roster); published mandatory, so a user with no live session anywhere
 * comes back as PEER_UNAVAILABLE at once. Into a room: the sender must have joined it.
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
  const confirmed = mapped(
    ctx.relay.publish(
      message.to,
      { type: 'signal', channel: message.to, from: session.sender, ts: ctx.now(), callId: message.callId, signal: message.signal },
      { mandatory: target.kind === 'user', ttlMs: ctx.limits.signalTtlMs },
    ),
  );
  return { confirmed };
}

async function maySignalUser(session: Session, userId: string): Promise<boolean> {
  if (linkedByToken(session.identity, userId)) return true;
  const rooms = [...session.subscriptions].filter((c) => c.startsWith('room:')).map((c) => parseChannel(c).id);
  for (const room of rooms) {
    const members = await mapped(session.ctx.store.roomMembers(room));
    if (members.some((m) => m.userId === userId)) return true;
  }
  return false;
}
