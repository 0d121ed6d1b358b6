import { BusError } from '../bus/bus.ts';
import { mapped } from '../core/bus-errors.ts';
import type { Sender } from '../protocol/index.ts';
import type { CallHistoryEntry } from '../records/records.ts';
import type { CallContext } from './call-context.ts';
import type { CallClock } from './call-clock.ts';
import { callDelivery, tell } from './call-events.ts';
import type { CallRecord, Change, LeftCallee } from './call-store.ts';

/** How the current callee was reached: live devices the invite went to, and whether it was woken. */
export interface Rung {
  devices: number;
  woken: boolean;
}

/**
 * Rings the call's current callee: an `invite` to `user:<callee>` (every live device, on any
 * node), a timer for the end of the ring, and when no device is live, the wake-up webhook
 * (`call.invite`). Rejects with a client error when the bus cannot take the invite; the call
 * stays ringing (a device that connects gets it, and a retried invite rings again).
 */
export async function ring(ctx: CallContext, clock: CallClock, call: CallRecord, from: Sender | null): Promise<Rung> {
  clock.arm(call);
  const delivery = callDelivery(call, 'invite', call.callee, from, ctx.now());
  const routed = await mapped(
    ctx.relay.publish(delivery.channel, { delivery }, { mandatory: true, ttlMs: ctx.limits.eventTtlMs }).then(
      () => true,
      (error: unknown) => {
        if (error instanceof BusError && error.code === 'UNROUTABLE') return false;
        throw error;
      },
    ),
  );
  // presence too: in the fanout topology every publish is routed
  const live = routed ? await ctx.store.userSessions(call.callee, ctx.now()).then((s) => s.length, () => null) : 0;
  const devices = live ?? 1;
  if (devices > 0 || !ctx.webhook.enabled) return { devices, woken: false };
  ctx.webhook.send('call.invite', { ...about(call, call.callee), ringUntil: call.ringUntil });
  await ctx.calls.markWoken(call.callId, call.callee).catch((error: unknown) => ctx.logger.warn({ err: error, callId: call.callId }, 'woken callee not recorded'));
  return { devices: 0, woken: true };
}

/**
 * What follows a change of a call, wherever it happened (a request on this node, or a deadline
 * this node was handed): the parties' devices are told, history is written for every callee whose
 * part ended, the webhook hears of missed calls and of woken callees that should stop ringing,
 * and after an escalation the next callee rings. `actor`: the session whose request made the
 * change (it is not told again), null for the server's own.
 */
export function changed(ctx: CallContext, clock: CallClock, change: Change, actor: Sender | null): void {
  const { call } = change;
  switch (change.kind) {
    case 'accepted':
      clock.forget(call.callId);
      tell(ctx, call, 'accepted', call.caller.userId, actor);
      tell(ctx, call, 'answered_elsewhere', call.callee, actor);
      if (call.woken) ctx.webhook.send('call.ended', { ...about(call, call.callee), reason: 'answered', endedAt: call.answeredAt! });
      return;
    case 'ended': {
      clock.forget(call.callId);
      tell(ctx, call, 'ended', call.caller.userId, actor);
      if (call.callee !== call.caller.userId) tell(ctx, call, 'ended', call.callee, actor);
      ctx.history.write(historyOf(call));
      ctx.metrics.callEnded(call.reason!);
      if (call.reason === 'missed') {
        ctx.webhook.send('call.missed', { ...about(call, call.callee), startedAt: call.ringStartedAt, endedAt: call.endedAt!, escalated: false });
      } else if (call.woken && call.answeredAt === null) {
        ctx.webhook.send('call.ended', { ...about(call, call.callee), reason: call.reason!, endedAt: call.endedAt! });
      }
      return;
    }
    case 'escalated':
      escalated(ctx, clock, call, change.left, actor);
      return;
  }
}

function escalated(ctx: CallContext, clock: CallClock, call: CallRecord, left: LeftCallee, actor: Sender | null): void {
  const now = call.ringStartedAt;
  ctx.metrics.callEscalated();
  // `reason`: why the call left the callee before
  tell(ctx, call, 'escalated', call.caller.userId, actor, { reason: left.reason });
  tell(ctx, call, 'escalated', left.callee, actor, { reason: left.reason });
  ctx.history.write([
    {
      userId: left.callee,
      callId: call.callId,
      peerId: call.caller.userId,
      direction: 'incoming',
      media: call.media,
      kind: call.kind,
      startedAt: left.ringStartedAt,
      answeredAt: null,
      endedAt: now,
      reason: left.reason,
      escalated: true,
    },
  ]);
  const person = { ...about(call, left.callee) };
  if (left.reason === 'missed') ctx.webhook.send('call.missed', { ...person, startedAt: left.ringStartedAt, endedAt: now, escalated: true });
  else if (left.woken) ctx.webhook.send('call.ended', { ...person, reason: 'escalated', endedAt: now });
  ring(ctx, clock, call, null).catch((error: unknown) =>
    ctx.logger.warn({ err: error, callId: call.callId, callee: call.callee }, 'next caregiver not rung; the sweep moves on at the end of the step'),
  );
}

/** The caller's and the (last) callee's entries for a call that ended. */
export function historyOf(call: CallRecord): CallHistoryEntry[] {
  const common = { callId: call.callId, media: call.media, kind: call.kind, answeredAt: call.answeredAt, endedAt: call.endedAt!, reason: call.reason!, escalated: false };
  const entries: CallHistoryEntry[] = [{ ...common, userId: call.caller.userId, peerId: call.callee, direction: 'outgoing', startedAt: call.createdAt }];
  if (call.callee !== call.caller.userId) {
    entries.push({ ...common, userId: call.callee, peerId: call.caller.userId, direction: 'incoming', startedAt: call.ringStartedAt });
  }
  return entries;
}

function about(call: CallRecord, calleeId: string) {
  return { callId: call.callId, kind: call.kind, media: call.media, callerId: call.caller.userId, callerRole: call.caller.role, calleeId };
}
