import type { Member, Position, Sender } from '../protocol/index.ts';
import type { DirectInbox } from './direct-inbox.ts';
import type { SessionRecords } from './session-records.ts';

export type * from './direct-inbox.ts';
export type * from './session-records.ts';

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
export interface Store extends Rosters, Presence, Locations, SessionRecords, DirectInbox {
  readonly state: StoreState;
  start(): Promise<void>;
  onState(listener: (state: StoreState) => void): void;
  close(): Promise<void>;
}

/** Who is in which room. A roster lists each session once, and only sessions that are live. */
export interface Rosters {
  /**
   * Adds `member` to the room and returns everyone live in it now: the joiner is included when it
   * is live (the core always touches a session before it joins rooms). Null, changing nothing,
   * when `epoch` is fenced (see `leaveRoom`): a stale connection adds nothing for the session.
   */
  joinRoom(room: string, member: Member, now: number, epoch: number | null): Promise<Member[] | null>;
  /**
   * Removes the session from the room (a no-op if it is not there) and resolves true; resolves
   * false, changing nothing, when `epoch` is fenced: the session was resumed on another
   * connection since (its record has another epoch, or was forgotten on purpose), and the caller
   * is a stale connection that must not take the resumed session out of its rooms. `epoch` null
   * (a session the store never registered) is never fenced.
   */
  leaveRoom(room: string, sessionId: string, epoch: number | null): Promise<boolean>;
  roomMembers(room: string, now: number): Promise<Member[]>;
}

/**
 * Which sessions are live, cluster-wide. A node keeps its sessions live with `touchSessions`
 * heartbeats and ends them with `endSession` (SessionRecords); a session whose node dies stops
 * being live when its deadline passes, and `claimLapsed` then hands it (once, to one caller) for
 * cleanup.
 */
export interface Presence {
  /** Marks each session live until `until`; creates it on first sight. */
  touchSessions(sessions: readonly LiveSession[], until: number): Promise<void>;
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

export type StoreState = 'connecting' | 'up' | 'down' | 'closed';

export class StoreError extends Error {
  readonly code = 'UNAVAILABLE';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
  }
}
