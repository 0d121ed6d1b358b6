import { type Welcome, parseChannel, userChannel } from '../protocol/index.ts';
import { BusError } from '../bus/bus.ts';
import type { PendingFrame, TakeOver } from '../store/store.ts';
import { maySubscribe } from './authorize.ts';
import { CATCH_UP_RETRY_MS, catchUp, holdForCatchUp } from './catch-up.ts';
import { resumeRecord } from './session-record.ts';
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
 * Opens a connection's session, first in its request queue so requests wait behind it. Binds the
 * user's channel first (every outcome needs it, and a resume must be live before it takes the
 * session over, so nothing sent meanwhile can pass between the two nodes); then resumes `resume`
 * if still resumable (the session keeps its id, whichever node it lands on), else opens a new one.
 *
 * `welcome` is called once every channel is live, and is the first frame: then a resume's missed
 * frames, then the direct messages still owed, then whatever arrived meanwhile. Rejects when the
 * bus cannot bind (the caller closes with 1013); if the socket closes meanwhile, undoes what it did.
 */
export function openSession(session: Session, resume: ResumeParams | null, welcome: (outcome: OpenOutcome) => void): Promise<void> {
  return session.queue.run(async () => {
    const { ctx } = session;
    const own = userChannel(session.identity.userId);
    const outages = ctx.relay.outages;
    await ctx.relay.add(own, session);
    session.subscriptions.add(own);
    if (session.ended) return abandon(session, false);
    let failure: ResumeFailure | null = null;
    if (resume) {
      // the takeover lists the session live until then
      const liveUntil = ctx.now() + ctx.limits.presenceTtlMs;
      const taken = await takeOver(session, resume, liveUntil);
      if (typeof taken !== 'string') return resumeWith(session, taken, liveUntil, outages, welcome);
      failure = taken;
    }
    await openFresh(session, outages, (outcome) => welcome(failure ? { ...outcome, resumed: { ok: false, reason: failure } } : outcome));
  });
}

/**
 * A new session. Its user channel is bound before its record exists, so every direct message kept
 * for it (sent after the record) is published after the binding and arrives live: nothing is
 * owed to it from before. Deliveries wait until `welcome` has been sent.
 */
async function openFresh(session: Session, outages: number, welcome: (outcome: OpenOutcome) => void): Promise<void> {
  await registerSession(session);
  if (session.ended) return abandon(session, false);
  const owed = await stillLive(session, outages, [], false);
  if (owed === null) return;
  session.markLive();
  welcome({ resume: resumeToken(session) });
  session.release(owed);
  wentLive(session);
}

/** Live in presence and resumable (sets `epoch`); leaves `epoch` null when the Store is down. */
async function registerSession(session: Session): Promise<void> {
  const { ctx } = session;
  try {
    await ctx.store.touchSessions([{ member: session.sender, nodeId: ctx.nodeId }], ctx.now() + ctx.limits.presenceTtlMs);
    session.epoch = await ctx.store.openSession(resumeRecord(session), ctx.now());
  } catch (error) {
    ctx.logger.warn({ err: error, sessionId: session.id }, 'session not registered: store unavailable');
  }
}

function resumeToken(session: Session): OpenOutcome['resume'] {
  return session.epoch === null ? null : { token: `${session.id}.${session.resumeSecret}`, windowMs: session.ctx.limits.resumeWindowMs };
}

/** Takes the session over in the Store, or says why not. The session adopts its id and numbering. */
async function takeOver(session: Session, params: ResumeParams, liveUntil: number): Promise<Extract<TakeOver, { complete: true }> | ResumeFailure> {
  const { ctx, identity } = session;
  let taken: TakeOver | null;
  try {
    taken = await ctx.store.takeOver({ ...params, userId: identity.userId, liveUntil }, ctx.now());
  } catch {
    return 'UNAVAILABLE';
  }
  if (!taken) return 'UNKNOWN';
  if (!taken.complete) return 'INCOMPLETE';
  session.id = params.sessionId;
  session.resumeSecret = params.secret;
  session.epoch = taken.epoch;
  session.seq = taken.lastSeq;
  return taken;
}

async function resumeWith(
  session: Session,
  taken: Extract<TakeOver, { complete: true }>,
  liveUntil: number,
  outages: number,
  welcome: (outcome: OpenOutcome) => void,
): Promise<void> {
  // the takeover listed it in presence until `liveUntil`; the node's presence ticks renew it once it is live
  if (session.ended) return abandon(session, true);
  try {
    await restoreChannels(session, taken.subscriptions);
  } catch (error) {
    await abandon(session, true);
    throw error;
  }
  if (session.ended) return abandon(session, true);
  const owed = await stillLive(session, outages, taken.pending, true);
  if (owed === null) return;
  await renewIfSlow(session, liveUntil);
  if (session.ended) return abandon(session, true);
  session.markLive();
  welcome({ resume: resumeToken(session), resumed: { ok: true, replayed: taken.missed.length + owed.length } });
  session.rememberRequests(taken.journal);
  session.replay(taken.delivered, taken.missed);
  session.release(owed);
  wentLive(session);
}

/**
 * `liveUntil` was counted from before the takeover's round trip. A resume that took long (a storm
 * queues every call) renews it, or the session could lapse, and be claimed by another node as
 * dead, before this node's first presence tick for it (within a third of the TTL).
 */
