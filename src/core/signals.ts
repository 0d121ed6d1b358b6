import { BusError } from '../bus/bus.ts';
import type { SendSignal, UnnumberedDelivery } from '../protocol/index.ts';
import { parseChannel } from '../protocol/index.ts';
import type { z } from 'zod';
import { linkedByToken } from './authorize.ts';
import { mapped, toTetherError } from './bus-errors.ts';
import { TetherError } from './errors.ts';
import { journal } from './journal.ts';
import { type Session, SessionEnded } from './session.ts';

/** A publish issued to the bus; `confirmed` settles when it was delivered, kept or refused. */
export interface Issued {
  confirmed: Promise<{ queued: true } | undefined>;
}

/**
 * Relays a signaling message. Into a room: the sender must have joined it. To a user: allowed if
 * the token links the two or they share a room (cluster-wide roster), and kept in the Store for
 * every resumable session of the user before it is published (see src/store/direct-inbox.ts), so
 * it is owed to them whatever happens to the publish. Published mandatory: if no node has the
 * user's channel bound right now, the ack says `queued` (kept for the user's sessions that are
 * reconnecting or opening); if the user has no session at all, PEER_UNAVAILABLE at once.
 *
 * A sender whose session moved on (the Store fences it) is stale: its connection is closed with
 * 4509 and nothing is sent. Retries are idempotent: the Store recognizes a request the session already sent (on this or an
 * earlier connection) and gives back its offset, so it is published again under it and a
 * recipient that has it drops the copy. A signal whose publish fails is withdrawn before its
 * sender is told (so it cannot arrive later, out of order), unless a retry of it already took it
 * over.
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
  if (target.kind === 'room') {
    const published = ctx.relay.publish(message.to, { delivery }, { mandatory: false, ttlMs: ctx.limits.signalTtlMs });
    return { confirmed: mapped(published).then(() => journal(session, message.id)) };
  }
  return { confirmed: keepThenPublish(session, target.id, delivery, message.id) };
}

/**
 * A direct message: kept for the user's sessions (batched node-wide), then published. The keep is
 * requested now, while the request has its turn in the session's queue, and the publish is made
 * from the keep's outcome, which the node's DirectWriter reports in the order keeps were requested:
 * so the session's next request need not wait for the Store's round trip, and its messages are
 * still offset and published in the order it sent them.
 */
function keepThenPublish(session: Session, userId: string, delivery: UnnumberedDelivery, requestId: string): Promise<{ queued: true } | undefined> {
  const { ctx } = session;
  const to = delivery.channel;
  const senderSessionId = session.id;
  return new Promise((resolve, reject) => {
    ctx.directs.keep({ userId, frame: JSON.stringify(delivery), senderSessionId, senderEpoch: session.epoch, requestId }, (kept, error) => {
      try {
        if (kept === null) ctx.logger.debug({ err: error, sessionId: senderSessionId }, 'direct message not kept: store unavailable');
        if (kept?.kind === 'nobody') {
          reject(new TetherError('PEER_UNAVAILABLE'));
          return;
        }
        if (kept?.kind === 'fenced') {
          // the session moved on (resumed or closed elsewhere): this connection is stale, nothing is sent
          session.takenOver();
          reject(new SessionEnded(`session ${senderSessionId} moved on`));
          return;
        }
        const offset = kept === null ? undefined : kept.offset;
        // kept for a session that is not bound right now: acked `queued`; live only: it must be routed
        const owed = kept?.kind === 'kept' || kept?.kind === 'duplicate';
        const published = ctx.relay.publish(to, offset === undefined ? { delivery } : { delivery, offset }, {
          mandatory: true,
          ttlMs: ctx.limits.signalTtlMs,
        });
        // the sender is told it failed: the message must not arrive later, and a retry of it is new
        const withdraw = async (): Promise<void> => {
          if (kept?.kind !== 'kept' && kept?.kind !== 'live-only') return;
          await ctx.directs
            .withdraw({ userId, senderSessionId, requestId }, kept.offset)
            .catch((failure: unknown) => ctx.logger.warn({ err: failure, sessionId: senderSessionId }, 'failed direct message not withdrawn'));
        };
        published.then(
          () => resolve(undefined),
          async (failure: unknown) => {
            if (failure instanceof BusError && failure.code === 'UNROUTABLE' && owed) {
              resolve({ queued: true });
              return;
            }
            await withdraw();
            reject(toTetherError(failure));
          },
        );
      } catch (failure) {
        reject(failure);
      }
    });
  });
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
