import type { Member } from '../protocol/index.ts';
import {
  type LapsedSession,
  type LiveSession,
  type LoggedFrame,
  type SessionFrames,
  type PositionFix,
  type ResumeRecord,
  type ResumeRequest,
  type ResumedSession,
  type Store,
  StoreError,
  type StoreState,
} from './store.ts';

/** One session as the memory store knows it: presence, rooms and resume state together. */
interface SessionEntry {
  member: Member;
  /** live until (ms); 0 once ended */
  liveUntil: number;
  rooms: Set<string>;
  epoch: number;
  /** null until `openSession` */
  secret: string | null;
  subscriptions: string[];
  attached: boolean;
  /** the resume record is forgotten after this (ms) */
  recordUntil: number;
  log: LoggedFrame[];
  parked: string[];
  maxFrames: number;
  /** how long the record lives while attached, ms */
  attachedTtlMs: number;
}

/**
 * The data behind one or more `MemoryStore`s. Several nodes in one process (the test cluster)
 * share one, as separate nodes share one Redis.
 */
export class MemoryStoreData {
  readonly rooms = new Map<string, Map<string, Member>>();
  readonly sessions = new Map<string, SessionEntry>();
  readonly userSessions = new Map<string, Set<string>>();
  readonly positions = new Map<string, PositionFix>();
  readonly trails = new Map<string, PositionFix[]>();
  epochs = 0;
}

export interface MemoryStoreOptions {
  data?: MemoryStoreData;
  /** patients whose last position is kept (least recently updated evicted); default 100 000 */
  maxPatients?: number;
  /** trail entries kept per patient; default 1 000 */
  trailMaxEntries?: number;
  /** ms a trail entry is kept; default 24 h */
  trailWindowMs?: number;
}

/** Store kept in this process: the embedded default. Bounds as in `MemoryStoreOptions`. */
export class MemoryStore implements Store {
  state: StoreState = 'connecting';
  private readonly d: MemoryStoreData;
  private readonly listeners: Array<(state: StoreState) => void> = [];
  private readonly maxPatients: number;
  private readonly trailMaxEntries: number;
  private readonly trailWindowMs: number;

  constructor(options: MemoryStoreOptions = {}) {
    this.d = options.data ?? new MemoryStoreData();
    this.maxPatients = options.maxPatients ?? 100_000;
    this.trailMaxEntries = options.trailMaxEntries ?? 1_000;
    this.trailWindowMs = options.trailWindowMs ?? 24 * 3_600_000;
  }

  async start(): Promise<void> {
    this.setState('up');
  }

  // --- rosters

  async joinRoom(room: string, member: Member, now: number): Promise<Member[]> {
    this.assertUp();
    let roster = this.d.rooms.get(room);
    if (!roster) this.d.rooms.set(room, (roster = new Map()));
    roster.set(member.sessionId, { ...member });
    this.session(member).rooms.add(room);
    return this.liveMembers(roster, now);
  }

  async leaveRoom(room: string, sessionId: string): Promise<void> {
    this.assertUp();
    this.removeFromRoom(room, sessionId);
    this.d.sessions.get(sessionId)?.rooms.delete(room);
  }

  async roomMembers(room: string, now: number): Promise<Member[]> {
    this.assertUp();
    const roster = this.d.rooms.get(room);
    return roster ? this.liveMembers(roster, now) : [];
  }

  // --- presence

  async touchSessions(sessions: readonly LiveSession[], until: number): Promise<void> {
    this.assertUp();
    for (const { member } of sessions) this.session(member).liveUntil = until;
  }

  async endSession(sessionId: string, epoch: number): Promise<boolean> {
    this.assertUp();
    const entry = this.d.sessions.get(sessionId);
    if (!entry) return true;
    if (entry.epoch > epoch) return false;
    this.unlist(sessionId, entry);
    return true;
  }

  async userSessions(userId: string, now: number): Promise<Member[]> {
    this.assertUp();
    const ids = [...(this.d.userSessions.get(userId) ?? [])];
    return ids.flatMap((id) => {
      const entry = this.d.sessions.get(id);
      return entry && entry.liveUntil >= now ? [{ ...entry.member }] : [];
    });
  }

