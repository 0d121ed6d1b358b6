import type { History, Position } from '../protocol/index.ts';
import { locationChannel, parseChannel } from '../protocol/index.ts';
import type { z } from 'zod';
import { mayPublishLocation, maySubscribe } from './authorize.ts';
import { mapped } from './bus-errors.ts';
import { journal } from './journal.ts';
import { TetherError } from './errors.ts';
import type { Session } from './session.ts';

/**
 * A patient's new position: relayed live to `location:<patient>` watchers and kept as the
 * last known position and in the trail. The ack waits for both; if the store is down the live
 * relay still happens and the ack is a STORE_UNAVAILABLE error saying the position was not kept.
 * The ack also waits for the safety rules to have weighed the position (docs/protocol.md 16).
 */
export async function publishLocation(session: Session, position: Position, requestId: string): Promise<{ confirmed: Promise<undefined> }> {
  if (!mayPublishLocation(session.identity)) {
    throw new TetherError('FORBIDDEN', 'only patients publish locations');
  }
  const { ctx } = session;
  const channel = locationChannel(session.identity.userId);
  const fix = { position, from: session.sender, ts: ctx.now() };
  const relayed = mapped(ctx.relay.publish(channel, { delivery: { type: 'location', channel, ...fix } }, { mandatory: false }));
  const kept = mapped(ctx.store.recordPosition(session.identity.userId, fix));
  // weighed before the ack, so a retry after a failure weighs it again
  const weighed = mapped(ctx.safety.positionAccepted(session.sender, position));
  return { confirmed: Promise.all([relayed, kept, weighed]).then(() => journal(session, requestId)) };
}

/** A patient's recent trail, for whoever may watch the patient. */
export async function readHistory(session: Session, request: z.infer<typeof History>) {
  const channel = parseChannel(request.channel);
  if (!maySubscribe(session.identity, channel)) throw new TetherError('FORBIDDEN', `your token does not grant ${request.channel}`);
  const positions = await mapped(session.ctx.store.trail(channel.id, request.since, request.limit));
  return { channel: request.channel, positions };
}
