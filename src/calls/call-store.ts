import type { CallEndReason, CallKind, CallMedia, CallState, Sender } from '../protocol/index.ts';

/**
 * Where every call is, cluster-wide: the state machine of src/calls/call-rules.ts, kept so that
 * any node can act on any call, and decided atomically there, so that two nodes acting on one call
 * at once (two devices accepting, an accept racing the ring timeout) see one winner.
 *
 * Contract (every implementation passes test/contract/call-store-contract.ts):
 * - Each operation is atomic over the whole store: two racing transitions of one call never both
 *   succeed; the loser is told what happened (`answered`, `ended`).
 * - `create` makes a ringing call, or reports that its id is taken, that it is a retry of a call
 *   already made (`exists`: same id, caller and callee), or glare: the callee is at this moment
 *   ringing a call to the caller; that call is then accepted by the creating session, and no
 *   new call is made.
 * - `due` hands every deadline that passed to exactly one caller, once: a ring that timed out
 *   (missed, or escalated to the next of a circle), an accepted call past its longest duration
 *   (expired). Whichever node asks first gets it; a node that died mid-ring leaves nothing stuck.
 * - `ringingFor` lists the calls ringing a user now, for a device that has just connected.
 * - An ended call is kept for `keepMs` after it ended, then forgotten (CALL_NOT_FOUND after).
 *   Everything kept is bounded in time; times are ms from the caller's clock.
 * - When the backend is unreachable every call rejects with `StoreError`.
 */
export interface CallStore {
  create(call: NewCall, now: number): Promise<Created>;
  accept(callId: string, by: Sender, now: number): Promise<Transition>;
  /** the callee declines (on any device); a circle call moves on to the next caregiver */
  reject(callId: string, userId: string, now: number): Promise<Transition>;
  /** the caller gives up while it rings */
  cancel(callId: string, userId: string, now: number): Promise<Transition>;
  /** either party ends it: an accepted call completes; a ringing one is cancelled (caller) or declined (callee) */
  hangup(callId: string, userId: string, now: number): Promise<Transition>;
  /** the wake-up webhook was called for the current callee (so its end is announced too) */
  markWoken(callId: string, callee: string): Promise<void>;
  /** deadlines that passed by `now`, at most `limit`, each handed out once */
  due(now: number, limit: number): Promise<Change[]>;
  ringingFor(userId: string, now: number): Promise<CallRecord[]>;
  /**
   * Optional, for a store that can tell without I/O (memory): false when certainly no call rings
   * `userId`, so a device that connects costs no read. Absent: ask `ringingFor`.
   */
  mayRing?(userId: string): boolean;
  get(callId: string): Promise<CallRecord | null>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A call as the store keeps it. */
export interface CallRecord {
  callId: string;
  kind: CallKind;
  media: CallMedia;
  caller: Sender;
  /** who rings now: the callee, or for a circle call the caregiver whose turn it is */
  callee: string;
  /** circle calls: who rings after `callee`, in order */
  next: string[];
  state: CallState;
  /** the call began ringing */
  createdAt: number;
  /** the current callee's ring began */
  ringStartedAt: number;
  /** ringing: when the current ring ends */
  ringUntil: number;
  /** how long each later step of a circle call rings */
  stepMs: number;
  /** accepted calls end as `expired` this long after the accept */
  maxMs: number;
  /** how long an ended call is kept (late requests get CALL_ENDED, not CALL_NOT_FOUND) */
  keepMs: number;
  answeredBy: Sender | null;
  answeredAt: number | null;
  endedAt: number | null;
  reason: CallEndReason | null;
  /** the wake-up webhook was called for the current callee */
  woken: boolean;
  /** sos: the alert raised for the circle */
  alertId: string | null;
}

export interface NewCall {
  callId: string;
  kind: CallKind;
  media: CallMedia;
  caller: Sender;
  /** the callees in ring order: one for a direct call, the circle for a circle call */
  callees: string[];
  /** how long the first callee rings */
  ringMs: number;
  /** how long each later callee rings */
  stepMs: number;
  maxMs: number;
  keepMs: number;
  alertId: string | null;
}

export type Created =
  | { kind: 'created'; call: CallRecord }
  | { kind: 'exists'; call: CallRecord }
  | { kind: 'taken' }
  /** the other call, now accepted by the creator */
  | { kind: 'glare'; call: CallRecord };

/** A call changed: `call` as it is now. */
export type Change =
  | { kind: 'accepted'; call: CallRecord }
  | { kind: 'ended'; call: CallRecord }
  /** a circle call moved on: `left` is the callee it stopped ringing, and why */
  | { kind: 'escalated'; call: CallRecord; left: LeftCallee };

export interface LeftCallee {
  callee: string;
  ringStartedAt: number;
  /** its ring began from the wake-up webhook */
  woken: boolean;
  reason: 'missed' | 'declined';
}

/** The outcome of a request on a call: the change it made, or why it made none. */
export type Transition =
  | Change
  | { kind: 'not_found' }
  /** the user is not the party the request needs (not the callee for an accept, ...) */
  | { kind: 'forbidden' }
  | { kind: 'already_ended'; call: CallRecord }
  | { kind: 'already_answered'; call: CallRecord };
