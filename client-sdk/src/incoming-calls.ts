import { CallSession } from './call-session.ts';
import type { CallOptions, CallSignaling } from './call-types.ts';
import type { PeerConnectionLike } from './peer-connection.ts';

/** Invites remembered per listener, so a repeated invite does not ring twice. */
const SEEN_LIMIT = 1_000;

/** Options for every incoming call: CallOptions less what the invite decides. */
export type IncomingCallOptions<PC extends PeerConnectionLike = PeerConnectionLike> = Omit<CallOptions<PC>, 'peer' | 'callId' | 'media'>;

/**
 * Rings for invites sent to this user (`user:<me>`): for each new invite, creates a CallSession
 * in state 'incoming' (it has already sent `ringing` and started its ring timeout) and hands it
 * to `onCall`, which should `accept()` or `reject()` it. An invite repeated with the same
 * caller and callId is ignored. Returns a function that stops listening (calls already handed
 * out go on).
 *
 * Every device of the user rings; the caller keeps the first that accepts. The others are not
 * told (they ring until the caller hangs up or their ring times out).
 */
export function onIncomingCall<PC extends PeerConnectionLike = PeerConnectionLike>(
  client: CallSignaling,
  onCall: (call: CallSession<PC>) => void,
  options: IncomingCallOptions<PC> = {},
): () => void {
  const seen = new Set<string>();
  return client.on('signal', ({ channel, callId, from, signal }) => {
    if (signal.kind !== 'invite' || !channel.startsWith('user:')) return;
    const key = `${from.userId}\n${callId}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
    onCall(new CallSession<PC>(client, { ...options, peer: from.userId, callId, media: signal.media }, { from }));
  });
}
