/** Shared builders for the Store contract suite. */
import { randomUUID } from 'node:crypto';
import type { Member } from '../../src/protocol/index.ts';
import type { DirectMessage, LoggedFrame, PositionFix, ResumeBounds, ResumeRequest, SessionRecord, Store } from '../../src/store/store.ts';

/** the caller's clock in presence tests, ms */
export const T0 = 1_700_000_000_000;
/** a deadline far enough after T0 */
export const LIVE = T0 + 60_000;

/** A fresh id, unique across runs and test files sharing a backend. */
export function ids(kind: string): string {
  return `${kind}-${randomUUID()}`;
}

export function member(userId: string, role: string): Member {
  return { userId: `${userId}-${randomUUID().slice(0, 8)}`, role, sessionId: ids('session') };
}

/** Heartbeat: `members` live until `until`. */
export function live(store: Store, until: number, ...members: Member[]): Promise<void> {
  return store.touchSessions(members.map((m) => ({ member: m, nodeId: 'node-test' })), until);
}

export const BOUNDS: ResumeBounds = {
  logFrames: 10,
  logBytes: 100_000,
  pendingFrames: 10,
  pendingBytes: 100_000,
  journalSize: 8,
  detachedPerUser: 3,
};

export function record(m: Member, overrides: Partial<SessionRecord> = {}, bounds: Partial<ResumeBounds> = {}): SessionRecord {
  return {
    member: m,
    secret: randomUUID(),
    subscriptions: [`user:${m.userId}`],
    attachedTtlMs: 60_000,
    bounds: { ...BOUNDS, ...bounds },
    ...overrides,
  };
}

export function request(rec: SessionRecord, lastSeq = 0, liveUntil = LIVE): ResumeRequest {
  return { sessionId: rec.member.sessionId, secret: rec.secret, userId: rec.member.userId, lastSeq, liveUntil };
}

/** Ends a session with no resume record (presence and rosters only). */
export function endNow(store: Store, sessionId: string, epoch: number | null = null): Promise<boolean> {
  return store.endSession(sessionId, epoch, { resumableUntil: null, now: Date.now() });
}

/** Detaches a session: resumable until `until`. */
export function detach(store: Store, sessionId: string, epoch: number, until: number): Promise<boolean> {
  return store.endSession(sessionId, epoch, { resumableUntil: until, now: Date.now() });
}

/** Frames `from`..`to` as JSON text with characters a codec could mangle (slash, quote, bar, non-ASCII). */
export function frames(from: number, to: number): LoggedFrame[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    frame: JSON.stringify({ type: 'signal', seq: from + i, body: 'a/b "ü" | \\n' }),
  }));
}

/** Claims of the given sessions only: a shared backend may hold other tests' lapsed sessions. */
export function mine<T extends { member: Member }>(claims: T[], members: Member[]): T[] {
  const wanted = new Set(members.map((m) => m.sessionId));
  return claims.filter((c) => wanted.has(c.member.sessionId));
}

export function fix(patientId: string, n: number): PositionFix {
  return {
    position: { lat: 48.1 + n / 1000, lng: 11.5 + n / 1000, accuracy: 5 + n, timestamp: 1_700_000_000_000 + n },
    from: { userId: patientId, role: 'patient', sessionId: ids('session') },
    ts: 1_700_000_000_500 + n,
  };
}

/** Members sorted by session id; a fenced join (null) fails the test. */
export function bySession(members: Member[] | null): Member[] {
  if (members === null) throw new Error('expected a roster, got a fenced join');
  return [...members].sort((x, y) => x.sessionId.localeCompare(y.sessionId));
}

/** A direct message to `userId`; a fresh sender and request id unless given (epoch: none, unless given). */
export function direct(userId: string, frame: string, sender: { sessionId?: string; requestId?: string; epoch?: number } = {}): DirectMessage {
  return { userId, frame, senderSessionId: sender.sessionId ?? ids('session'), senderEpoch: sender.epoch ?? null, requestId: sender.requestId ?? ids('req') };
}
