import { type Welcome, UnnumberedDelivery, parseChannel, userChannel } from '../protocol/index.ts';
import { maySubscribe } from './authorize.ts';
import type { Session } from './session.ts';
import { announce } from './subscriptions.ts';

/** What the client presented to resume: its resume token split, and the last seq it received. */
export interface ResumeParams {
  sessionId: string;
  secret: string;
  lastSeq: number;
}

/** The welcome fields that depend on how the session was opened. */
export type OpenOutcome = Pick<Welcome, 'resume' | 'resumed'>;

type ResumeFailure = 'UNKNOWN' | 'INCOMPLETE' | 'UNAVAILABLE';

/**
 * Opens a connection's session, first in its request queue so requests wait behind it: resumes
 * `resume` when given and still resumable (the session keeps its id, whichever node it lands
 * on), else starts a new one. `welcome` is called once the session's channels are live; a resume
 * then replays the missed frames before any live one. Rejects when the bus cannot bind.
 */
export function openSession(
  session: Session,
  resume: ResumeParams | null,
  welcome: (outcome: OpenOutcome) => void,
): Promise<void> {
  return session.queue.run(async () => {
    if (!resume) return openFresh(session, welcome);
    const failure = await tryResume(session, resume, welcome);
    if (failure) await openFresh(session, (outcome) => welcome({ ...outcome, resumed: { ok: false, reason: failure } }));
  });
}

async function openFresh(session: Session, welcome: (outcome: OpenOutcome) => void): Promise<void> {
  const { ctx } = session;
  const channel = userChannel(session.identity.userId);
  session.subscriptions.add(channel);
  await Promise.all([registerSession(session), ctx.relay.add(channel, session)]);
  welcome({ resume: resumeToken(session) });
}

function resumeToken(session: Session): OpenOutcome['resume'] {
  return session.epoch === null ? null : { token: `${session.id}.${session.resumeSecret}`, windowMs: session.ctx.limits.resumeWindowMs };
}

/**
 * Makes the session live in presence and resumable (sets `epoch`), and puts it back in the
 * rosters of its rooms. Used when a session opens and when the store comes back after an
 * outage that may have lost its data. Leaves `epoch` null when the store is down.
 */
export async function registerSession(session: Session): Promise<void> {
  const { ctx } = session;
  try {
    await ctx.store.touchSessions([{ member: session.sender, nodeId: ctx.nodeId }], ctx.now() + ctx.limits.presenceTtlMs);
    session.epoch = await ctx.store.openSession({
      member: session.sender,
      secret: session.resumeSecret,
      subscriptions: [...session.subscriptions],
      attachedTtlMs: 24 * 3_600_000,
      maxFrames: ctx.limits.resumeMaxFrames,
    });
    const rooms = [...session.subscriptions].filter((c) => c.startsWith('room:'));
    await Promise.all(rooms.map((c) => ctx.store.joinRoom(parseChannel(c).id, session.sender, ctx.now())));
  } catch (error) {
    ctx.logger.warn({ err: error, sessionId: session.id }, 'session not registered: store unavailable');
  }
}

async function tryResume(session: Session, params: ResumeParams, welcome: (outcome: OpenOutcome) => void): Promise<ResumeFailure | null> {
  const { ctx, identity } = session;
  let state;
  try {
    state = await ctx.store.resume({ ...params, userId: identity.userId }, ctx.now());
  } catch {
    return 'UNAVAILABLE';
  }
  if (!state) return 'UNKNOWN';
  if (!state.complete) {
    // the client starts over with a new session; the old one would only collect parked frames
    await ctx.store.detachSession(params.sessionId, state.epoch, null).catch(() => {});
    return 'INCOMPLETE';
  }

  session.id = params.sessionId;
  session.resumeSecret = params.secret;
  session.epoch = state.epoch;
  session.seq = Math.max(params.lastSeq, state.lastLoggedSeq);
  session.hold();
  try {
    await restoreChannels(session, state.subscriptions);
  } catch (error) {
    await giveBack(session, state.parked);
    throw error;
  }
  welcome({
    resume: resumeToken(session),
    resumed: { ok: true, replayed: state.missed.length + state.parked.length },
  });
  for (const missed of state.missed) session.send(JSON.parse(missed.frame));
  for (const parked of state.parked) {
    const message = UnnumberedDelivery.safeParse(JSON.parse(parked));
    if (message.success) session.sendNumbered({ ...message.data, seq: ++session.seq });
  }
  session.release();
  return null;
}

