import type { Member } from '../protocol/index.ts';

/**
 * The part of the Store that keeps sessions resumable and direct messages owed: one record per
 * session (its secret, subscriptions, the frames it was delivered, the direct messages still owed
 * to it, the requests it has made), on any node.
 *
 * Ownership is fenced by `epoch`: `openSession`, `takeOver` and `registerAgain` (when it
 * recreates a record) each return a new epoch, and every write naming another epoch is ignored
 * (`fenced`), so a node still holding a half-dead connection cannot change a session that has
 * moved on. Epochs are compared for equality only; a new one is never equal to an old one, even
 * after the backend lost its data.
 *
 * Sequence numbers: the node numbers what it delivers (`seq`, from 1, no gaps) and logs a frame
 * before it writes it to the socket (`logDeliveries`), so the record knows every frame the client
 * can have seen, except while the Store was unreachable; those are declared later (`unlogged`) and
 * make the gap a hole: a resume from before a hole is incomplete.
 *
 * Direct messages (to `user:<id>`) are written to every resumable session of the user when they
 * are sent (`appendDirect`), numbered by a per-user `offset`, and stay `pending` for a session
 * until a frame carrying that offset is logged for it. So a message lost in a dead node's queue,
 * or sent while the session had no connection, is still owed to the session, and `takeOver`
 * hands it over.
 */
export interface SessionRecords {
  /** Creates the session's record, attached; replaces one with the same id. Returns the epoch. */
  openSession(record: SessionRecord, now: number): Promise<number>;
  /**
   * After the Store was unreachable (it may have lost its data): for each session, keeps the
   * record if it still has `epoch`; recreates it if it is gone, at the same `epoch` (so the
   * node's writes in flight stay valid), with a hole up to `seq` (frames before it cannot be
   * replayed); reports `taken` if a higher epoch holds it (a resume elsewhere took it over
   * meanwhile) or it was forgotten meanwhile. A record at a lower epoch is replaced: after a data
   * loss a stale owner may have recreated it first. `epoch: null` (the node never got the reply that
   * created the record) adopts a record that exists: nobody else can hold a session whose
   * welcome carried no resume token. A record kept at `epoch` but detached (another node claimed
   * the session as lapsed while this one stalled) is attached again: the caller holds it live.
   */
  registerAgain(sessions: readonly Reregistration[], now: number): Promise<Reregistered[]>;
  /** Replaces the session's subscriptions (the channels a resume restores). */
  saveSubscriptions(sessionId: string, epoch: number, subscriptions: readonly string[]): Promise<void>;
  /**
   * Appends delivered frames to each listed session's log (newest `bounds.logFrames` /
   * `logBytes` kept), declares `unlogged` frames, and clears the offsets of logged or unlogged
   * direct frames from its pending messages. Each entry is fenced by its own epoch; the outcome
   * array matches `batch`.
   */
  logDeliveries(batch: readonly SessionFrames[]): Promise<LogOutcome[]>;
  /**
   * The session's connection is gone. Removes it from presence and every roster, and either
   * keeps it resumable while `now < resumableUntil`, or forgets it and everything kept for it
   * (`resumableUntil: null`: a clean close); `unlogged` as in `logDeliveries`. Only then detached
   * sessions beyond `detachedPerUser` are forgotten, oldest first. False when fenced (nothing
   * changed; also when the session was forgotten already). `epoch: null` (the node holds no
   * record for it) only ends presence, and is fenced if a record exists.
   */
  endSession(sessionId: string, epoch: number | null, end: SessionEnd): Promise<boolean>;
  /**
   * Resumes the session on the caller's node: checks `secret` and `userId`, attaches it with a new
   * epoch, and returns what the client did not get: logged frames after `lastSeq`, then the direct
   * messages still pending. `null` when unknown, expired or not this user's. `incomplete` (and the
   * session is forgotten) when frames the client needs are gone: trimmed from the log, a hole,
   * pending messages dropped for space, or a `lastSeq` above anything delivered.
   */
  takeOver(request: ResumeRequest, now: number): Promise<TakeOver | null>;
  /** Remembers requests that took effect, for a retry after a resume (newest `journalSize` kept). */
  recordRequests(entries: readonly JournalRecord[]): Promise<void>;
}

