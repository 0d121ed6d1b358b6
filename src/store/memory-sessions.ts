import type { DirectMessage, DirectOutcome, HeldSession } from './direct-inbox.ts';
import { HANDED_KEPT, type MemoryStoreData, type ResumeState, type SessionEntry } from './memory-data.ts';
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

/**
 * Session records and direct messages of `MemoryStore` (contracts in session-records.ts and
 * direct-inbox.ts). Every method runs to completion synchronously, so each is atomic.
 */
export class MemorySessions {
  private readonly d: MemoryStoreData;

  constructor(data: MemoryStoreData) {
    this.d = data;
  }

  openSession(record: SessionRecord, now: number): number {
    const entry = this.d.entry(record.member);
    entry.record = this.newRecord(record, now, 0);
    return entry.record.epoch;
  }

  registerAgain(sessions: readonly Reregistration[], now: number): Reregistered[] {
    return sessions.map(({ record, epoch, seq }) => {
      const entry = this.d.entry(record.member);
      // a node with no epoch for a session that has a record lost the reply that created it: only
      // that node could have made it, since nobody can resume a session whose welcome had no token
      if (entry.record && (epoch === null || entry.record.epoch >= epoch)) {
        if (entry.record.epoch !== epoch && epoch !== null) return 'taken';
        // held by the caller, which is live: detached meanwhile (its lapse was claimed) it is attached again
        if (!entry.record.attached) Object.assign(entry.record, { attached: true, until: now + entry.record.attachedTtlMs });
        return { epoch: entry.record.epoch };
      }
      if (!entry.record && this.d.wasForgotten(record.member.sessionId)) return 'taken';
      entry.record = this.newRecord(record, now, seq, epoch ?? undefined);
      return { epoch: entry.record.epoch };
    });
  }

  saveSubscriptions(sessionId: string, epoch: number, subscriptions: readonly string[]): void {
    const record = this.owned(sessionId, epoch);
    if (typeof record !== 'string') record.subscriptions = [...subscriptions];
  }

  logDeliveries(batch: readonly SessionFrames[]): LogOutcome[] {
    return batch.map(({ sessionId, epoch, frames, unlogged }) => {
      const record = this.owned(sessionId, epoch);
      if (typeof record === 'string') return record;
      if (unlogged) declareUnlogged(record, unlogged);
      for (const frame of frames) {
        if (frame.seq > record.last + 1) record.hole = Math.max(record.hole, frame.seq - 1);
        record.last = Math.max(record.last, frame.seq);
        record.log.push({ ...frame });
        record.logBytes += bytes(frame.frame);
        if (frame.offset !== undefined) removePending(record, frame.offset);
      }
      while (record.log.length > record.bounds.logFrames || (record.logBytes > record.bounds.logBytes && record.log.length > 0)) {
        record.logBytes -= bytes(record.log.shift()!.frame);
      }
      return 'ok';
    });
  }

  endSession(sessionId: string, epoch: number | null, end: SessionEnd): boolean {
    const entry = this.d.sessions.get(sessionId);
    if (!entry) return !this.d.wasForgotten(sessionId);
    if (entry.record && entry.record.epoch !== epoch) return false;
    const record = entry.record;
    this.d.unlist(entry);
    if (!record) return true;
    if (end.resumableUntil === null) {
      this.d.forget(entry);
      return true;
    }
    record.attached = false;
    record.until = end.resumableUntil;
    if (end.unlogged) declareUnlogged(record, end.unlogged);
    this.capDetached(entry.member.userId, record.bounds.detachedPerUser, end.now);
    return true;
  }

