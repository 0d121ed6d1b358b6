import { z } from 'zod';
import { ChannelName, Id, SignalTarget } from './channels.ts';
import { Position } from './position.ts';
import { SignalBody } from './signal.ts';
// --- safety (issue 13)
import { AlertAck, AlertsList, DeviceReport, ZoneDelete, ZonePut, ZonesList } from './safety.ts';

/**
 * Frames a client sends. Every one is a request with an `id` that the client chooses, unique
 * among its recent requests; the server answers each with exactly one `ack` or `error` carrying
 * the same id. Sending the same id again returns the first answer without acting twice.
 */
export const RequestId = z.string().min(1).max(64);

export const Subscribe = z.strictObject({
  type: z.literal('subscribe'),
  id: RequestId,
  channel: ChannelName,
});

export const Unsubscribe = z.strictObject({
  type: z.literal('unsubscribe'),
  id: RequestId,
  channel: ChannelName,
});

/** Relays `signal` to a user (every device) or into a room the sender has joined. */
export const SendSignal = z.strictObject({
  type: z.literal('signal'),
  id: RequestId,
  to: SignalTarget,
  /** the caller's id for this call; groups every message of one call */
  callId: z.string().min(1).max(64),
  signal: SignalBody,
});

/** A patient publishes its own position to `location:<its id>`. */
export const PublishLocation = z.strictObject({
  type: z.literal('location'),
  id: RequestId,
  position: Position,
});

/** Reads a patient's recent positions, oldest first; the same rights as watching the stream. */
export const History = z.strictObject({
  type: z.literal('history'),
  id: RequestId,
  channel: ChannelName.refine((c) => c.startsWith('location:'), 'history is kept for location:<patientId> channels'),
  /** only positions accepted at or after this server time, ms since the Unix epoch */
  since: z.number().int().min(0).default(0),
  /** at most this many, the newest */
  limit: z.number().int().min(1).max(1_000).default(100),
});

/** Asks whether a user has a live session anywhere in the cluster; the same rights as signaling it. */
export const Lookup = z.strictObject({
  type: z.literal('lookup'),
  id: RequestId,
  userId: Id,
});

/** Application-level liveness check; browsers cannot send WebSocket pings. */
export const Ping = z.strictObject({
  type: z.literal('ping'),
  id: RequestId,
});

export const ClientMessage = z.discriminatedUnion('type', [
  Subscribe, Unsubscribe, SendSignal, PublishLocation, History, Lookup, Ping,
  // --- safety (issue 13)
  ZonePut, ZoneDelete, ZonesList, AlertAck, AlertsList, DeviceReport,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
/** What a client may send: fields with defaults (history's `since`, `limit`) may be left out. */
export type ClientMessageInput = z.input<typeof ClientMessage>;
export type ClientMessageType = ClientMessage['type'];
export const CLIENT_MESSAGE_TYPES = ClientMessage.options.map((o) => o.shape.type.value) as ClientMessageType[];
