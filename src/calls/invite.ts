import { randomUUID } from 'node:crypto';
import { mapped } from '../core/bus-errors.ts';
import { TetherError } from '../core/errors.ts';
import type { Session } from '../core/session.ts';
import { maySignalUser } from '../core/signals.ts';
import type { CallMedia, CallResult, CallRequest } from '../protocol/index.ts';
import type { CallContext } from './call-context.ts';
import type { CallClock } from './call-clock.ts';
import { changed, ring } from './call-effects.ts';
import { callResult } from './call-events.ts';
import type { CallRecord, NewCall } from './call-store.ts';

type InviteRequest = Extract<CallRequest, { type: 'invite' }>;
type SosRequest = Extract<CallRequest, { type: 'sos' }>;

/**
 * `invite`: a call to one user (the same rights as a direct signal to it), or with `circle` to
 * the caller's care circle, escalating. Answers once the callee's devices were rung (or, with
 * none live, the wake-up webhook was asked): `devices`, `woken`. Glare (the callee is calling
 * this user right now) accepts that call instead and answers `glare: true` with its id. A retried
 * invite of a call that still rings rings its callee again.
 */
export async function invite(ctx: CallContext, clock: CallClock, session: Session, message: InviteRequest): Promise<CallResult> {
  if (message.circle) return circleCall(ctx, clock, session, { kind: 'call', callId: message.callId, media: message.media });
  const to = message.to!;
  if (!(await maySignalUser(session, to))) throw new TetherError('FORBIDDEN', `you share no room with ${to} and your token does not link you`);
  return start(ctx, clock, session, call(ctx, session, { kind: 'call', callId: message.callId, media: message.media }, [to], ctx.limits.ringMs, null));
}

/**
 * `sos`: a patient's emergency. Rings the care circle in order, a step each, and raises an SOS
 * alert for the circle (AlertSink); the alert's id is in the answer.
 */
export async function sos(ctx: CallContext, clock: CallClock, session: Session, message: SosRequest): Promise<CallResult> {
  if (session.identity.role !== 'patient') throw new TetherError('FORBIDDEN', 'only patients raise an SOS');
  return circleCall(ctx, clock, session, { kind: 'sos', callId: message.callId, media: message.media });
}

async function circleCall(
  ctx: CallContext,
  clock: CallClock,
  session: Session,
  what: { kind: 'call' | 'sos'; callId: string | undefined; media: CallMedia },
): Promise<CallResult> {
  const circle = await ctx.circle.order(session.identity);
  if (circle.length === 0) throw new TetherError('NO_CARE_CIRCLE');
  const alertId = what.kind === 'sos' ? randomUUID() : null;
  const result = await start(ctx, clock, session, call(ctx, session, what, circle, ctx.limits.escalationStepMs, alertId));
  // raised for a new SOS (or one that met a caregiver's call to the patient: glare), not for a retry
  if (alertId && (result.alertId === alertId || result.glare)) {
    ctx.alerts
      .raise({ alertId, kind: 'sos', patientId: session.identity.userId, from: session.sender, callId: result.callId, caregivers: circle, ts: ctx.now() })
      .catch((error: unknown) => ctx.logger.error({ err: error, alertId }, 'SOS alert not raised; the call still rings the circle'));
  }
  return result;
}

function call(
  ctx: CallContext,
  session: Session,
  what: { kind: 'call' | 'sos'; callId: string | undefined; media: CallMedia },
  callees: string[],
  ringMs: number,
  alertId: string | null,
): NewCall {
  const { limits } = ctx;
  return {
    callId: what.callId ?? randomUUID(),
    kind: what.kind,
    media: what.media,
    caller: session.sender,
    callees,
    ringMs,
    stepMs: limits.escalationStepMs,
    maxMs: limits.maxDurationMs,
    keepMs: limits.keepEndedMs,
    alertId,
  };
}

async function start(ctx: CallContext, clock: CallClock, session: Session, call: NewCall): Promise<CallResult> {
  const created = await mapped(ctx.calls.create(call, ctx.now()));
  session.assertOpen();
  switch (created.kind) {
    case 'taken':
      throw new TetherError('CALL_ID_TAKEN', `call id ${call.callId} belongs to another call`);
    case 'glare':
      changed(ctx, clock, { kind: 'accepted', call: created.call }, session.sender);
      return { ...callResult(created.call), glare: true };
    case 'exists':
      if (created.call.state !== 'ringing') return callResult(created.call);
      return rung(ctx, clock, session, created.call);
    case 'created':
      ctx.metrics.callStarted(call.kind);
      return rung(ctx, clock, session, created.call);
  }
}

async function rung(ctx: CallContext, clock: CallClock, session: Session, call: CallRecord): Promise<CallResult> {
  const { devices, woken } = await ring(ctx, clock, call, session.sender);
  return { ...callResult(call), devices, woken };
}
