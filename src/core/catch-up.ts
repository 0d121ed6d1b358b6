import type { PendingFrame } from '../store/store.ts';
import type { CoreContext } from './context.ts';
import type { Session } from './session.ts';

/** sessions per `pendingFor` call */
const CHUNK = 1_000;
/** reads tried while the sessions hold their deliveries: a Redis blip should not cost order */
const TRIES = 3;
/** ms before sessions whose read kept failing are caught up again (their deliveries flow meanwhile) */
export const CATCH_UP_RETRY_MS = 1_000;

/** Sessions whose deliveries wait for a catch-up: the live ones the Store keeps records of. */
export function holdForCatchUp(sessions: Iterable<Session>): Session[] {
  const held = [...sessions].filter((s) => s.state === 'live' && s.epoch !== null);
  for (const session of held) session.hold();
  return held;
}

/**
 * After this node's bus connection came back (its queue, and whatever was routed into it, died
 * with the old one), delivers to every live session the direct messages still owed to it: one
 * `pendingFor` call per chunk of sessions. `held` were held by `holdForCatchUp` when the bus went
 * down, so nothing the new queue delivers before this runs can pass what is owed: a sender's
 * messages stay in order; copies a session already has are dropped by offset. Sessions the Store
 * says were taken over elsewhere are closed.
 *
 * If the Store cannot be read after `TRIES` attempts, the sessions' deliveries flow again and
 * they are caught up later, every `CATCH_UP_RETRY_MS` until it works or they end: what is owed then
 * arrives after newer messages rather than never.
 */
export async function catchUp(ctx: CoreContext, held: readonly Session[]): Promise<void> {
  // publishes the outage failed are being withdrawn: what is owed is read once they are
  await ctx.directs.settled();
  for (let i = 0; i < held.length; i += CHUNK) {
    const chunk = held.slice(i, i + CHUNK);
    // one that ended meanwhile no longer holds anything (release is a no-op)
    const live = chunk.filter((s) => s.state === 'live' && s.epoch !== null);
    for (const session of chunk) if (!live.includes(session)) session.release();
    const epochs = live.map((s) => ({ sessionId: s.id, epoch: s.epoch! }));
    const pending = live.length === 0 ? [] : await read(ctx, epochs);
    if (!pending) {
      for (const session of live) session.release();
      ctx.logger.warn({ sessions: live.length, retryInMs: CATCH_UP_RETRY_MS }, 'direct messages not caught up after the bus returned: store unavailable');
      setTimeout(() => void catchUp(ctx, holdForCatchUp(live)), CATCH_UP_RETRY_MS).unref();
      continue;
    }
    live.forEach((session, j) => {
      const owed = pending[j]!;
      // an epoch that changed meanwhile is the node's own re-registration, not a takeover
      if (owed === 'fenced' && session.epoch === epochs[j]!.epoch) session.takenOver();
      else session.release(typeof owed === 'string' ? [] : owed);
    });
    if (pending.includes('missing')) ctx.storeLost();
  }
}

async function read(ctx: CoreContext, held: Array<{ sessionId: string; epoch: number }>): Promise<Array<PendingFrame[] | 'fenced' | 'missing'> | null> {
  for (let attempt = 0; attempt < TRIES; attempt++) {
    try {
      return await ctx.store.pendingFor(held);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    }
  }
  return null;
}
