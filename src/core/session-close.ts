import type { Session } from './session.ts';
import { announce } from './subscriptions.ts';

/**
 * Cleans up after a live session's socket closed (`markEnded` already stopped all delivery to it):
 * takes it out of every local channel (the last one here unbinds), ends its presence and roster
 * entries, and keeps it resumable for the resume window, or forgets it when the client closed
 * cleanly (1000). Direct messages sent to it from now on stay pending in the Store for a resume;
 * after a clean close nobody is owed them, and senders are told PEER_UNAVAILABLE. A session taken
 * over elsewhere meanwhile is fenced: only the local bindings go.
 */
export async function closeSession(session: Session, clean: boolean): Promise<void> {
  const { ctx } = session;
  const channels = [...session.subscriptions];
  const removals = channels.map((c) => ctx.relay.remove(c, session).catch(() => {}));
  const until = clean ? null : ctx.now() + ctx.limits.resumeWindowMs;
  const end = { resumableUntil: until, now: ctx.now(), ...(session.unlogged ? { unlogged: session.unlogged } : {}) };
  const current = await ctx.store.endSession(session.id, session.epoch, end).catch((error: unknown) => {
    ctx.logger.warn({ err: error, sessionId: session.id }, 'session not ended: store unavailable; ended again when it returns');
    ctx.ends.add(session.id, session.epoch, end);
    return true;
  });
  if (current) for (const channel of channels) if (channel.startsWith('room:')) announce(session, channel, 'left');
  await Promise.all(removals);
  session.markClosed();
}
