import { createHash } from 'node:crypto';
import type { DirectMessage, DirectOutcome, HeldSession } from './direct-inbox.ts';
import { decodeMember, decodeStrings } from './redis-records.ts';
import { type LuaScript, type ScriptArg, type ScriptRunner, arrayReply, stringReply } from './redis-scripts.ts';
import {
  APPEND_DIRECT,
  END_SESSION,
  LOG,
  OPEN,
  PENDING_FOR,
  RECORD_REQUESTS,
  REREGISTER,
  SAVE_SUBSCRIPTIONS,
  TAKE_OVER,
  VOID_DIRECT,
} from './redis-session-scripts.ts';
import type {
  JournalEntry,
  JournalRecord,
  LogOutcome,
  LoggedFrame,
  PendingFrame,
  Reregistered,
  Reregistration,
  ResumeRequest,
  SessionEnd,
  SessionFrames,
  SessionRecord,
  TakeOver,
} from './session-records.ts';

/** frames per logDeliveries script, so no single call holds Redis for long */
const LOG_CALL_FRAMES = 1_000;
/** items per script for the other batched calls */
const CALL_ITEMS = 500;

/**
 * Session records and direct messages of `RedisStore` (scripts in redis-session-scripts.ts). Each
 * call is one script per chunk, all chunks sent at once: one round trip.
 */
export class RedisSessions {
  private readonly scripts: ScriptRunner;

  constructor(scripts: ScriptRunner) {
    this.scripts = scripts;
  }

  async openSession(record: SessionRecord, now: number): Promise<number> {
    return epochReply(await this.scripts.call(OPEN, [now, record.member.sessionId, ...recordArgs(record)]));
  }

  async registerAgain(sessions: readonly Reregistration[], now: number): Promise<Reregistered[]> {
    const replies = await this.chunked(REREGISTER, sessions, CALL_ITEMS, ({ record, epoch, seq }) => [
      record.member.sessionId,
      ...recordArgs(record),
      epoch ?? '',
      seq,
    ], [now]);
    return replies.map((reply) => (reply === 'taken' ? 'taken' : { epoch: epochReply(reply) }));
  }

  async saveSubscriptions(sessionId: string, epoch: number, subscriptions: readonly string[]): Promise<void> {
    await this.scripts.call(SAVE_SUBSCRIPTIONS, [sessionId, epoch, JSON.stringify(subscriptions)]);
  }

  async logDeliveries(batch: readonly SessionFrames[]): Promise<LogOutcome[]> {
    const calls: Array<Promise<unknown>> = [];
    let args: ScriptArg[] = [];
    let frames = 0;
    for (const { sessionId, epoch, frames: logged, unlogged } of batch) {
      const offsets = newestUnlogged(unlogged);
      args.push(sessionId, epoch, unlogged?.toSeq ?? '', offsets.length, ...offsets);
      args.push(logged.length, ...logged.map(encodeLogged));
      frames += logged.length + 1;
      if (frames >= LOG_CALL_FRAMES) {
        calls.push(this.scripts.call(LOG, args));
        args = [];
        frames = 0;
      }
    }
    if (args.length > 0) calls.push(this.scripts.call(LOG, args));
    const replies = (await Promise.all(calls)).flatMap(arrayReply);
    return replies.map(outcome);
  }

  async endSession(sessionId: string, epoch: number | null, end: SessionEnd): Promise<boolean> {
    const { unlogged } = end;
    const offsets = newestUnlogged(unlogged);
    const args = [sessionId, epoch ?? '', end.resumableUntil ?? '', end.now, unlogged?.toSeq ?? '', offsets.length, ...offsets];
    return (await this.scripts.call(END_SESSION, args)) === 1;
  }

