import { mapped } from '../core/bus-errors.ts';
import { TetherError } from '../core/errors.ts';
import type { Session } from '../core/session.ts';
import type { CallRequest, CallResult } from '../protocol/index.ts';
import type { CallContext } from './call-context.ts';
import type { CallClock } from './call-clock.ts';
import { changed } from './call-effects.ts';
import { callResult } from './call-events.ts';
import type { Transition } from './call-store.ts';

type Request = Extract<CallRequest, { type: 'accept' | 'reject' | 'cancel' | 'hangup' }>;

/**
 * `accept`, `reject`, `cancel`, `hangup`: one transition in the CallStore (atomic cluster-wide),
 * then its effects (call-effects.ts). Refusals carry a code saying why: CALL_NOT_FOUND,
 * CALL_ENDED (`details.reason`), CALL_ALREADY_ANSWERED (an accept after another device's, a
 * cancel or reject after the accept), FORBIDDEN (not the party that may). An accept repeated by
 * the device that won is answered as the first was.
 */
export async function transition(ctx: CallContext, clock: CallClock, session: Session, message: Request): Promise<CallResult> {
  const { calls } = ctx;
  const now = ctx.now();
  const user = session.identity.userId;
  let outcome: Transition;
  switch (message.type) {
    case 'accept':
      outcome = await mapped(calls.accept(message.callId, session.sender, now));
      break;
    case 'reject':
      outcome = await mapped(calls.reject(message.callId, user, now));
      break;
    case 'cancel':
      outcome = await mapped(calls.cancel(message.callId, user, now));
      break;
    case 'hangup':
      outcome = await mapped(calls.hangup(message.callId, user, now));
      break;
  }
  switch (outcome.kind) {
    case 'accepted':
    case 'ended':
    case 'escalated':
      changed(ctx, clock, outcome, session.sender);
      return callResult(outcome.call);
    case 'not_found':
      throw new TetherError('CALL_NOT_FOUND', `no call ${message.callId}`);
    case 'forbidden':
      throw new TetherError('FORBIDDEN', forbidden(message.type));
    case 'already_ended':
      throw new TetherError('CALL_ENDED', `call ${message.callId} has ended (${outcome.call.reason})`, { reason: outcome.call.reason });
    case 'already_answered':
      if (message.type === 'accept' && outcome.call.answeredBy?.sessionId === session.id) return callResult(outcome.call);
      throw new TetherError('CALL_ALREADY_ANSWERED', `call ${message.callId} was accepted ${outcome.call.answeredBy?.userId === user ? 'on another device' : 'already'}`, {
        answeredBy: outcome.call.answeredBy?.sessionId,
      });
  }
}

function forbidden(type: Request['type']): string {
  switch (type) {
    case 'accept':
    case 'reject':
      return 'only the user the call rings may accept or reject it';
    case 'cancel':
      return 'only the caller may cancel a call';
    case 'hangup':
      return 'only the caller and the callee may hang up';
  }
}
