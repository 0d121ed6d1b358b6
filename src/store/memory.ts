import type { Member } from '../protocol/index.ts';
import type { DirectMessage, DirectOutcome, HeldSession } from './direct-inbox.ts';
import { MemoryStoreData } from './memory-data.ts';
import { MemorySessions } from './memory-sessions.ts';
import type {
  JournalRecord,
  LogOutcome,
  PendingFrame,
  Reregistered,
  Reregistration,
  ResumeRequest,
  SessionEnd,
  SessionFrames,
  SessionRecord,
  TakeOver,
} from './session-records.ts';
import { type LapsedSession, type LiveSession, type PositionFix, type Store, StoreError, type StoreState } from './store.ts';

export { MemoryStoreData } from './memory-data.ts';

export interface MemoryStoreOptions {
  data?: MemoryStoreData;
  /** patients whose last position is kept (least recently updated evicted); default 100 000 */
  maxPatients?: number;
  /** trail entries kept per patient; default 1 000 */
  trailMaxEntries?: number;
  /** ms a trail entry is kept; default 24 h */
  trailWindowMs?: number;
}

/**
 * Store kept in this process: the embedded default, and (sharing one `MemoryStoreData`) the
 * in-process test cluster. Bounds as in `MemoryStoreOptions` and each record's `ResumeBounds`.
 * Every call completes synchronously (it is atomic) and settles asynchronously.
 */
