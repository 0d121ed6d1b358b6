import { z } from 'zod';
import { CallEndReason, CallEvent, CallKind, CallMedia, CallRecordView, CallState, TurnCredentials } from './calls.ts';
import { ChannelName } from './channels.ts';
import { ERROR_CODE_LIST, type ErrorCode } from './error-codes.ts';
import { Position } from './position.ts';
import { SignalBody } from './signal.ts';

/*
 * Server frames are parsed leniently (unknown fields are dropped, not errors) so that the server
 * can add optional fields without breaking clients already deployed. Clients must also ignore
 * frame types they do not know. Client frames, in client-messages.ts, are strict.
 */

/** Who sent a relayed message. Always stamped by the server from the sender's verified token. */
export const Sender = z.object({
  userId: z.string(),
  role: z.string(),
  /** the sending connection's session, so a reply can tell devices apart */
  sessionId: z.string(),
});
export type Sender = z.infer<typeof Sender>;

export const Member = Sender;

/** A position as the server accepted it: who sent it and the server time it was accepted. */
export const PositionFix = z.object({ position: Position, from: Sender, ts: z.number() });
export type Member = Sender;

export const Limits = z.object({
  maxFrameBytes: z.number().int(),
  ratePerSecond: z.number(),
  rateBurst: z.number().int(),
  maxSubscriptions: z.number().int(),
});

/** First frame on every connection, sent once `user:<id>` is live. */
export const Welcome = z.object({
  type: z.literal('welcome'),
  sessionId: z.string(),
  nodeId: z.string(),
  user: z.object({ id: z.string(), role: z.string() }),
  /** channels this connection is already subscribed to (its own `user:<id>`) */
  subscriptions: z.array(ChannelName),
  /** how often the server pings; a client may treat 2x this without traffic as a dead link */
  heartbeatMs: z.number().int(),
  /** a `stale` event is sent to location watchers after this long without a position, ms */
  staleAfterMs: z.number().int(),
  limits: Limits,
  /**
   * How to resume this session after a disconnect: reconnect, to any node, with
   * `resume=<token>&lastSeq=<seq of the last frame received>`. Null when shared state is down.
   */
  resume: z.object({ token: z.string(), windowMs: z.number().int() }).nullable(),
  /** present only when the client asked to resume: what happened */
  resumed: z
    .discriminatedUnion('ok', [
      /** the missed frames (`replayed` of them) follow at once, in order, before live traffic */
      z.object({ ok: z.literal(true), replayed: z.number().int() }),
      /** a new session: resubscribe and re-sync (UNKNOWN: no such session, or expired; INCOMPLETE: frames were lost; UNAVAILABLE: shared state is down) */
      z.object({ ok: z.literal(false), reason: z.enum(['UNKNOWN', 'INCOMPLETE', 'UNAVAILABLE']) }),
    ])
    .optional(),
  /** TURN credentials for this user when the node has a TURN server configured (`turn` renews them) */
  turn: TurnCredentials.optional(),
});

export const SubscribeResult = z.object({
  channel: ChannelName,
  /** room channels: everyone in the room now, on any node, this connection included */
  members: z.array(Member).optional(),
  /** location channels: the last known position, or null if none is known */
  last: PositionFix.nullable().optional(),
});
export type SubscribeResult = z.infer<typeof SubscribeResult>;

export const PingResult = z.object({ ts: z.number() });

export const HistoryResult = z.object({ channel: ChannelName, positions: z.array(PositionFix) });

export const LookupResult = z.object({
  userId: z.string(),
  online: z.boolean(),
  /** live sessions (devices) of the user */
  sessions: z.number().int(),
});

/**
 * A direct signal whose recipient has no live session but a resumable one: it is kept for that
 * session and delivered when it resumes within the resume window.
 */
export const QueuedResult = z.object({ queued: z.literal(true) });

/** The answer to `invite`, `sos`, `accept`, `reject`, `cancel` and `hangup`: where the call is now. */
export const CallResult = z.object({
  callId: z.string(),
  state: CallState,
  /** who rings now (the callee, or for a circle call the caregiver whose turn it is) */
  to: z.string().optional(),
  /** ringing: when the current ring ends, server time ms */
  ringUntil: z.number().optional(),
  /** invite: live devices of the callee the invite was sent to (0: asleep; the wake-up webhook was called) */
  devices: z.number().int().optional(),
  /** invite: the operator's webhook was asked to wake the callee's devices */
  woken: z.boolean().optional(),
  /** invite: the callee was calling this user at the same moment; this invite accepted that call (`callId` is its id) */
  glare: z.boolean().optional(),
  /** ended: why */
  reason: CallEndReason.optional(),
  /** sos: the alert raised for the care circle */
  alertId: z.string().optional(),
});

export const CallsResult = z.object({
  calls: z.array(CallRecordView),
  /** pass as `before` for the next (older) page; null at the end */
  next: z.string().nullable(),
});

export const Ack = z.object({
  type: z.literal('ack'),
  id: z.string(),
  // most specific first: a lenient subscribe result would also match (and strip) a history result
  result: z.union([HistoryResult, CallsResult, TurnCredentials, CallResult, LookupResult, QueuedResult, PingResult, SubscribeResult]).optional(),
});

