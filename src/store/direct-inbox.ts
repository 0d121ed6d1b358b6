import type { PendingFrame } from './session-records.ts';

/**
 * Direct messages owed to sessions (see `SessionRecords`). A node writes a direct message here
 * before it publishes it, so whatever happens to the publish afterwards (a dead node's queue, a
 * recipient that is reconnecting) the message stays owed to every resumable session of the
 * recipient until one of its frames carrying the offset is logged for that session.
 */
export interface DirectInbox {
  /**
   * For each message, atomically: if the sender's session is held at another epoch, or was
   * forgotten (see `LogOutcome`), keeps nothing (`fenced`: the sender's connection is stale).
   * Otherwise, if the sender's session already sent `requestId`, reports the
   * offset it got (`duplicate`) and marks it sent again; otherwise gives the message the user's
   * next offset (increasing, never reused), keeps it pending for every resumable session of the
   * user but the sender's own, and remembers the request in the sender's journal (`kept`). With
   * no resumable session it keeps nothing and says whether the user is live anyway (`live-only`,
   * e.g. a session opened while the Store was down: it still gets an offset and is journaled, so
   * a retry is recognized) or has no session at all (`nobody`: nothing is recorded). The outcome array matches `batch`.
   */
  appendDirect(batch: readonly DirectMessage[], now: number): Promise<DirectOutcome[]>;
  /**
   * The publish failed and its sender is being told: the message is no longer owed to anyone and
   * the request is forgotten. Unless, meanwhile, the request was sent again (a retry on another
   * connection owns it now) or the message was handed to a session to deliver (`pendingFor`,
   * `SessionRecords.takeOver`): then nothing changes, and a retry is recognized as a copy.
   */
  voidDirect(message: Pick<DirectMessage, 'userId' | 'senderSessionId' | 'requestId'>, offset: number): Promise<void>;
  /**
   * The messages still pending for each session, oldest first; `fenced` or `missing` (as in
   * `LogOutcome`) for a session not held at that epoch. What it returns counts as handed out
   * (see `voidDirect`).
   */
  pendingFor(sessions: readonly HeldSession[]): Promise<Array<PendingFrame[] | 'fenced' | 'missing'>>;
}

export interface DirectMessage {
  userId: string;
  /** JSON text of the unnumbered delivery */
  frame: string;
  senderSessionId: string;
  /** the sender's epoch; null when its session has no record (opened while the Store was down) */
  senderEpoch: number | null;
  requestId: string;
}

export type DirectOutcome =
  | { kind: 'kept'; offset: number; sessions: number }
  | { kind: 'duplicate'; offset: number }
  | { kind: 'live-only'; offset: number }
  | { kind: 'nobody' }
  | { kind: 'fenced' };

export interface HeldSession {
  sessionId: string;
  epoch: number;
}
