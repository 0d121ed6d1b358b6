import type { Sender } from '../protocol/index.ts';
import type { CallRecord, Change, NewCall, Transition } from './call-store.ts';

/**
 * The call state machine, as pure functions over one record (the memory store applies them; the
 * Redis store's scripts in redis-call-scripts.ts do the same steps in Lua, and one contract suite
 * holds both to it):
 *
 *   ringing --accept (callee)--> accepted --hangup (either)--> ended: completed
 *   ringing --reject (callee) / hangup (callee)--> ended: declined, or the next of a circle rings
 *   ringing --cancel (caller) / hangup (caller)--> ended: cancelled
 *   ringing --ring timeout--> ended: missed, or the next of a circle rings (escalated)
 *   accepted --maxMs after the accept--> ended: expired
 *
 * A request on an ended call is `already_ended`; an accept, reject or cancel of an accepted call
 * is `already_answered`.
 */

export function newRecord(call: NewCall, now: number): CallRecord {
  const [callee, ...next] = call.callees;
  return {
    callId: call.callId,
    kind: call.kind,
    media: call.media,
    caller: { ...call.caller },
    callee: callee!,
    next,
    state: 'ringing',
    createdAt: now,
    ringStartedAt: now,
    ringUntil: now + call.ringMs,
    stepMs: call.stepMs,
    maxMs: call.maxMs,
    keepMs: call.keepMs,
    answeredBy: null,
    answeredAt: null,
    endedAt: null,
    reason: null,
    woken: false,
    alertId: call.alertId,
  };
}

/** When the store must act on the call by itself: the end of its ring, or of its longest duration. */
export function deadline(call: CallRecord): number | null {
  if (call.state === 'ringing') return call.ringUntil;
  if (call.state === 'accepted') return call.answeredAt! + call.maxMs;
  return null;
}

type Rule = (call: CallRecord, now: number) => Transition;

function settled(call: CallRecord): Transition | null {
  if (call.state === 'ended') return { kind: 'already_ended', call };
  return null;
}

export function accept(by: Sender): Rule {
  return (call, now) => {
    const done = settled(call);
    if (done) return done;
    if (call.state === 'accepted') return { kind: 'already_answered', call };
    if (by.userId !== call.callee) return { kind: 'forbidden' };
    return { kind: 'accepted', call: { ...call, state: 'accepted', answeredBy: { ...by }, answeredAt: now } };
  };
}

export function reject(userId: string): Rule {
  return (call, now) => {
    const done = settled(call);
    if (done) return done;
    if (call.state === 'accepted') return { kind: 'already_answered', call };
    if (userId !== call.callee) return { kind: 'forbidden' };
    return ringEnds(call, now, 'declined');
  };
}

export function cancel(userId: string): Rule {
  return (call, now) => {
    const done = settled(call);
    if (done) return done;
    if (call.state === 'accepted') return { kind: 'already_answered', call };
    if (userId !== call.caller.userId) return { kind: 'forbidden' };
    return end(call, now, 'cancelled');
  };
}

export function hangup(userId: string): Rule {
  return (call, now) => {
    const done = settled(call);
    if (done) return done;
    const caller = userId === call.caller.userId;
    const callee = userId === call.callee;
    if (!caller && !callee) return { kind: 'forbidden' };
    if (call.state === 'accepted') return end(call, now, 'completed');
    return caller ? end(call, now, 'cancelled') : ringEnds(call, now, 'declined');
  };
}

/** The store's own step at the call's deadline; null when it is not due (or no longer). */
export function timeout(call: CallRecord, now: number): Change | null {
  const due = deadline(call);
  if (due === null || due > now) return null;
  if (call.state === 'accepted') return end(call, now, 'expired');
  return ringEnds(call, now, 'missed');
}

/** The current callee's ring ends: the next of a circle rings, else the call ends. */
function ringEnds(call: CallRecord, now: number, reason: 'missed' | 'declined'): Change {
  const [nextCallee, ...rest] = call.next;
  if (nextCallee === undefined) return end(call, now, reason);
  const left = { callee: call.callee, ringStartedAt: call.ringStartedAt, woken: call.woken, reason };
  return {
    kind: 'escalated',
    call: { ...call, callee: nextCallee, next: rest, ringStartedAt: now, ringUntil: now + call.stepMs, woken: false },
    left,
  };
}

function end(call: CallRecord, now: number, reason: NonNullable<CallRecord['reason']>): Change {
  return { kind: 'ended', call: { ...call, state: 'ended', endedAt: now, reason } };
}