export const ErrorFrame = z.object({
  type: z.literal('error'),
  /** the request's id; null when the frame could not be read far enough to find one */
  id: z.string().nullable(),
  code: z.enum(ERROR_CODE_LIST as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  retryable: z.boolean(),
  /** machine-readable specifics, e.g. the schema issues or `retryAfterMs` */
  details: z.record(z.string(), z.unknown()).optional(),
});

/** Fields common to every relayed message. `seq` counts up by one per message delivered to this session. */
const delivered = {
  seq: z.number().int().positive(),
  channel: ChannelName,
  from: Sender,
  /** server time the message was accepted, ms since the Unix epoch */
  ts: z.number(),
};

export const SignalDelivery = z.object({
  type: z.literal('signal'),
  ...delivered,
  callId: z.string(),
  signal: SignalBody,
});

export const LocationDelivery = z.object({
  type: z.literal('location'),
  ...delivered,
  position: Position,
});

/** Room membership changes; `from` is the member who joined or left. */
export const PresenceDelivery = z.object({
  type: z.literal('presence'),
  ...delivered,
  event: z.enum(['joined', 'left']),
});

/**
 * No position from the patient for `staleAfterMs` (see welcome). Sent once
 * per silence by the watcher's node; the next `location` ends it. `lastTs` is the server time of
 * the last position, null if none is known.
 */
export const StaleDelivery = z.object({
  type: z.literal('stale'),
  seq: delivered.seq,
  channel: ChannelName,
  patientId: z.string(),
  lastTs: z.number().nullable(),
  ts: z.number(),
});

/**
 * A change of a server-side call, on `user:<id>` of each party (section 15). `from` is the
 * session whose request caused it; absent when the server made it (a ring timeout, an
 * escalation). The call's own fields are repeated on every event, so a device that sees only
 * one (a late `ended`) still knows the call.
 */
export const CallDelivery = z.object({
  type: z.literal('call'),
  seq: delivered.seq,
  channel: ChannelName,
  from: Sender.optional(),
  ts: z.number(),
  callId: z.string(),
  event: CallEvent,
  kind: CallKind,
  media: CallMedia,
  /** the caller's session */
  caller: Sender,
  /** who rings (for a circle call: the caregiver whose turn it is) */
  callee: z.string(),
  /** invite, escalated: when this ring ends, server time ms */
  ringUntil: z.number().optional(),
  /** accepted, answered_elsewhere: the callee's session that accepted */
  answeredBy: Sender.optional(),
  /** ended: why it ended; escalated: why it left the callee before (`missed` or `declined`) */
  reason: CallEndReason.optional(),
  /** ended: ms from accepted to ended (0 if never accepted) */
  durationMs: z.number().optional(),
});

/**
 * An alert for a patient's care circle: today an SOS, raised by the default alert sink (see
 * src/calls/alert-sink.ts); acknowledged alerts with an audit trail come with issue 13.
 */
export const AlertDelivery = z.object({
  type: z.literal('alert'),
  seq: delivered.seq,
  channel: ChannelName,
  from: Sender,
  ts: z.number(),
  alertId: z.string(),
  kind: z.enum(['sos']),
  patientId: z.string(),
  /** the SOS call ringing the circle */
  callId: z.string(),
});

export const ServerMessage = z.discriminatedUnion('type', [
  Welcome,
  Ack,
  ErrorFrame,
  SignalDelivery,
  LocationDelivery,
  PresenceDelivery,
  StaleDelivery,
  CallDelivery,
  AlertDelivery,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageType = ServerMessage['type'];
export type Welcome = z.infer<typeof Welcome>;
export type Ack = z.infer<typeof Ack>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type SignalDelivery = z.infer<typeof SignalDelivery>;
export type LocationDelivery = z.infer<typeof LocationDelivery>;
export type PresenceDelivery = z.infer<typeof PresenceDelivery>;
export type StaleDelivery = z.infer<typeof StaleDelivery>;
export type CallDelivery = z.infer<typeof CallDelivery>;
export type AlertDelivery = z.infer<typeof AlertDelivery>;
export type CallResult = z.infer<typeof CallResult>;
export type CallsResult = z.infer<typeof CallsResult>;

/** A relayed message as it travels the bus, before the receiving node numbers it. */
export type Delivery = SignalDelivery | LocationDelivery | PresenceDelivery | CallDelivery | AlertDelivery;
/** Anything numbered and delivered to a session: relayed messages and node-made events. */
export type SessionDelivery = DistributiveOmit<Delivery | StaleDelivery, 'seq'>;
export type UnnumberedDelivery = DistributiveOmit<Delivery, 'seq'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export const UnnumberedDelivery = z.discriminatedUnion('type', [
  SignalDelivery.omit({ seq: true }),
  LocationDelivery.omit({ seq: true }),
  PresenceDelivery.omit({ seq: true }),
  CallDelivery.omit({ seq: true }),
  AlertDelivery.omit({ seq: true }),
]);
