/** Shared builders for the Store contract suite. */
import { randomUUID } from 'node:crypto';
import type { Member } from '../../src/protocol/index.ts';
import type { LoggedFrame, PositionFix, ResumeRecord, ResumeRequest, Store } from '../../src/store/store.ts';

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

export function record(m: Member, overrides: Partial<ResumeRecord> = {}): ResumeRecord {
  return { member: m, secret: randomUUID(), subscriptions: [`user:${m.userId}`], attachedTtlMs: 60_000, maxFrames: 10, ...overrides };
}

export function request(rec: ResumeRecord, lastSeq = 0): ResumeRequest {
  return { sessionId: rec.member.sessionId, secret: rec.secret, userId: rec.member.userId, lastSeq };
}

/** Frames `from`..`to` as JSON text with characters a codec could mangle (slash, quote, non-ASCII). */
export function frames(from: number, to: number): LoggedFrame[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    frame: JSON.stringify({ type: 'signal', seq: from + i, body: 'a/b "ü" \\n' }),
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

export function bySession(members: Member[]): Member[] {
  return [...members].sort((x, y) => x.sessionId.localeCompare(y.sessionId));
}
