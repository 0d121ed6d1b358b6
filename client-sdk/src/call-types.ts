import type { CallResult, TurnCredentials, Welcome } from '../../src/protocol/index.ts';
import type { CallRequestInput, SignalInput } from './client.ts';
import type { Listener } from './emitter.ts';
import type { SignalTarget, TetherEvents } from './events.ts';
import type { PeerConnectionConstructor, PeerConnectionLike } from './peer-connection.ts';
import type { Timers } from './platform.ts';

/**
 * Where a call is (the server keeps the call; this follows it):
 * - idle: an outgoing call not yet invited
 * - inviting: the invite is on its way to the server
 * - ringing: the callee's devices ring (or, with none connected, its phone is being woken:
 *   `woken`); a circle call may move on to the next caregiver meanwhile (`escalated` event)
 * - incoming: a call rings this device: ring until `accept()`, `reject()` or the end
 * - connecting: accepted; offer, answer and candidates are being exchanged
 * - connected: the peer connection is up (connectionState `connected`)
 * - ended: for good (see `CallEnd`); the peer connection is closed
 */
export type CallState = 'idle' | 'inviting' | 'ringing' | 'incoming' | 'connecting' | 'connected' | 'ended';

/**
 * Why a call ended:
 * - hangup: it was accepted, then one side hung up
 * - rejected: the callee declined it (on one of its devices)
 * - missed: nobody answered in time (on an incoming call: show a missed call; `escalated` when a
 *   circle call moved on to the next caregiver instead)
 * - cancelled: the caller gave up before anyone answered
 * - answered_elsewhere: another device of this user accepted it: stop ringing
 * - expired: accepted, and nobody hung up within the longest call the server keeps
 * - unavailable: the request that would have started or answered the call failed (`error` says
 *   why), e.g. FORBIDDEN, NO_CARE_CIRCLE, or the connection was closed for good
 */
export type CallEndReason = 'hangup' | 'rejected' | 'missed' | 'cancelled' | 'answered_elsewhere' | 'expired' | 'unavailable';

export interface CallEnd {
  reason: CallEndReason;
  /** 'local' when this device's request (or its own ring deadline) ended it, 'remote' when the server told it */
  by: 'local' | 'remote';
  /** the free-text reason given to reject() or hangup() here */
  message?: string;
  /** the failure behind 'unavailable' */
  error?: unknown;
  /** missed or rejected here, and the circle call went on to the next caregiver */
  escalated?: boolean;
}

export interface CallStateChange {
  state: CallState;
  previous: CallState;
}

/** A circle call or SOS moved on: it rings `to` now, because the previous callee missed or declined. */
export interface CallEscalation {
  to: string;
  reason: 'missed' | 'declined';
}

/** The events of a CallSession, for `call.on(event, listener)`. */
export interface CallSessionEvents {
  /** every change of `state`: ring while it is `incoming` (the callee) or `ringing` (the caller) */
  state: CallStateChange;
  /** once, when the call ends; the state is then 'ended'. A 'missed' incoming call is a missed-call badge */
  ended: CallEnd;
  /** a circle call or SOS rings the next caregiver (caller side) */
  escalated: CallEscalation;
  /** the peer connection's `connectionState` (or ICE state on stacks without it) changed */
  connection: string;
  /**
   * Failures nobody awaits: a signal that could not be relayed (a TetherError), a negotiation
   * step the peer connection refused. The call goes on; the app decides whether to hang up.
   */
  error: unknown;
}

/** What a CallSession needs from the client: a `TetherClient` fits (tests pass a fake). */
export interface CallSignaling {
  /** the current connection's welcome: this side's user and session ids */
  readonly welcome: Welcome | null;
  /** the newest TURN credentials the server handed out, or null */
  readonly turn: TurnCredentials | null;
  on<K extends 'signal' | 'welcome' | 'call' | 'turn'>(event: K, listener: Listener<TetherEvents[K]>): () => void;
  signal(to: SignalTarget, callId: string, signal: SignalInput): Promise<{ queued: boolean }>;
  /** a call request (invite, sos, accept, reject, cancel, hangup); resolves with where the call is */
  call(request: CallRequestInput): Promise<CallResult>;
}

export interface CallOptions<PC extends PeerConnectionLike = PeerConnectionLike> {
  /** the user to call; signals go to `user:<peer>`. Leave out with `circle` or `sos` */
  peer?: string;
  /** ring your care circle (patients), one caregiver after another, until one answers */
  circle?: boolean;
  /** an SOS (patients): ring the care circle like `circle`, and raise an alert for it */
  sos?: boolean;
  /** default: a random id (1-64 of `A-Z a-z 0-9 _ . : @ -`) */
  callId?: string;
  /** what the invite asks for (default 'audio'); media itself is the app's (add tracks to `call.pc`) */
  media?: 'audio' | 'video';
  /** default: the global `RTCPeerConnection` */
  RTCPeerConnection?: PeerConnectionConstructor<PC>;
  /** passed to the RTCPeerConnection constructor (`iceServers`, `iceTransportPolicy`, ...) */
  configuration?: { iceServers?: object[]; [key: string]: unknown };
  /** add the server's TURN credentials (welcome.turn, renewed) to `iceServers` (default true) */
  useServerTurn?: boolean;
  /**
   * Whether this side yields on glare. Default: the side whose user id sorts first is polite
   * (session ids break a tie, a user calling another of their own devices); both sides must agree.
   */
  polite?: boolean;
  /** restart ICE after each reconnect of the client while the call is on (default true) */
  restartIceOnReconnect?: boolean;
  /** default: the global setTimeout / clearTimeout */
  timers?: Timers;
}
