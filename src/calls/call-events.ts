import type { CallDelivery, CallEvent, CallResult, Sender } from '../protocol/index.ts';
import { userChannel } from '../protocol/index.ts';
import type { CallContext } from './call-context.ts';
import type { CallRecord } from './call-store.ts';

/** The `call` frame telling `userId`'s devices about `event` (unnumbered: each session numbers it). */
export function callDelivery(call: CallRecord, event: CallEvent, userId: string, from: Sender | null, ts: number): Omit<CallDelivery, 'seq'> {
  return {
    type: 'call',
    channel: userChannel(userId),
    ...(from && { from }),
    ts,
    callId: call.callId,
    event,
    kind: call.kind,
    media: call.media,
    caller: call.caller,
    callee: call.callee,
    ...(call.state === 'ringing' && { ringUntil: call.ringUntil }),
    ...(call.answeredBy && { answeredBy: call.answeredBy }),
    ...(call.reason && { reason: call.reason }),
    ...(call.state === 'ended' && { durationMs: durationMs(call) }),
  };
}

export function durationMs(call: CallRecord): number {
  return call.answeredAt === null || call.endedAt === null ? 0 : call.endedAt - call.answeredAt;
}

/**
 * Publishes `event` to every device of `userId`, on any node; the session in `from` (the one whose
 * request caused it) is skipped: it has its answer. Best effort: a failed publish is tried twice
 * more, then logged. The state in the CallStore is what counts; every device also ends its ring
 * by `ringUntil` on its own.
 */
export function tell(ctx: CallContext, call: CallRecord, event: CallEvent, userId: string, from: Sender | null, extra: Partial<CallDelivery> = {}): void {
  const delivery = { ...callDelivery(call, event, userId, from, ctx.now()), ...extra };
  const attempt = (n: number): void => {
    ctx.relay.publish(delivery.channel, { delivery }, { mandatory: false, ttlMs: ctx.limits.eventTtlMs }).catch((error: unknown) => {
      if (n >= 3) {
        ctx.logger.warn({ err: error, callId: call.callId, event, userId }, 'call event not published');
        return;
      }
      setTimeout(() => attempt(n + 1), 100 * 3 ** (n - 1)).unref();
    });
  };
  attempt(1);
}

/** What an answer to a call request says about the call. */
export function callResult(call: CallRecord): CallResult {
  return {
    callId: call.callId,
    state: call.state,
    to: call.callee,
    ...(call.state === 'ringing' && { ringUntil: call.ringUntil }),
    ...(call.reason && { reason: call.reason }),
    ...(call.alertId && { alertId: call.alertId }),
  };
}
