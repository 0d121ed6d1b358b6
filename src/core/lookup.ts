import { mapped } from './bus-errors.ts';
import { TetherError } from './errors.ts';
import type { Session } from './session.ts';
import { maySignalUser } from './signals.ts';

/** Whether a user the session may signal is live anywhere in the cluster, and on how many devices. */
export async function lookup(session: Session, userId: string) {
  if (!(await maySignalUser(session, userId))) {
    throw new TetherError('FORBIDDEN', `you share no room with ${userId} and your token does not link you`);
  }
  const sessions = await mapped(session.ctx.store.userSessions(userId, session.ctx.now()));
  return { userId, online: sessions.length > 0, sessions: sessions.length };
}
