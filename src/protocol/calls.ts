import { z } from 'zod';

/**
 * The vocabulary of server-side calls (docs/protocol.md, section 15), shared by the client
 * requests, the `call` deliveries and the call history.
 */

/** A call id: chosen by the caller (or by the server when left out); 1-64 of `A-Z a-z 0-9 _ . : @ -`. */
export const CallId = z.string().regex(/^[A-Za-z0-9_.:@-]{1,64}$/, 'call ids are 1-64 characters of A-Z a-z 0-9 _ . : @ -');

export const CallMedia = z.enum(['audio', 'video']);
export type CallMedia = z.infer<typeof CallMedia>;

/** `call`: one person called another (or the care circle); `sos`: a patient's emergency call to its care circle. */
export const CallKind = z.enum(['call', 'sos']);
export type CallKind = z.infer<typeof CallKind>;

/** Where a call is: ringing a device of the callee, accepted by one, or over. */
export const CallState = z.enum(['ringing', 'accepted', 'ended']);
export type CallState = z.infer<typeof CallState>;

/**
 * Why a call ended:
 * - missed: nobody accepted within the ring window (for a circle call: nobody in the circle)
 * - declined: the callee rejected it, on one of its devices
 * - cancelled: the caller gave up while it rang
 * - completed: it was accepted, then either side hung up
 * - expired: it was accepted and nobody hung up within the longest call the server keeps
 */
export const CallEndReason = z.enum(['missed', 'declined', 'cancelled', 'completed', 'expired']);
export type CallEndReason = z.infer<typeof CallEndReason>;
export const CALL_END_REASONS = CallEndReason.options;

/**
 * What a `call` delivery tells a device:
 * - invite: you are being called; ring (every live device of the callee gets it)
 * - accepted: (caller's devices) a device of the callee accepted: `answeredBy`
 * - answered_elsewhere: (callee's other devices) another device of yours accepted; stop ringing
 * - escalated: (caller's devices) nobody answered in time; the call now rings `to`, the next in the circle
 * - ended: the call is over (`reason`); stop ringing
 */
export const CallEvent = z.enum(['invite', 'accepted', 'answered_elsewhere', 'escalated', 'ended']);
export type CallEvent = z.infer<typeof CallEvent>;
export const CALL_EVENTS = CallEvent.options;

/** One call as a user's history lists it. */
export const CallRecordView = z.object({
  callId: z.string(),
  /** the other party (for a circle call: the caregiver this entry is about) */
  peer: z.string(),
  direction: z.enum(['incoming', 'outgoing']),
  media: CallMedia,
  kind: CallKind,
  /** server time the call started ringing (for an escalated step: this callee's ring started), ms */
  startedAt: z.number(),
  /** when it was accepted, or null */
  answeredAt: z.number().nullable(),
  endedAt: z.number(),
  /** ms from accepted to ended; 0 when never accepted */
  durationMs: z.number(),
  reason: CallEndReason,
  /** this callee did not answer in time and the call moved on to the next in the care circle */
  escalated: z.boolean(),
});
export type CallRecordView = z.infer<typeof CallRecordView>;

/** Time-limited TURN credentials (coturn's REST API scheme): pass them to RTCPeerConnection as an ICE server. */
export const TurnCredentials = z.object({
  urls: z.array(z.string()),
  /** `<expiry, unix seconds>:<your user id>` */
  username: z.string(),
  /** base64 HMAC-SHA1 of `username` with the TURN server's shared secret */
  credential: z.string(),
  /** how long they were issued for, seconds */
  ttlSeconds: z.number().int(),
  /** when they stop working, ms since the Unix epoch; ask for new ones (`turn`) before */
  expiresAt: z.number(),
});
export type TurnCredentials = z.infer<typeof TurnCredentials>;