/** Binds the resumed session's channels (those its token still grants) and rejoins its rooms. */
async function restoreChannels(session: Session, saved: readonly string[]): Promise<void> {
  const { ctx, identity } = session;
  await ctx.store
    .touchSessions([{ member: session.sender, nodeId: ctx.nodeId }], ctx.now() + ctx.limits.presenceTtlMs)
    .catch(() => {});
  // the token may grant less than before: only channels it still allows come back
  const own = userChannel(identity.userId);
  const allowed = saved.filter((c) => c !== own && maySubscribe(identity, parseChannel(c)));
  for (const channel of [own, ...allowed].slice(0, ctx.limits.maxSubscriptions)) session.subscriptions.add(channel);
  await Promise.all([...session.subscriptions].map((channel) => ctx.relay.add(channel, session)));
  await Promise.all([...session.subscriptions].filter((c) => c.startsWith('room:')).map((c) => rejoin(session, c)));
  if (session.subscriptions.size !== saved.length && session.epoch !== null) {
    ctx.store.saveSubscriptions(session.id, session.epoch, [...session.subscriptions]).catch(() => {});
  }
}

/**
 * A resume that took the session over but could not bind its channels (the bus is down): leave
 * it resumable again, with the frames parked for it, so the client's next attempt gets them.
 */
async function giveBack(session: Session, parked: readonly string[]): Promise<void> {
  const { ctx } = session;
  try {
    await ctx.store.detachSession(session.id, session.epoch!, ctx.now() + ctx.limits.resumeWindowMs);
    for (const frame of parked) await ctx.store.park(session.identity.userId, frame, ctx.now());
  } catch (error) {
    ctx.logger.warn({ err: error, sessionId: session.id, lost: parked.length }, 'parked frames not handed back after a failed resume');
  }
}

async function rejoin(session: Session, channel: string): Promise<void> {
  await session.ctx.store.joinRoom(parseChannel(channel).id, session.sender, session.ctx.now()).then(
    () => announce(session, channel, 'joined'),
    (error: unknown) => session.ctx.logger.warn({ err: error, channel }, 'roster not updated on resume'),
  );
}

/**
 * Ends the session's connection: unbinds its channels, ends its presence and tells its rooms,
 * and keeps it resumable for the resume window unless the client closed cleanly. A session
 * already resumed elsewhere (its epoch moved on) only unbinds locally.
 */
export async function closeSession(session: Session, clean: boolean): Promise<void> {
  if (!session.markClosed()) return;
  const { ctx } = session;
  const channels = [...session.subscriptions];
  await Promise.allSettled(channels.map((c) => ctx.relay.remove(c, session)));
  const current = await ctx.store.endSession(session.id, session.epoch ?? 0).catch((error: unknown) => {
    ctx.logger.warn({ err: error, sessionId: session.id }, 'presence not ended: store unavailable; it lapses by itself');
    return true;
  });
  if (!current) return;
  for (const channel of channels) if (channel.startsWith('room:')) announce(session, channel, 'left');
  if (session.epoch === null) return;
  const until = clean ? null : ctx.now() + ctx.limits.resumeWindowMs;
  await ctx.store
    .detachSession(session.id, session.epoch, until)
    .catch((error: unknown) => ctx.logger.warn({ err: error, sessionId: session.id }, 'session not detached'));
}