async function renewIfSlow(session: Session, liveUntil: number): Promise<void> {
  const { ctx } = session;
  if (liveUntil - ctx.now() >= (2 * ctx.limits.presenceTtlMs) / 3) return;
  await ctx.store
    .touchSessions([{ member: session.sender, nodeId: ctx.nodeId }], ctx.now() + ctx.limits.presenceTtlMs)
    .catch((error: unknown) => ctx.logger.warn({ err: error, sessionId: session.id }, 'presence not renewed on resume'));
}

/** Tells the node's SessionLiveHooks (src/calls: calls ringing for the user reach a device that just connected). */
function wentLive(session: Session): void {
  for (const hook of session.ctx.sessionLive) {
    try {
      hook(session);
    } catch (error) {
      session.ctx.logger.error({ err: error, sessionId: session.id }, 'session-live hook failed');
    }
  }
}

/** tries of `stillLive` before the open gives up with 1013 */
const SETTLE_TRIES = 3;

/**
 * The last check before welcome: the bus must be up now, and if it went down at any point since
 * the user channel was bound (its queue, and what was routed into it, went with it), the direct
 * messages still owed to the session are read again. Returns what is owed; null when the session
 * ended (undone); throws, undone, when the bus is not up.
 */
async function stillLive(session: Session, since: number, owed: PendingFrame[], resumable: boolean): Promise<PendingFrame[] | null> {
  const { ctx } = session;
  for (let attempt = 0; attempt < SETTLE_TRIES; attempt++) {
    if (!ctx.relay.usable) break;
    if (ctx.relay.outages === since || session.epoch === null) return owed;
    since = ctx.relay.outages;
    await ctx.directs.settled();
    const read = await ctx.store.pendingFor([{ sessionId: session.id, epoch: session.epoch }]).then(
      ([found]) => found,
      () => {
        // caught up once live instead: what is owed arrives after the first live messages
        setTimeout(() => void catchUp(ctx, holdForCatchUp([session])), CATCH_UP_RETRY_MS).unref();
        return owed;
      },
    );
    if (session.ended) {
      await abandon(session, resumable);
      return null;
    }
    if (read === 'missing') ctx.storeLost();
    // fenced: a resume elsewhere took it meanwhile; the next log write finds out and closes it
    owed = typeof read === 'string' ? owed : (read ?? owed);
  }
  await abandon(session, resumable);
  throw new BusError('UNAVAILABLE', 'the message bus went down while the session opened');
}

/**
 * Binds the resumed session's channels (those its token still grants), then rejoins its rooms.
 * Rejects, leaving none of them added, when one cannot be bound.
 */
async function restoreChannels(session: Session, saved: readonly string[]): Promise<void> {
  const { ctx, identity } = session;
  const own = userChannel(identity.userId);
  // the token may grant less than before: only channels it still allows come back
  const allowed = saved
    .filter((c) => c !== own && maySubscribe(identity, parseChannel(c)))
    .slice(0, ctx.limits.maxSubscriptions - 1);
  const bound = await Promise.allSettled(allowed.map((channel) => ctx.relay.add(channel, session)));
  const failed = bound.find((b): b is PromiseRejectedResult => b.status === 'rejected');
  if (failed) {
    await Promise.all(allowed.map((channel) => ctx.relay.remove(channel, session).catch(() => {})));
    throw failed.reason;
  }
  // from here on they are the session's: whoever cleans it up (abandon) takes them out too
  for (const channel of allowed) session.subscriptions.add(channel);
  if (session.ended) return;
  await Promise.all(allowed.filter((c) => c.startsWith('room:')).map((c) => rejoin(session, c)));
  if (allowed.length + 1 !== saved.length) {
    ctx.store.saveSubscriptions(session.id, session.epoch!, [...session.subscriptions]).catch(() => {});
  }
}

async function rejoin(session: Session, channel: string): Promise<void> {
  const { ctx } = session;
  try {
    // null: another resume took the session over meanwhile; it rejoins there
    const joined = await ctx.store.joinRoom(parseChannel(channel).id, session.sender, ctx.now(), session.epoch);
    if (joined) announce(session, channel, 'joined');
  } catch (error) {
    ctx.logger.warn({ err: error, channel }, 'roster not updated on resume');
  }
}

/**
 * The socket closed (or a channel could not be bound) before the session went live: undoes every
 * binding and roster entry, and ends the record. A session the client can resume (`resumable`: it
 * came from a resume token) stays resumable unless the client closed cleanly; a new one, whose
 * token the client never got, is forgotten.
 */
async function abandon(session: Session, resumable: boolean): Promise<void> {
  const { ctx } = session;
  const channels = [...session.subscriptions];
  await Promise.all(channels.map((c) => ctx.relay.remove(c, session).catch(() => {})));
  const keep = resumable && session.state !== 'closing';
  const until = keep ? ctx.now() + ctx.limits.resumeWindowMs : null;
  const end = { resumableUntil: until, now: ctx.now() };
  await ctx.store.endSession(session.id, session.epoch, end).catch((error: unknown) => {
    ctx.logger.warn({ err: error, sessionId: session.id }, 'abandoned session not ended: store unavailable; ended again when it returns');
    ctx.ends.add(session.id, session.epoch, end);
  });
  for (const channel of channels) if (channel.startsWith('room:')) announce(session, channel, 'left');
  session.markEnded(session.state === 'closing');
  session.markClosed();
}