  takeOver(request: ResumeRequest, now: number): TakeOver | null {
    const entry = this.d.sessions.get(request.sessionId);
    const record = entry?.record;
    if (!entry || !record || record.secret !== request.secret || entry.member.userId !== request.userId || record.until <= now) {
      return null;
    }
    const { lastSeq } = request;
    const firstSeq = record.log[0]?.seq ?? record.last + 1;
    if (record.lost || lastSeq < record.hole || lastSeq > record.last || lastSeq < firstSeq - 1) {
      this.d.forget(entry);
      return { complete: false };
    }
    record.epoch = this.nextEpoch(now);
    record.attached = true;
    record.until = now + record.attachedTtlMs;
    entry.liveUntil = request.liveUntil;
    this.handOut(entry.member.userId, record.pending);
    return {
      complete: true,
      epoch: record.epoch,
      member: { ...entry.member },
      subscriptions: [...record.subscriptions],
      missed: record.log.filter((f) => f.seq > lastSeq).map((f) => ({ ...f })),
      delivered: [...record.unloggedOffsets, ...record.log.flatMap((f) => (f.offset === undefined ? [] : [f.offset]))],
      lastSeq: record.last,
      pending: record.pending.map((p) => ({ ...p })),
      journal: [...record.journal.values()].map((j) => ({ ...j })),
    };
  }

  recordRequests(entries: readonly JournalRecord[]): void {
    for (const { sessionId, requestId, offset } of entries) {
      const record = this.d.sessions.get(sessionId)?.record;
      if (record) remember(record, offset === undefined ? { requestId } : { requestId, offset });
    }
  }

  appendDirect(batch: readonly DirectMessage[], now: number): DirectOutcome[] {
    return batch.map((message) => {
      if (message.senderEpoch !== null && this.owned(message.senderSessionId, message.senderEpoch) === 'fenced') return { kind: 'fenced' };
      const sender = this.d.sessions.get(message.senderSessionId)?.record;
      const earlier = sender?.journal.get(message.requestId);
      if (earlier?.offset !== undefined) {
        sender!.claimed.add(message.requestId);
        return { kind: 'duplicate', offset: earlier.offset };
      }
      // not owed to the sender's own session: it never receives its own messages
      const owed = [...this.d.ofUser(message.userId)].filter(
        (e) => e.record !== null && e.record.until > now && e.member.sessionId !== message.senderSessionId,
      );
      const live = owed.length > 0 || [...this.d.ofUser(message.userId)].some((e) => e.liveUntil >= now);
      if (!live) return { kind: 'nobody' };
      const offset = Math.max((this.d.offsets.get(message.userId) ?? 0) + 1, now * 1000);
      this.d.offsets.set(message.userId, offset);
      for (const entry of owed) addPending(entry.record!, { offset, frame: message.frame });
      if (sender) remember(sender, { requestId: message.requestId, offset });
      return owed.length === 0 ? { kind: 'live-only', offset } : { kind: 'kept', offset, sessions: owed.length };
    });
  }

  voidDirect(message: Pick<DirectMessage, 'userId' | 'senderSessionId' | 'requestId'>, offset: number): void {
    const sender = this.d.sessions.get(message.senderSessionId)?.record;
    if (sender?.claimed.has(message.requestId) || this.d.handed.get(message.userId)?.has(offset)) return;
    for (const entry of this.d.ofUser(message.userId)) if (entry.record) removePending(entry.record, offset);
    sender?.journal.delete(message.requestId);
  }

  pendingFor(sessions: readonly HeldSession[]): Array<PendingFrame[] | 'fenced' | 'missing'> {
    return sessions.map(({ sessionId, epoch }) => {
      const record = this.owned(sessionId, epoch);
      if (typeof record === 'string') return record;
      this.handOut(this.d.sessions.get(sessionId)!.member.userId, record.pending);
      return record.pending.map((p) => ({ ...p }));
    });
  }

  /** Remembers that these messages went to a session to deliver: no longer withdrawn by `voidDirect`. */
  private handOut(userId: string, pending: readonly PendingFrame[]): void {
    if (pending.length === 0) return;
    let handed = this.d.handed.get(userId);
    if (!handed) this.d.handed.set(userId, (handed = new Set()));
    for (const { offset } of pending) handed.add(offset);
    while (handed.size > HANDED_KEPT) handed.delete(handed.values().next().value!);
  }

  /** Forgets resumable records that expired (called from claimLapsed's sweep). */
  sweep(now: number): void {
    for (const entry of this.d.sessions.values()) {
      if (entry.liveUntil === 0 && entry.record && entry.record.until <= now) this.d.forget(entry, false);
    }
  }

