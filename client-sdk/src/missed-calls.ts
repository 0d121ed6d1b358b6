import type { CallDelivery, Sender } from '../../src/protocol/index.ts';
import type { CallSignaling } from './call-types.ts';

/** A call to this user that nobody answered. */
export interface MissedCall {
  callId: string;
  /** who called */
  caller: Sender;
  kind: 'call' | 'sos';
  media: 'audio' | 'video';
  /** server time the miss was decided, ms */
  ts: number;
  /** a circle call that went on to the next caregiver after ringing this user */
  escalated: boolean;
}

/**
 * Calls `listener` for every call to this user that rang out unanswered while this client was
 * connected, whether or not this device rang (every device of the user is told): drive a
 * missed-call badge from it. Calls missed while no device was connected are not announced here:
 * read them with `client.callHistory()` (entries with `reason: 'missed'`), and the operator's
 * push service hears of them (`call.missed` webhook). Returns a function that stops listening.
 */
export function onMissedCall(client: CallSignaling, listener: (missed: MissedCall) => void): () => void {
  return client.on('call', (delivery: CallDelivery) => {
    const me = client.welcome?.user.id;
    if (!me || delivery.reason !== 'missed' || delivery.caller.userId === me) return;
    const mine = delivery.event === 'ended' ? delivery.callee === me : delivery.event === 'escalated' && delivery.callee !== me;
    if (!mine) return;
    listener({
      callId: delivery.callId,
      caller: delivery.caller,
      kind: delivery.kind,
      media: delivery.media,
      ts: delivery.ts,
      escalated: delivery.event === 'escalated',
    });
  });
}
