/**
 * @tether/client: the Tether SDK. Start with `connect()`; see README.md.
 * Everything exported here is public API; modules not re-exported are internal.
 */
export { connect } from './connect.ts';
export { type CallRequestInput, type PositionFix, TetherClient, type SignalInput } from './client.ts';
export type { ConnectOptions, UrlSource } from './options.ts';
export type { Channel, ConnectionState, SignalTarget, StateChange, SubscribedEvent, TetherEvents } from './events.ts';
export type { Listener } from './emitter.ts';
export { type FullJitterOptions, type ReconnectPolicy, fullJitterBackoff } from './backoff.ts';
export type { Timers, WebSocketConstructor, WebSocketLike } from './platform.ts';
export {
  CallEndedError,
  ConnectionClosedError,
  InvalidRequestError,
  OfflineQueueFullError,
  ProtocolError,
  RequestError,
  type RequestSummary,
  type SdkErrorCode,
  SubscriptionLostError,
  TetherError,
  type TetherErrorCode,
  TimeoutError,
} from './errors.ts';
export { type LocationFix, type LocationWatch, watchLocation } from './location-watch.ts';
export { LocationPublisher, type LocationPublisherOptions } from './location-publisher.ts';
export { type AlertChange, type AlertWatch, type AlertWatchListener, isNewerAlert, watchAlerts } from './alert-watch.ts';
export { DeviceReporter, type DeviceReporterOptions } from './device-reporter.ts';
export type { ZoneDraft } from './client.ts';
export type { AckResult } from './pending-request.ts';
export { CallSession } from './call-session.ts';
export type { CallEnd, CallEndReason, CallEscalation, CallOptions, CallSessionEvents, CallSignaling, CallState, CallStateChange } from './call-types.ts';
export { type IncomingCallOptions, onIncomingCall } from './incoming-calls.ts';
export { type MissedCall, onMissedCall } from './missed-calls.ts';
export type { NegotiationSignal } from './negotiator.ts';
export type {
  IceCandidateEventLike,
  IceCandidateLike,
  PeerConnectionConstructor,
  PeerConnectionLike,
  SessionDescriptionLike,
} from './peer-connection.ts';
// the wire protocol, shared with the server
export {
  CLOSE_CODES,
  ERROR_CODES,
  type CallDelivery,
  type CallRecordView,
  type CallResult,
  type CallsResult,
  type ErrorCode,
  type TurnCredentials,
  type LocationDelivery,
  type Member,
  type Position,
  type PresenceDelivery,
  type Sender,
  type SignalBody,
  type SignalDelivery,
  type SignalKind,
  type StaleDelivery,
  type SubscribeResult,
  type Welcome,
  shouldReconnect,
  type AlertDelivery,
  type AlertEvent,
  type AlertReason,
  type AlertView,
  type DeviceState,
  type ReportDelivery,
  type ReportRequest,
  type StatusDelivery,
  type StatusReason,
  type TrackingHealth,
  type TrackingStatus,
  type ZoneDelivery,
  type ZoneInput,
  type ZoneView,
} from '../../src/protocol/index.ts';
export { alertsChannel, locationChannel, roomChannel, userChannel } from './channels.ts';
