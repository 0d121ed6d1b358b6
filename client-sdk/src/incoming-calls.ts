import type { CallDelivery } from '../../src/protocol/index.ts';
import { callRegistry } from './call-registry.ts';
import { CallSession } from './call-session.ts';
import type { CallOptions, CallSignaling } from './call-types.ts';
import type { PeerConnectionLike } from './peer-connection.ts';

/** Options for every incoming call: CallOptions less what the invite decides. */
export type IncomingCallOptions<PC extends PeerConnectionLike = PeerConnectionLike> = Omit<CallOptions<PC>, 'peer' | 'circle' | 'sos' | 'callId' | 'media'>;

/**
 * Rings for calls to this user: for each `invite` the server sends (every device of the user gets
 * one, and a device that connects while a call rings gets it at once), creates a CallSession in
 * state 'incoming' and hands it to `onCall`, which should ring, then `accept()` or `reject()` it.
 * The session ends by itself when the call is answered on another device (`answered_elsewhere`),
 * cancelled, missed or moved on to the next caregiver. An invite for a call this client already
 * has a session for, or had one lately, is ignored (a repeat; or this device's own call, after
 * glare). Returns a function that stops listening (calls already handed out go on).
 */
export function onIncomingCall<PC extends PeerConnectionLike = PeerConnectionLike>(
  client: CallSignaling,
  onCall: (call: CallSession<PC>) => void,
  options: IncomingCallOptions<PC> = {},
): () => void {
  const known = callRegistry(client);
  return client.on('call', (delivery: CallDelivery) => {
    if (delivery.event !== 'invite' || known.has(delivery.callId)) return;
    if (delivery.caller.userId === client.welcome?.user.id && delivery.caller.sessionId === client.welcome.sessionId) return;
    onCall(new CallSession<PC>(client, options, { invite: delivery }));
  });
}
