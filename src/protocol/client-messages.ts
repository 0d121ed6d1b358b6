import { z } from 'zod';
import { CallId, CallMedia } from './calls.ts';
import { ChannelName, Id, SignalTarget } from './channels.ts';
import { Position } from './position.ts';
import { SignalBody } from './signal.ts';

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

/**
 * Starts a server-side call (section 15): rings every device of `to`, or, with `circle: true`
 * (patients), the first of the care circle and then the next. Exactly one of `to` and `circle`.
 */
export const Invite = z
  .strictObject({
    type: z.literal('invite'),
    id: RequestId,
    /** default: one the server makes (a UUID) */
    callId: CallId.optional(),
    to: Id.optional(),
    circle: z.literal(true).optional(),
    media: CallMedia.default('audio'),
  })
  .refine((m) => (m.to === undefined) !== (m.circle === undefined), { message: 'give exactly one of `to` and `circle`', path: ['to'] });

/** The callee takes a ringing call on this device; the first accept wins. */
export const Accept = z.strictObject({ type: z.literal('accept'), id: RequestId, callId: CallId });

/** The callee declines a ringing call, on every device. */
export const Reject = z.strictObject({ type: z.literal('reject'), id: RequestId, callId: CallId, reason: z.string().max(200).optional() });

/** The caller gives up a call that still rings. */
export const Cancel = z.strictObject({ type: z.literal('cancel'), id: RequestId, callId: CallId });

/** Either party ends an accepted call. */
export const Hangup = z.strictObject({ type: z.literal('hangup'), id: RequestId, callId: CallId, reason: z.string().max(200).optional() });

/** A patient's emergency: a call to the care circle, escalating, and an alert for its caregivers. */
export const Sos = z.strictObject({ type: z.literal('sos'), id: RequestId, callId: CallId.optional(), media: CallMedia.default('audio') });

/** Reads this user's call history, newest first; `before` is the `next` of the previous page. */
export const Calls = z.strictObject({
  type: z.literal('calls'),
  id: RequestId,
  before: z.string().max(200).optional(),
  limit: z.number().int().min(1).max(100).default(50),
});

/** Asks for fresh TURN credentials (those in `welcome.turn` expire). */
export const Turn = z.strictObject({ type: z.literal('turn'), id: RequestId });

export const ClientMessage = z.discriminatedUnion('type', [
  Subscribe,
  Unsubscribe,
  SendSignal,
  PublishLocation,
  History,
  Lookup,
  Ping,
  Invite,
  Accept,
  Reject,
  Cancel,
  Hangup,
  Sos,
  Calls,
  Turn,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
/** What a client may send: fields with defaults (history's `since`, `limit`) may be left out. */
export type ClientMessageInput = z.input<typeof ClientMessage>;
export type ClientMessageType = ClientMessage['type'];
/** The requests the call service answers (src/calls). */
export type CallRequest = Extract<ClientMessage, { type: 'invite' | 'accept' | 'reject' | 'cancel' | 'hangup' | 'sos' | 'calls' | 'turn' }>;
export const CLIENT_MESSAGE_TYPES = ClientMessage.options.map((o) => o.shape.type.value) as ClientMessageType[];