export class MemoryStore implements Store {
  state: StoreState = 'connecting';
  private readonly d: MemoryStoreData;
  private readonly sessions: MemorySessions;
  private readonly listeners: Array<(state: StoreState) => void> = [];
  private readonly maxPatients: number;
  private readonly trailMaxEntries: number;
  private readonly trailWindowMs: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.d = options.data ?? new MemoryStoreData();
    this.sessions = new MemorySessions(this.d);
    this.maxPatients = options.maxPatients ?? 100_000;
    this.trailMaxEntries = options.trailMaxEntries ?? 1_000;
    this.trailWindowMs = options.trailWindowMs ?? 24 * 3_600_000;
  }

  async start(): Promise<void> {
    this.setState('up');
  }

  // --- rosters

  async joinRoom(room: string, member: Member, now: number, epoch: number | null): Promise<Member[] | null> {
    this.assertUp();
    if (epoch !== null && this.sessions.fenced(member.sessionId, epoch)) return null;
    let roster = this.d.rooms.get(room);
    if (!roster) this.d.rooms.set(room, (roster = new Map()));
    roster.set(member.sessionId, { ...member });
    this.d.entry(member).rooms.add(room);
    return this.liveMembers(roster, now);
  }

  async leaveRoom(room: string, sessionId: string, epoch: number | null): Promise<boolean> {
    this.assertUp();
    if (epoch !== null && this.sessions.fenced(sessionId, epoch)) return false;
    const roster = this.d.rooms.get(room);
    roster?.delete(sessionId);
    if (roster?.size === 0) this.d.rooms.delete(room);
    this.d.sessions.get(sessionId)?.rooms.delete(room);
    return true;
  }

  async roomMembers(room: string, now: number): Promise<Member[]> {
    this.assertUp();
    const roster = this.d.rooms.get(room);
    return roster ? this.liveMembers(roster, now) : [];
  }

  // --- presence

  async touchSessions(sessions: readonly LiveSession[], until: number): Promise<void> {
    this.assertUp();
    for (const { member } of sessions) {
      const entry = this.d.entry(member);
      entry.liveUntil = until;
      // a live session stays owed direct signals and resumable however long it stays connected
      const record = entry.record;
      if (record?.attached && record.until < until + record.attachedTtlMs / 2) record.until = until + record.attachedTtlMs;
    }
  }

  async userSessions(userId: string, now: number): Promise<Member[]> {
    this.assertUp();
    return [...this.d.ofUser(userId)].filter((e) => e.liveUntil >= now).map((e) => ({ ...e.member }));
  }

  async claimLapsed(now: number, limit: number, resumableUntil: number): Promise<LapsedSession[]> {
    this.assertUp();
    this.sessions.sweep(now);
    const lapsed: LapsedSession[] = [];
    for (const entry of [...this.d.sessions.values()]) {
      if (lapsed.length >= limit) break;
      if (entry.liveUntil === 0 || entry.liveUntil >= now) continue;
      lapsed.push({ member: { ...entry.member }, rooms: [...entry.rooms] });
      if (entry.record?.attached) {
        entry.record.attached = false;
        entry.record.until = resumableUntil;
      }
      this.d.unlist(entry);
    }
    return lapsed;
  }

  // --- locations

  async recordPosition(patientId: string, fix: PositionFix): Promise<void> {
    this.assertUp();
    this.d.positions.delete(patientId);
    this.d.positions.set(patientId, structuredClone(fix));
    if (this.d.positions.size > this.maxPatients) {
      const oldest = this.d.positions.keys().next().value;
      if (oldest !== undefined) {
        this.d.positions.delete(oldest);
        this.d.trails.delete(oldest);
      }
    }
    const trail = this.d.trails.get(patientId) ?? [];
    trail.push(structuredClone(fix));
    const cutoff = fix.ts - this.trailWindowMs;
    while (trail.length > this.trailMaxEntries || (trail[0] && trail[0].ts < cutoff)) trail.shift();
    this.d.trails.set(patientId, trail);
  }

  async lastPosition(patientId: string): Promise<PositionFix | null> {
    this.assertUp();
    const fix = this.d.positions.get(patientId);
    return fix ? structuredClone(fix) : null;
  }

  async trail(patientId: string, since: number, limit: number): Promise<PositionFix[]> {
    this.assertUp();
    const trail = (this.d.trails.get(patientId) ?? []).filter((f) => f.ts >= since);
    return structuredClone(limit > 0 ? trail.slice(-limit) : []);
  }

  // --- session records and direct messages (memory-sessions.ts)

  async openSession(record: SessionRecord, now: number): Promise<number> {
    this.assertUp();
    return this.sessions.openSession(record, now);
  }

  async registerAgain(sessions: readonly Reregistration[], now: number): Promise<Reregistered[]> {
    this.assertUp();
    return this.sessions.registerAgain(sessions, now);
  }

  async saveSubscriptions(sessionId: string, epoch: number, subscriptions: readonly string[]): Promise<void> {
    this.assertUp();
    this.sessions.saveSubscriptions(sessionId, epoch, subscriptions);
  }

  async logDeliveries(batch: readonly SessionFrames[]): Promise<LogOutcome[]> {
    this.assertUp();
    return this.sessions.logDeliveries(batch);
  }

  async endSession(sessionId: string, epoch: number | null, end: SessionEnd): Promise<boolean> {
    this.assertUp();
    return this.sessions.endSession(sessionId, epoch, end);
  }

  async takeOver(request: ResumeRequest, now: number): Promise<TakeOver | null> {
    this.assertUp();
    return this.sessions.takeOver(request, now);
  }

  async recordRequests(entries: readonly JournalRecord[]): Promise<void> {
    this.assertUp();
    this.sessions.recordRequests(entries);
  }

  async appendDirect(batch: readonly DirectMessage[], now: number): Promise<DirectOutcome[]> {
    this.assertUp();
    return this.sessions.appendDirect(batch, now);
  }

  async voidDirect(message: Pick<DirectMessage, 'userId' | 'senderSessionId' | 'requestId'>, offset: number): Promise<void> {
    this.assertUp();
    this.sessions.voidDirect(message, offset);
  }

  async pendingFor(sessions: readonly HeldSession[]): Promise<Array<PendingFrame[] | 'fenced' | 'missing'>> {
    this.assertUp();
    return this.sessions.pendingFor(sessions);
  }

  onState(listener: (state: StoreState) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.setState('closed');
  }

  /** @internal for outage tests: makes every call fail as an unreachable backend would */
  simulateOutage(down: boolean): void {
    this.setState(down ? 'down' : 'up');
  }

  private liveMembers(roster: Map<string, Member>, now: number): Member[] {
    return [...roster.values()].filter((m) => (this.d.sessions.get(m.sessionId)?.liveUntil ?? 0) >= now).map((m) => ({ ...m }));
  }

  private assertUp(): void {
    if (this.state !== 'up') throw new StoreError(`store is ${this.state}`);
  }

  private setState(state: StoreState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
