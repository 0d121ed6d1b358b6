import type {
  AlertDelivery,
  CallDelivery,
  ChannelKind,
  LocationDelivery,
  PresenceDelivery,
  SignalDelivery,
  StaleDelivery,
  SubscribeResult,
  TurnCredentials,
  Welcome,
} from '../../src/protocol/index.ts';
import type { TetherError } from './errors.ts';

/** A channel name, `user:<id>`, `room:<id>` or `location:<patientId>` (validated when sent). */
export type Channel = `${ChannelKind}:${string}`;
/** Where a signal may go: a user (every device) or a room this client has joined. */
export type SignalTarget = `${Exclude<ChannelKind, 'location'>}:${string}`;

/**
 * - connecting: the first attempt, before the first `welcome`
 * - open: `welcome` received; requests are sent
 * - reconnecting: the connection was lost (or an attempt failed) and another attempt is
 *   scheduled; requests made now wait in the offline queue
 * - closed: for good (the app called `close()`, a terminal close code, a refused upgrade, or
 *   the reconnect policy gave up); every pending request was rejected
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * A `state` event: sent on every transition, and again on every failed reconnect attempt
 * (`reconnecting` to `reconnecting`, with the next `attempt` and `delayMs`).
 */
export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** the WebSocket close code that caused the change, if a close did */
  closeCode?: number;
  /** the close reason or the SDK's own explanation */
  reason?: string;
  /** HTTP status of a refused upgrade, where the WebSocket implementation exposes it (`ws` does, browsers do not) */
  httpStatus?: number;
  /** closed: why, as the error pending requests were rejected with */
  error?: TetherError;
  /** reconnecting: the reconnect attempt about to be made, 0 for the first after a drop */
  attempt?: number;
  /** reconnecting: ms until that attempt */
  delayMs?: number;
}

/**
 * A subscription became live on the current connection: the app's own `subscribe()` was
 * acknowledged (`resubscribed: false`), or the SDK re-subscribed after a reconnect
 * (`resubscribed: true`; `result` then carries the fresh roster or last position).
 */
export interface SubscribedEvent {
  channel: string;
  result: SubscribeResult;
  resubscribed: boolean;
}

/** The events of a `TetherClient`, for `client.on(event, listener)`. */
export interface TetherEvents {
  state: StateChange;
  /** each connection's first frame: session id, node, limits (after re-subscribing began) */
  welcome: Welcome;
  /** a relayed signal (call control, offer, answer, ICE) on a user or room channel */
  signal: SignalDelivery;
  /** a patient's position on a `location:` channel this client subscribed */
  location: LocationDelivery;
  /** a member joined or left a room this client is in */
  presence: PresenceDelivery;
  /** a watched patient sent no position for the welcome's `staleAfterMs`; the next `location` ends it */
  stale: StaleDelivery;
  subscribed: SubscribedEvent;
  /** a change of a server-side call you are part of (invite, accepted, answered_elsewhere, escalated, ended); CallSession and onIncomingCall use it */
  call: CallDelivery;
  /** an alert for a patient in your care circle (today: an SOS) */
  alert: AlertDelivery;
  /** fresh TURN credentials: from a `welcome`, or renewed before those expire */
  turn: TurnCredentials;
  /**
   * Errors nobody awaits: connection-level `error` frames (id null) as RequestError, a
   * SubscriptionLostError after a failed re-subscribe, a ProtocolError for an unreadable
   * server frame, a TetherError TOKEN_UNAVAILABLE when `getToken()` failed.
   */
  error: TetherError;
}
