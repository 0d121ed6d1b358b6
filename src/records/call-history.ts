import type { CallEndReason, CallKind, CallMedia } from '../protocol/index.ts';

/**
 * The calls each user was part of: missed, answered and declined, with who, when, how long and
 * why it ended. One entry per user per call: the caller's and the callee's views of a call are
 * two entries; a circle call that rang several caregivers has one entry per caregiver it rang.
 *
 * Contract (every adapter passes test/contract/call-history-contract.ts):
 * - `recordCalls` keeps every entry of the batch, atomically; an entry for a (userId, callId)
 *   already kept replaces it (so a writer may retry a batch it is unsure about).
 * - `listCalls` returns a user's entries newest first, ordered by (startedAt, callId) descending,
 *   at most `limit`, only those strictly before `before` when given: paging by the last entry of
 *   the previous page never skips or repeats an entry, even for entries written meanwhile.
 * - `pruneCalls` forgets entries that ended before `endedBefore` (the retention) and says how many.
 * - Times are ms since the Unix epoch, from the caller's clock; values come back as written.
 * - When the backend is unreachable every call rejects with `RecordsError`.
 */
export interface CallHistory {
  recordCalls(entries: readonly CallHistoryEntry[]): Promise<void>;
  listCalls(userId: string, page: CallHistoryPage): Promise<CallHistoryEntry[]>;
  pruneCalls(endedBefore: number): Promise<number>;
}

export interface CallHistoryEntry {
  /** whose history this entry is in */
  userId: string;
  callId: string;
  /** the other party */
  peerId: string;
  direction: 'incoming' | 'outgoing';
  media: CallMedia;
  kind: CallKind;
  /** when the call started ringing (for an escalated circle call: when it started ringing this callee) */
  startedAt: number;
  /** when it was accepted; null if never */
  answeredAt: number | null;
  endedAt: number;
  reason: CallEndReason;
  /** this callee did not answer in time and the call moved on to the next in the care circle */
  escalated: boolean;
}

export interface CallHistoryPage {
  /** entries strictly before this one, in (startedAt, callId) order; null for the newest */
  before: CallHistoryCursor | null;
  limit: number;
}

export interface CallHistoryCursor {
  startedAt: number;
  callId: string;
}
