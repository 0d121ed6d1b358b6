import { z } from 'zod';
import { ChannelName } from './channels.ts';
import { ERROR_CODE_LIST, type ErrorCode } from './error-codes.ts';
import { Position } from './position.ts';
import { SignalBody } from './signal.ts';

/** Who sent a relayed message. Always stamped by the server from the sender's verified token. */
export const Sender = z.strictObject({
  userId: z.string(),
  role: z.string(),
  /** the sending connection's session, so a reply can tell devices apart */
  sessionId: z.string(),
});
export type Sender = z.infer<typeof Sender>;

export const Member = Sender;
export type Member = Sender;

export const Limits = z.strictObject({
  maxFrameBytes: z.number().int(),
  ratePerSecond: z.number(),
  rateBurst: z.number().int(),
  maxSubscriptions: z.number().int(),
});

/** First frame on every connection, sent once `user:<id>` is live. */
export const Welcome = z.strictObject({
  type: z.literal('welcome'),
  sessionId: z.string(),
  nodeId: z.string(),
  user: z.strictObject({ id: z.string(), role: z.string() }),
  /** channels this connection is already subscribed to (its own `user:<id>`) */
  subscriptions: z.array(ChannelName),
  /** how often the server pings; a client may treat 2x this without traffic as a dead link */
  heartbeatMs: z.number().int(),
  limits: Limits,
});

export const SubscribeResult = z.strictObject({
  channel: ChannelName,
  /** room channels: everyone in the room now, on any node, this connection included */
  members: z.array(Member).optional(),
  /** location channels: the last known position, or null if none is known */
  last: z
    .strictObject({ position: Position, from: Sender, ts: z.number() })
    .nullable()
    .optional(),
});
export type SubscribeResult = z.infer<typeof SubscribeResult>;

export const PingResult = z.strictObject({ ts: z.number() });

export const Ack = z.strictObject({
  type: z.literal('ack'),
  id: z.string(),
  result: z.union([SubscribeResult, PingResult]).optional(),
});

export const ErrorFrame = z.strictObject({
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

export const SignalDelivery = z.strictObject({
  type: z.literal('signal'),
  ...delivered,
  callId: z.string(),
  signal: SignalBody,
});

export const LocationDelivery = z.strictObject({
  type: z.literal('location'),
  ...delivered,
  position: Position,
});

/** Room membership changes; `from` is the member who joined or left. */
export const PresenceDelivery = z.strictObject({
  type: z.literal('presence'),
  ...delivered,
  event: z.enum(['joined', 'left']),
});

export const ServerMessage = z.discriminatedUnion('type', [
  Welcome,
  Ack,
  ErrorFrame,
  SignalDelivery,
  LocationDelivery,
  PresenceDelivery,
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
export type ServerMessageType = ServerMessage['type'];
export type Welcome = z.infer<typeof Welcome>;
export type Ack = z.infer<typeof Ack>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type SignalDelivery = z.infer<typeof SignalDelivery>;
export type LocationDelivery = z.infer<typeof LocationDelivery>;
export type PresenceDelivery = z.infer<typeof PresenceDelivery>;

/** A relayed message as it travels the bus, before the receiving node numbers it. */
export type Delivery = SignalDelivery | LocationDelivery | PresenceDelivery;
export type UnnumberedDelivery = DistributiveOmit<Delivery, 'seq'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export const UnnumberedDelivery = z.discriminatedUnion('type', [
  SignalDelivery.omit({ seq: true }),
  LocationDelivery.omit({ seq: true }),
  PresenceDelivery.omit({ seq: true }),
]);