  async takeOver(request: ResumeRequest, now: number): Promise<TakeOver | null> {
    const { sessionId, secret, userId, lastSeq, liveUntil } = request;
    const reply = await this.scripts.call(TAKE_OVER, [sessionId, digest(secret), userId, lastSeq, now, liveUntil]);
    if (reply === null) return null;
    const [complete, epoch, member, subs, last, missed, pending, journal, delivered] = arrayReply(reply);
    if (complete !== 1) return { complete: false };
    const decoded = decodeMember(stringReply(member));
    if (!decoded.ok) throw new Error(`unreadable member of session ${sessionId}`, { cause: decoded.error });
    const flat = arrayReply(journal).map(stringReply);
    const entries: JournalEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      entries.push(flat[i + 1] === '' ? { requestId: flat[i]! } : { requestId: flat[i]!, offset: Number(flat[i + 1]) });
    }
    return {
      complete: true,
      epoch: epochReply(epoch),
      member: decoded.member,
      subscriptions: decodeStrings(stringReply(subs)),
      missed: arrayReply(missed).map((raw) => decodeLogged(stringReply(raw))),
      delivered: arrayReply(delivered).map((raw) => Number(stringReply(raw))),
      lastSeq: Number(stringReply(last)),
      pending: arrayReply(pending).map((raw) => decodePending(stringReply(raw))),
      journal: entries,
    };
  }

  async recordRequests(entries: readonly JournalRecord[]): Promise<void> {
    await this.chunked(RECORD_REQUESTS, entries, CALL_ITEMS, (e) => [e.sessionId, e.requestId, e.offset ?? '']);
  }

  async appendDirect(batch: readonly DirectMessage[], now: number): Promise<DirectOutcome[]> {
    const replies = await this.chunked(APPEND_DIRECT, batch, CALL_ITEMS, (m) => [m.userId, m.frame, m.senderSessionId, m.senderEpoch ?? '', m.requestId], [now]);
    return replies.map((raw): DirectOutcome => {
      const [kind, offset, sessions] = arrayReply(raw);
      switch (kind) {
        case 'd':
          return { kind: 'duplicate', offset: Number(stringReply(offset)) };
        case 'k':
          return { kind: 'kept', offset: Number(stringReply(offset)), sessions: Number(sessions) };
        case 'l':
          return { kind: 'live-only', offset: Number(stringReply(offset)) };
        case 'f':
          return { kind: 'fenced' };
        default:
          return { kind: 'nobody' };
      }
    });
  }

  async voidDirect(message: Pick<DirectMessage, 'userId' | 'senderSessionId' | 'requestId'>, offset: number): Promise<void> {
    await this.scripts.call(VOID_DIRECT, [message.userId, offset, message.senderSessionId, message.requestId]);
  }

  async pendingFor(sessions: readonly HeldSession[]): Promise<Array<PendingFrame[] | 'fenced' | 'missing'>> {
    const replies = await this.chunked(PENDING_FOR, sessions, CALL_ITEMS, (s) => [s.sessionId, s.epoch]);
    return replies.map((raw) => {
      const [held, ...members] = arrayReply(raw);
      return held === 1 ? members.map((m) => decodePending(stringReply(m))) : outcome(held) === 'fenced' ? 'fenced' : 'missing';
    });
  }

  /** One script per `size` items, sent together; the replies of all, flattened in order. */
  private async chunked<T>(script: LuaScript, items: readonly T[], size: number, args: (item: T) => ScriptArg[], head: ScriptArg[] = []): Promise<unknown[]> {
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < items.length; i += size) {
      calls.push(this.scripts.call(script, [...head, ...items.slice(i, i + size).flatMap(args)]));
    }
    const replies = await Promise.all(calls);
    return replies.flatMap((reply) => (reply === null || reply === undefined ? [] : arrayReply(reply)));
  }
}

function recordArgs(record: SessionRecord): ScriptArg[] {
  const { member, bounds } = record;
  return [
    member.userId,
    JSON.stringify(member),
    digest(record.secret),
    JSON.stringify(record.subscriptions),
    Math.max(1, Math.floor(record.attachedTtlMs)),
    bounds.logFrames,
    bounds.logBytes,
    bounds.pendingFrames,
    bounds.pendingBytes,
    bounds.journalSize,
    bounds.detachedPerUser,
  ];
}

/** `seq|offset|frame`: the script reads seq and offset off the head */
function encodeLogged({ seq, frame, offset }: LoggedFrame): string {
  return `${seq}|${offset ?? ''}|${frame}`;
}

function decodeLogged(raw: string): LoggedFrame {
  const a = raw.indexOf('|');
  const b = raw.indexOf('|', a + 1);
  const seq = Number(raw.slice(0, a));
  const offset = raw.slice(a + 1, b);
  if (a < 1 || b < 0 || !Number.isSafeInteger(seq)) throw new Error('unreadable log entry');
  return offset === '' ? { seq, frame: raw.slice(b + 1) } : { seq, frame: raw.slice(b + 1), offset: Number(offset) };
}

/** `offset|frame` */
function decodePending(raw: string): PendingFrame {
  const a = raw.indexOf('|');
  const offset = Number(raw.slice(0, a));
  if (a < 1 || !Number.isSafeInteger(offset)) throw new Error('unreadable pending entry');
  return { offset, frame: raw.slice(a + 1) };
}

/** The secret is kept as its SHA-256: Redis never holds what a client presents to resume. */
function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function epochReply(reply: unknown): number {
  const n = typeof reply === 'string' ? Number(reply) : reply;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new Error(`unexpected epoch reply ${String(reply)}`);
  return n;
}

/** A script's 1 / 0 / 2 for a session: held at the epoch, fenced, or unknown to the Store. */
function outcome(reply: unknown): LogOutcome {
  return reply === 1 ? 'ok' : reply === 0 ? 'fenced' : 'missing';
}

/** The newest 256 declared offsets: all the record keeps ('unl'), and few enough for one Lua unpack. */
function newestUnlogged(unlogged: SessionFrames['unlogged']): readonly number[] {
  return unlogged ? unlogged.offsets.slice(-256) : [];
}