  /** At a new epoch, or at `keep` (a record recreated for the node that holds it). */
  private newRecord(record: SessionRecord, now: number, seq: number, keep?: number): ResumeState {
    if (keep !== undefined) this.d.epochs = Math.max(this.d.epochs, keep);
    return {
      epoch: keep ?? this.nextEpoch(now),
      secret: record.secret,
      subscriptions: [...record.subscriptions],
      attached: true,
      until: now + record.attachedTtlMs,
      attachedTtlMs: record.attachedTtlMs,
      bounds: { ...record.bounds },
      last: seq,
      hole: seq,
      lost: false,
      unloggedOffsets: [],
      log: [],
      logBytes: 0,
      pending: [],
      pendingBytes: 0,
      journal: new Map(),
      claimed: new Set(),
    };
  }

  /** Increasing and never reused; shaped like the Redis store's (see redis-scripts.ts). */
  private nextEpoch(now: number): number {
    this.d.epochs = Math.max(this.d.epochs + 1, now * 1000);
    return this.d.epochs;
  }

  /** The session was taken over (another epoch) or forgotten on purpose since `epoch`. */
  fenced(sessionId: string, epoch: number): boolean {
    return this.owned(sessionId, epoch) === 'fenced';
  }

  /** The record if held at `epoch`; else whether another holds it (or it was forgotten) or nothing is known. */
  private owned(sessionId: string, epoch: number): ResumeState | 'fenced' | 'missing' {
    const record = this.d.sessions.get(sessionId)?.record;
    if (record) return record.epoch === epoch ? record : 'fenced';
    return this.d.wasForgotten(sessionId) ? 'fenced' : 'missing';
  }

  /** Keeps at most `cap` detached, still resumable sessions of the user: the latest to expire. */
  private capDetached(userId: string, cap: number, now: number): void {
    const detached = [...this.d.ofUser(userId)].filter(
      (e): e is SessionEntry & { record: ResumeState } => e.record !== null && !e.record.attached && e.record.until > now,
    );
    detached.sort((a, b) => a.record.until - b.record.until);
    for (const entry of detached.slice(0, Math.max(0, detached.length - cap))) this.d.forget(entry);
  }
}

/** Frames sent up to `toSeq` without being logged: a hole, and their direct messages are no longer owed. */
function declareUnlogged(record: ResumeState, unlogged: NonNullable<SessionFrames['unlogged']>): void {
  record.hole = Math.max(record.hole, unlogged.toSeq);
  record.last = Math.max(record.last, unlogged.toSeq);
  for (const offset of unlogged.offsets) removePending(record, offset);
  record.unloggedOffsets.push(...unlogged.offsets);
  record.unloggedOffsets.splice(0, Math.max(0, record.unloggedOffsets.length - 256));
}

function addPending(record: ResumeState, frame: PendingFrame): void {
  record.pending.push({ ...frame });
  record.pendingBytes += bytes(frame.frame);
  const { pendingFrames, pendingBytes } = record.bounds;
  while (record.pending.length > pendingFrames || (record.pendingBytes > pendingBytes && record.pending.length > 0)) {
    record.pendingBytes -= bytes(record.pending.shift()!.frame);
    record.lost = true;
  }
}

function removePending(record: ResumeState, offset: number): void {
  const i = record.pending.findIndex((p) => p.offset === offset);
  if (i < 0) return;
  record.pendingBytes -= bytes(record.pending[i]!.frame);
  record.pending.splice(i, 1);
}

function remember(record: ResumeState, entry: { requestId: string; offset?: number }): void {
  record.journal.delete(entry.requestId);
  record.journal.set(entry.requestId, entry);
  while (record.journal.size > record.bounds.journalSize) {
    const oldest = record.journal.keys().next().value!;
    record.journal.delete(oldest);
    record.claimed.delete(oldest);
  }
}

/** UTF-8 length, as Redis counts it */
function bytes(text: string): number {
  return Buffer.byteLength(text);
}