export interface SessionRecord {
  member: Member;
  /** the secret the client must present to resume (part of its resume token) */
  secret: string;
  subscriptions: readonly string[];
  /** ms the record lives while attached: a bound in case no node ever ends it */
  attachedTtlMs: number;
  bounds: ResumeBounds;
}

/** What is kept per session, and per user. */
export interface ResumeBounds {
  /** delivered frames kept in a session's log, at most, and their bytes */
  logFrames: number;
  logBytes: number;
  /** direct messages pending for one session, at most, and their bytes; past either the oldest is dropped and a resume is incomplete */
  pendingFrames: number;
  pendingBytes: number;
  /** request ids remembered per session for retries */
  journalSize: number;
  /** detached resumable sessions kept per user; past it the oldest are forgotten */
  detachedPerUser: number;
}

export interface Reregistration {
  record: SessionRecord;
  epoch: number | null;
  /** the last seq the node numbered for the session */
  seq: number;
}

export type Reregistered = { epoch: number } | 'taken';

export interface LoggedFrame {
  seq: number;
  /** the frame's JSON text, as sent to the client */
  frame: string;
  /** a direct message's offset */
  offset?: number;
}

/** Frames delivered to one session, for `logDeliveries`. */
export interface SessionFrames {
  sessionId: string;
  epoch: number;
  frames: readonly LoggedFrame[];
  /** frames sent while the Store was unreachable, not logged: seqs up to `toSeq`, and their direct offsets */
  unlogged?: { toSeq: number; offsets: readonly number[] };
}

/**
 * `fenced`: another epoch holds the session, or it was forgotten (a clean close, a failed
 * resume, the per-user cap) less than `FORGOTTEN_MARK_MS` ago: the writer's connection is stale.
 * `missing`: the Store has no trace of the session at all: it lost its data (a Redis restarted
 * empty, a failover), and the writer should register its sessions again.
 */
export type LogOutcome = 'ok' | 'fenced' | 'missing';

/** ms a forgotten session stays marked, so a stale writer is fenced, not taken for data loss */
export const FORGOTTEN_MARK_MS = 5 * 60_000;

export interface SessionEnd {
  /** resumable until then (ms); null forgets the session now */
  resumableUntil: number | null;
  /** frames sent but not logged (the Store was unreachable), declared as a hole */
  unlogged?: SessionFrames['unlogged'];
  now: number;
}

export interface ResumeRequest {
  sessionId: string;
  secret: string;
  userId: string;
  lastSeq: number;
  /**
   * presence deadline (ms): the takeover lists the session as live until then, so a node that
   * took it over but never heard back (a lost reply) leaves it to lapse and be claimed like any
   * session whose node stopped renewing, not attached for a day with nobody renewing it
   */
  liveUntil: number;
}

export type TakeOver =
  | { complete: false }
  | {
      complete: true;
      epoch: number;
      member: Member;
      subscriptions: string[];
      /** logged frames after `lastSeq`, oldest first */
      missed: LoggedFrame[];
      /** offsets of the direct messages among every frame still in the log, and of those declared unlogged (the client may hold them) */
      delivered: number[];
      /** the highest seq numbered for the session; live frames continue after it */
      lastSeq: number;
      /** direct messages owed to the session and not yet delivered, oldest first */
      pending: PendingFrame[];
      /** requests the session made that took effect */
      journal: JournalEntry[];
    };

/** A direct message as kept for a session: its per-user offset and its JSON text (unnumbered). */
export interface PendingFrame {
  offset: number;
  frame: string;
}

export interface JournalEntry {
  requestId: string;
  /** `offset`: a direct message kept under that offset; otherwise the request simply took effect */
  offset?: number;
}

export interface JournalRecord extends JournalEntry {
  sessionId: string;
}
