import type { Member } from '../protocol/index.ts';
import { FORGOTTEN_MARK_MS, type JournalEntry, type LoggedFrame, type PendingFrame, type ResumeBounds } from './session-records.ts';
import type { PositionFix } from './store.ts';

/** offsets remembered per user as handed out: more than a session keeps pending */
export const HANDED_KEPT = 1_024;

/** One session as the memory store knows it: presence, rooms and its resume record together. */
export interface SessionEntry {
  member: Member;
  /** live until (ms); 0 once ended */
  liveUntil: number;
  rooms: Set<string>;
  /** null: presence only (never opened, or forgotten while still listed as live) */
  record: ResumeState | null;
}

/** A session's resume record (see SessionRecords). */
export interface ResumeState {
  epoch: number;
  secret: string;
  subscriptions: string[];
  attached: boolean;
  /** resumable (and kept) until then, ms */
  until: number;
  attachedTtlMs: number;
  bounds: ResumeBounds;
  /** highest seq logged or declared */
  last: number;
  /** highest seq known missing from the log (0: none) */
  hole: number;
  /** a pending message was dropped for space */
  lost: boolean;
  /** offsets of direct messages sent without being logged (declared `unlogged`), newest 256 */
  unloggedOffsets: number[];
  log: LoggedFrame[];
  logBytes: number;
  /** ordered by offset */
  pending: PendingFrame[];
  pendingBytes: number;
  /** by request id, oldest first */
  journal: Map<string, JournalEntry>;
  /** request ids of direct messages sent again (a retry): no longer withdrawn by `voidDirect` */
  claimed: Set<string>;
}

/**
 * The data behind one or more `MemoryStore`s. Several nodes in one process (the test cluster)
 * share one, as separate nodes share one Redis.
 */
export class MemoryStoreData {
  readonly rooms = new Map<string, Map<string, Member>>();
  readonly sessions = new Map<string, SessionEntry>();
  readonly userSessions = new Map<string, Set<string>>();
  /** the last offset given to a direct message, per user */
  readonly offsets = new Map<string, number>();
  /** per user: offsets of direct messages handed to a session to deliver (takeOver, pendingFor), newest HANDED_KEPT */
  readonly handed = new Map<string, Set<number>>();
  readonly positions = new Map<string, PositionFix>();
  readonly trails = new Map<string, PositionFix[]>();
  /** sessions forgotten on purpose, and until when they stay marked (Date.now() ms), oldest first */
  readonly forgotten = new Map<string, number>();
  epochs = 0;

  /** @internal for tests: everything gone, as a Redis restarted empty shows it (counters stay: Redis's are clock-based) */
  clear(): void {
    for (const map of [this.rooms, this.sessions, this.userSessions, this.handed, this.positions, this.trails, this.forgotten]) map.clear();
  }

  /** The session's entry, created (presence only) on first sight. */
  entry(member: Member): SessionEntry {
    let entry = this.sessions.get(member.sessionId);
    if (!entry) {
      entry = { member: { ...member }, liveUntil: 0, rooms: new Set(), record: null };
      this.sessions.set(member.sessionId, entry);
      let ids = this.userSessions.get(member.userId);
      if (!ids) this.userSessions.set(member.userId, (ids = new Set()));
      ids.add(member.sessionId);
    }
    return entry;
  }

  /** The entries of a user's sessions. */
  *ofUser(userId: string): Iterable<SessionEntry> {
    for (const id of this.userSessions.get(userId) ?? []) {
      const entry = this.sessions.get(id);
      if (entry) yield entry;
    }
  }

  /** Out of presence and every roster. */
  unlist(entry: SessionEntry): void {
    entry.liveUntil = 0;
    for (const room of entry.rooms) {
      const roster = this.rooms.get(room);
      roster?.delete(entry.member.sessionId);
      if (roster?.size === 0) this.rooms.delete(room);
    }
    entry.rooms.clear();
    this.dropIfEmpty(entry);
  }

  /**
   * Drops the record and everything kept for it; the entry too unless it is still live. `mark`:
   * it was forgotten on purpose (not expired), so writes for it from stale nodes are fenced.
   */
  forget(entry: SessionEntry, mark = true): void {
    entry.record = null;
    this.dropIfEmpty(entry);
    if (!mark) return;
    const now = Date.now();
    for (const [id, until] of this.forgotten) {
      if (until > now) break;
      this.forgotten.delete(id);
    }
    this.forgotten.delete(entry.member.sessionId);
    this.forgotten.set(entry.member.sessionId, now + FORGOTTEN_MARK_MS);
  }

  /** True while the session is marked as forgotten on purpose. */
  wasForgotten(sessionId: string): boolean {
    return (this.forgotten.get(sessionId) ?? 0) > Date.now();
  }

  private dropIfEmpty(entry: SessionEntry): void {
    if (entry.record !== null || entry.liveUntil > 0) return;
    const { sessionId, userId } = entry.member;
    this.sessions.delete(sessionId);
    const ids = this.userSessions.get(userId);
    ids?.delete(sessionId);
    if (ids?.size === 0) this.userSessions.delete(userId);
  }
}
