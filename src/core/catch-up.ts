import type { CoreContext } from './context.ts';
import type { Session } from './session.ts';

/** sessions per `pendingFor` call */
const CHUNK = 1_000;

/**
 * After this node's bus connection came back (its queue, and whatever was routed into it, died
 * with the old one), delivers to every live session the direct messages still owed to it: one
 * `pendingFor` call per chunk of sessions. Each session holds live deliveries meanwhile, so a
 * sender's messages stay in order; copies it already has are dropped by offset. Sessions the
 * Store says were taken over elsewhere are closed. If the Store is unreachable nothing is caught
 * up (the messages stay owed for a resume).
 */
export async function catchUp(ctx: CoreContext, sessions: readonly Session[]): Promise<void> {
  const live = sessions.filter((s) => s.state === 'live' && s.epoch !== null);
  for (let i = 0; i < live.length; i += CHUNK) {
    const chunk = live.slice(i, i + CHUNK);
    for (const session of chunk) session.hold();
    const held = chunk.map((s) => ({ sessionId: s.id, epoch: s.epoch! }));
    const pending = await ctx.store.pendingFor(held).catch((error: unknown) => {
      ctx.logger.warn({ err: error, sessions: chunk.length }, 'direct messages not caught up after the bus returned: store unavailable');
      return chunk.map(() => []);
    });
    chunk.forEach((session, j) => {
      const owed = pending[j];
      // an epoch that changed meanwhile is the node's own re-registration, not a takeover
      if (owed === null && session.epoch === held[j]!.epoch) session.takenOver();
      else if (owed === null) session.release();
      else session.release(owed);
    });
  }
}