  async claimLapsed(now: number, limit: number, resumableUntil: number): Promise<LapsedSession[]> {
    this.assertUp();
    const lapsed: LapsedSession[] = [];
    for (const [id, entry] of this.d.sessions) {
      if (lapsed.length >= limit) break;
      if (entry.liveUntil === 0 && entry.recordUntil < now) this.forget(id, entry);
      if (entry.liveUntil === 0 || entry.liveUntil >= now) continue;
      lapsed.push({ member: { ...entry.member }, rooms: [...entry.rooms] });
      if (entry.secret !== null && entry.attached) {
        entry.attached = false;
        entry.recordUntil = resumableUntil;
      }
      this.unlist(id, entry);
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

  // --- resume

  async openSession(record: ResumeRecord): Promise<number> {
    this.assertUp();
    const entry = this.session(record.member);
    Object.assign(entry, {
      epoch: ++this.d.epochs,
      secret: record.secret,
      subscriptions: [...record.subscriptions],
      attached: true,
      recordUntil: Date.now() + record.attachedTtlMs,
      log: [],
      parked: [],
      maxFrames: record.maxFrames,
      attachedTtlMs: record.attachedTtlMs,
    });
    return entry.epoch;
  }

  async saveSubscriptions(sessionId: string, epoch: number, subscriptions: readonly string[]): Promise<void> {
    this.assertUp();
    const entry = this.owned(sessionId, epoch);
    if (entry) entry.subscriptions = [...subscriptions];
  }

  async logDeliveries(batch: readonly SessionFrames[]): Promise<void> {
    this.assertUp();
    for (const { sessionId, epoch, frames } of batch) {
      const entry = this.owned(sessionId, epoch);
      if (!entry) continue;
      entry.log.push(...frames.map((f) => ({ ...f })));
      if (entry.log.length > entry.maxFrames) entry.log.splice(0, entry.log.length - entry.maxFrames);
    }
  }

  async detachSession(sessionId: string, epoch: number, resumableUntil: number | null): Promise<void> {
    this.assertUp();
    const entry = this.owned(sessionId, epoch);
    if (!entry) return;
    entry.attached = false;
    if (resumableUntil === null) this.forget(sessionId, entry);
    else entry.recordUntil = resumableUntil;
  }

  async park(userId: string, frame: string, now: number): Promise<{ parked: number; attached: number }> {
    this.assertUp();
    const resumable = [...(this.d.userSessions.get(userId) ?? [])]
      .map((id) => this.d.sessions.get(id))
      .filter((e): e is SessionEntry => e !== undefined && e.secret !== null && e.recordUntil > now);
    const detached = resumable.filter((e) => !e.attached);
    for (const entry of detached) {
      entry.parked.push(frame);
      if (entry.parked.length > entry.maxFrames) entry.parked.shift();
    }
    return { parked: detached.length, attached: resumable.length - detached.length };
  }

  async resume(request: ResumeRequest, now: number): Promise<ResumedSession | null> {
    this.assertUp();
    const entry = this.d.sessions.get(request.sessionId);
    if (!entry || entry.secret !== request.secret || entry.member.userId !== request.userId || entry.recordUntil <= now) {
      return null;
    }
    entry.epoch = ++this.d.epochs;
    entry.attached = true;
    entry.recordUntil = now + entry.attachedTtlMs;
    const parked = entry.parked.splice(0);
    const lastLoggedSeq = entry.log.at(-1)?.seq ?? 0;
    const first = entry.log[0]?.seq ?? lastLoggedSeq + 1;
    return {
      epoch: entry.epoch,
      member: { ...entry.member },
      subscriptions: [...entry.subscriptions],
      missed: entry.log.filter((f) => f.seq > request.lastSeq).map((f) => ({ ...f })),
      lastLoggedSeq,
      parked,
      complete: request.lastSeq >= first - 1,
    };
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

  private session(member: Member): SessionEntry {
    let entry = this.d.sessions.get(member.sessionId);
    if (!entry) {
      entry = {
        member: { ...member },
        liveUntil: 0,
        rooms: new Set(),
        epoch: 0,
        secret: null,
        subscriptions: [],
        attached: false,
        recordUntil: 0,
        log: [],
        parked: [],
        maxFrames: 0,
        attachedTtlMs: 0,
      };
      this.d.sessions.set(member.sessionId, entry);
      let ids = this.d.userSessions.get(member.userId);
      if (!ids) this.d.userSessions.set(member.userId, (ids = new Set()));
      ids.add(member.sessionId);
    }
    return entry;
  }

  private owned(sessionId: string, epoch: number): SessionEntry | undefined {
    const entry = this.d.sessions.get(sessionId);
    return entry && entry.epoch === epoch ? entry : undefined;
  }

  /** Ends presence and roster membership; keeps the resume record if it is still wanted. */
  private unlist(sessionId: string, entry: SessionEntry): void {
    entry.liveUntil = 0;
    for (const room of entry.rooms) this.removeFromRoom(room, sessionId);
    entry.rooms.clear();
    if (entry.secret === null) this.forget(sessionId, entry);
  }

  private forget(sessionId: string, entry: SessionEntry): void {
    if (entry.liveUntil > 0) {
      entry.secret = null;
      return;
    }
    this.d.sessions.delete(sessionId);
    const ids = this.d.userSessions.get(entry.member.userId);
    ids?.delete(sessionId);
    if (ids?.size === 0) this.d.userSessions.delete(entry.member.userId);
  }

  private removeFromRoom(room: string, sessionId: string): void {
    const roster = this.d.rooms.get(room);
    roster?.delete(sessionId);
    if (roster?.size === 0) this.d.rooms.delete(room);
  }

  private liveMembers(roster: Map<string, Member>, now: number): Member[] {
    return [...roster.values()]
      .filter((m) => (this.d.sessions.get(m.sessionId)?.liveUntil ?? 0) >= now)
      .map((m) => ({ ...m }));
  }

  private assertUp(): void {
    if (this.state !== 'up') throw new StoreError(`store is ${this.state}`);
  }

  private setState(state: StoreState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
