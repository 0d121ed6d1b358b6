import type { Member, Position, Sender } from '../protocol/index.ts';

/**
 * The Store holds the cluster's shared soft state. Nodes keep only live sockets in memory;
 * anything that must be seen cluster-wide or survive a node lives here.
 *
 * Contract (every implementation passes test/contract/store-contract.ts):
 * - Each operation is atomic.
 * - When the backend is unreachable, every operation rejects promptly with `StoreError`; none
 *   waits on an offline queue.
 * - Everything stored is bounded in time or size; times are ms since the Unix epoch, taken from
 *   the caller's clock (`now` arguments) so tests can control them.
 */
export interface Store extends Rosters, Presence, Locations, ResumeLog {
  readonly state: StoreState;
  start(): Promise<void>;
  onState(listener: (state: StoreState) => void): void;
  close(): Promise<void>;
}

/** Who is in which room. A roster lists each session once, and only sessions that are live. */
export interface Rosters {
  /**
   * Adds `member` to the room and returns everyone live in it now: the joiner is included when it
   * is live (the core always touches a session before it joins rooms).
   */
  joinRoom(room: string, member: Member, now: number): Promise<Member[]>;
  /** Removes the session from the room; a no-op if it is not there. */
  leaveRoom(room: string, sessionId: string): Promise<void>;
  roomMembers(room: string, now: number): Promise<Member[]>;
}

/**
 * Which sessions are live, cluster-wide. A node keeps its sessions live with `touchSessions`
 * heartbeats; a session whose node dies stops being live when its deadline passes, and
 * `claimLapsed` then hands it (once, to one caller) for cleanup.
 */
export interface Presence {
  /** Marks each session live until `until`; creates it on first sight. */
  touchSessions(sessions: readonly LiveSession[], until: number): Promise<void>;
  /**
   * The session is no longer live: removes it from presence and from every roster. `epoch`
   * fences: a node whose session was since resumed elsewhere (a higher epoch) changes nothing.
   * Resolves true when it applied, false when fenced off.
   */
  endSession(sessionId: string, epoch: number): Promise<boolean>;
  /** Live sessions of a user, on any node. */
  userSessions(userId: string, now: number): Promise<Member[]>;
  /**
   * Takes up to `limit` sessions whose deadline passed without `endSession`, removes them from
   * presence and rosters, detaches their attached resume records (resumable while
   * `now < resumableUntil`), and returns them with the rooms they were in. Each is returned once.
   */
  claimLapsed(now: number, limit: number, resumableUntil: number): Promise<LapsedSession[]>;
}

export interface LiveSession {
  member: Member;
  nodeId: string;
}

export interface LapsedSession {
  member: Member;
  rooms: string[];
}

/** Last known position and a bounded trail per patient. */
export interface Locations {
  /** Keeps `fix` as the last position and appends it to the trail. */
  recordPosition(patientId: string, fix: PositionFix): Promise<void>;
  lastPosition(patientId: string): Promise<PositionFix | null>;
  /** Trail entries with `ts >= since`, oldest first, at most `limit` (the newest ones). */
  trail(patientId: string, since: number, limit: number): Promise<PositionFix[]>;
}

/** A position as the server accepted it: who sent it and when (server time, ms). */
export interface PositionFix {
  position: Position;
  from: Sender;
  ts: number;
}

/**
 * What a session needs to resume on any node after a disconnect: its secret, subscriptions,
 * the frames it was last delivered (numbered), and frames parked for it while no node had it.
 *
 * Ownership is fenced by `epoch`: `openSession` and `resume` each return a new, higher epoch,
 * and writes carrying an older epoch are ignored, so a node still holding a half-dead
 * connection cannot corrupt a session that has moved on.
 */
export interface ResumeLog {
  /** Creates or replaces the session's resume record; returns its epoch. */
  openSession(record: ResumeRecord): Promise<number>;
  /** Replaces the session's subscriptions. */
  saveSubscriptions(sessionId: string, epoch: number, subscriptions: readonly string[]): Promise<void>;
  /**
   * Appends delivered frames (JSON text, numbered by `seq`) to each listed session's log, keeping
   * its newest `maxFrames`; each session's entry is fenced by its own epoch. One call for many
   * sessions, so a node writes what it delivered in one round trip.
   */
  logDeliveries(batch: readonly SessionFrames[]): Promise<void>;
  /**
   * The session's connection is gone: it stays resumable while `now < resumableUntil`, then is
   * forgotten. `resumableUntil: null` forgets it now (a clean close).
   */
  detachSession(sessionId: string, epoch: number, resumableUntil: number | null): Promise<void>;
  /**
   * For a direct message no node could route: appends `frame` to every detached, still resumable
   * session of `userId` (`parked`), and counts its attached resumable sessions (`attached`: their
   * node may be binding the channel right now, or may have died without detaching them yet).
   */
  park(userId: string, frame: string, now: number): Promise<{ parked: number; attached: number }>;
  /**
   * Takes the session over: checks `secret` and `userId`, attaches it with a new epoch, and
   * returns what the client missed (logged frames with `seq > lastSeq`, oldest first, then the
   * parked frames, which it clears). `null` when unknown, expired or not this user's.
   */
  resume(request: ResumeRequest, now: number): Promise<ResumedSession | null>;
}

export interface ResumeRecord {
  member: Member;
  /** secret the client must present to resume (part of its resume token) */
  secret: string;
  subscriptions: readonly string[];
  /** how long the record lives while attached, ms; a bound in case no node ever detaches it */
  attachedTtlMs: number;
  /** at most this many logged or parked frames are kept */
  maxFrames: number;
}

export interface LoggedFrame {
  seq: number;
  frame: string;
}

/** Frames delivered to one session, for `logDeliveries`. */
export interface SessionFrames {
  sessionId: string;
  epoch: number;
  frames: readonly LoggedFrame[];
}

export interface ResumeRequest {
  sessionId: string;
  secret: string;
  userId: string;
  lastSeq: number;
}

export interface ResumedSession {
  epoch: number;
  member: Member;
  subscriptions: string[];
  /** logged frames after `lastSeq`, oldest first */
  missed: LoggedFrame[];
  /** highest seq ever logged for the session (0 if none) */
  lastLoggedSeq: number;
  /** frames parked while detached, oldest first, not yet numbered */
  parked: string[];
  /** false when the log was trimmed past `lastSeq + 1`: frames the client never got are gone */
  complete: boolean;
}

export type StoreState = 'connecting' | 'up' | 'down' | 'closed';

export class StoreError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
  }
}
