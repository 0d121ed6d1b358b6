import { z } from 'zod';

/**
 * The body of a signaling message: WebRTC negotiation (offer, answer, ice) and call control
 * (invite, ringing, accept, reject, hangup). The server relays it untouched.
 */
const Sdp = z.string().min(1).max(60_000);
const Reason = z.string().max(200).optional();

export const IceCandidate = z.strictObject({
  candidate: z.string().max(2_048),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(1_024).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});

export const SignalBody = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('offer'), sdp: Sdp }),
  z.strictObject({ kind: z.literal('answer'), sdp: Sdp }),
  /** `candidate: null` marks the end of trickled candidates */
  z.strictObject({ kind: z.literal('ice'), candidate: IceCandidate.nullable() }),
  z.strictObject({ kind: z.literal('invite'), media: z.enum(['audio', 'video']).default('audio') }),
  z.strictObject({ kind: z.literal('ringing') }),
  z.strictObject({ kind: z.literal('accept') }),
  z.strictObject({ kind: z.literal('reject'), reason: Reason }),
  z.strictObject({ kind: z.literal('hangup'), reason: Reason }),
]);
export type SignalBody = z.infer<typeof SignalBody>;
export type SignalKind = SignalBody['kind'];
export const SIGNAL_KINDS = SignalBody.options.map((o) => o.shape.kind.value) as SignalKind[];
