import type { Welcome } from '../../src/protocol/index.ts';
import type { SignalInput } from './client.ts';
import type { Listener } from './emitter.ts';
import type { TetherEvents, SignalTarget } from './events.ts';
import type { PeerConnectionConstructor, PeerConnectionLike } from './peer-connection.ts';
import type { Timers } from './platform.ts';

/**
 * Where a call is:
 * - idle: an outgoing call not yet invited
 * - inviting: the invite was sent; no device of the peer rings yet
 * - ringing: a device of the peer rings (it sent `ringing`)
 * - incoming: an invite arrived here; this device rings until `accept()` / `reject()`
 * - connecting: accepted; offer, answer and candidates are being exchanged
 * - connected: the peer connection is up (connectionState `connected`)
 * - ended: for good (see `CallEnd`); the peer connection is closed
 */
export type CallState = 'idle' | 'inviting' | 'ringing' | 'incoming' | 'connecting' | 'connected' | 'ended';

/**
 * Why a call ended:
 * - hangup: `hangup()` here, or the peer's `hangup`
 * - rejected: `reject()` here, or the peer's `reject`
 * - timeout: nobody accepted within `ringTimeoutMs`
 * - unavailable: the peer has no session to ring (PEER_UNAVAILABLE), or the invite could not be sent
 */
export type CallEndReason = 'hangup' | 'rejected' | 'timeout' | 'unavailable';

export interface CallEnd {
  reason: CallEndReason;
  /** 'local' when this side ended it, 'remote' when the peer's signal did */
  by: 'local' | 'remote';
  /** the free-text reason carried by a reject or hangup signal, if any */
  message?: string;
  /** the failure behind 'unavailable' */
  error?: unknown;
}

export interface CallStateChange {
  state: CallState;
  previous: CallState;
}

/** The events of a CallSession, for `call.on(event, listener)`. */
export interface CallSessionEvents {
  state: CallStateChange;
  /** once, when the call ends; the state is then 'ended' */
  ended: CallEnd;
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
  on<K extends 'signal' | 'welcome'>(event: K, listener: Listener<TetherEvents[K]>): () => void;
  signal(to: SignalTarget, callId: string, signal: SignalInput): Promise<{ queued: boolean }>;
}

export interface CallOptions<PC extends PeerConnectionLike = PeerConnectionLike> {
  /** the other party's user id; signals go to `user:<peer>` */
  peer: string;
  /** default: a random id (1-64 characters, as the protocol allows) */
  callId?: string;
  /** what the invite asks for (default 'audio'); media itself is the app's (add tracks to `call.pc`) */
  media?: 'audio' | 'video';
  /** default: the global `RTCPeerConnection` */
  RTCPeerConnection?: PeerConnectionConstructor<PC>;
  /** passed to the RTCPeerConnection constructor (ICE servers, ...) */
  configuration?: object;
  /** ms an invite may ring before the call ends with 'timeout' (default 30 000) */
  ringTimeoutMs?: number;
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
