/**
 * The CallStore contract (src/calls/call-store.ts), written once and run against every
 * implementation: `describeCallStoreContract('redis', factory)`. The factory returns at least two
 * started stores over the same data, as two nodes share one Redis, so every atomicity promise is
 * checked across instances (two devices accepting through two nodes). Fresh ids per test; times
 * are explicit, from a clock T the test moves by hand, so nothing waits for a ring to time out.
 *
 * To extend: an `it` per promise of the interface's or call-rules.ts's doc comment.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CallStore, NewCall } from '../../src/calls/call-store.ts';
import type { Sender } from '../../src/protocol/index.ts';

export interface CallStoreCluster {
  stores: CallStore[];
  close(): Promise<void>;
}

const uid = (name: string): string => `${name}-${randomUUID().slice(0, 8)}`;
const device = (userId: string, role = 'user'): Sender => ({ userId, role, sessionId: randomUUID() });
const RING = 1_000;
const STEP = 500;
const MAX = 60_000;
const KEEP = 5_000;

function newCall(caller: Sender, callees: string[], overrides: Partial<NewCall> = {}): NewCall {
  return { callId: `call-${randomUUID()}`, kind: 'call', media: 'audio', caller, callees, ringMs: RING, stepMs: STEP, maxMs: MAX, keepMs: KEEP, alertId: null, ...overrides };
}

export function describeCallStoreContract(name: string, makeStores: () => Promise<CallStoreCluster>): void {
  describe(`CallStore contract: ${name}`, () => {
    let cluster: CallStoreCluster;
    let a: CallStore;
    let b: CallStore;
    // the callers' clock: real time, so a backend's TTLs (a bound only) stay sane
    let T: number;

    beforeEach(async () => {
      cluster = await makeStores();
      [a, b] = cluster.stores as [CallStore, CallStore];
      T = Date.now();
    });
    afterEach(async () => {
      await cluster.close();
    });

    it('creates a ringing call that every instance sees, and lists it as ringing its callee', async () => {
      const carol = device(uid('carol'), 'caregiver');
      const pat = uid('pat');
      const call = newCall(carol, [pat], { media: 'video' });
      const created = await a.create(call, T);
      expect(created).toMatchObject({ kind: 'created', call: { callId: call.callId, state: 'ringing', caller: carol, callee: pat, media: 'video', ringUntil: T + RING, next: [] } });
      expect(await b.get(call.callId)).toEqual(created.kind === 'created' && created.call);
      expect((await b.ringingFor(pat, T + 10)).map((c) => c.callId)).toEqual([call.callId]);
      expect(await b.ringingFor(carol.userId, T + 10)).toEqual([]);
      expect(await b.ringingFor(pat, T + RING)).toEqual([]);
    });

    it('tells a retry of the same call (`exists`) from another call with its id (`taken`)', async () => {
      const carol = device(uid('carol'));
      const pat = uid('pat');
      const call = newCall(carol, [pat]);
      await a.create(call, T);
      expect(await b.create({ ...call, caller: { ...carol, sessionId: randomUUID() } }, T + 1)).toMatchObject({ kind: 'exists', call: { callId: call.callId } });
      expect(await b.create({ ...call, caller: device(uid('mallory')) }, T + 1)).toEqual({ kind: 'taken' });
      expect(await b.create({ ...call, callees: [uid('other')] }, T + 1)).toEqual({ kind: 'taken' });
    });

    it('lets the callee accept once: a second accept, from any device or node, is already_answered', async () => {
      const carol = device(uid('carol'));
      const pat = uid('pat');
      const [phone, tablet] = [device(pat), device(pat)];
      const { callId } = newCall(carol, [pat]);
      await a.create({ ...newCall(carol, [pat]), callId }, T);
      expect(await b.accept(callId, device(uid('mallory')), T + 1)).toEqual({ kind: 'forbidden' });
      expect(await b.accept(callId, device(carol.userId), T + 1)).toEqual({ kind: 'forbidden' });
      const first = await a.accept(callId, phone, T + 2);
      expect(first).toMatchObject({ kind: 'accepted', call: { state: 'accepted', answeredBy: phone, answeredAt: T + 2 } });
      expect(await b.accept(callId, tablet, T + 3)).toMatchObject({ kind: 'already_answered', call: { answeredBy: phone } });
      expect(await b.ringingFor(pat, T + 3)).toEqual([]);
      expect(await a.accept(`call-${randomUUID()}`, phone, T)).toEqual({ kind: 'not_found' });
    });

    it('decides accepts racing on two instances with exactly one winner, every time', async () => {
      const carol = device(uid('carol'));
      const pat = uid('pat');
      const calls = Array.from({ length: 30 }, () => newCall(carol, [pat]));
      await Promise.all(calls.map((c) => a.create(c, T)));
      const outcomes = await Promise.all(calls.map((c) => Promise.all([a.accept(c.callId, device(pat), T + 1), b.accept(c.callId, device(pat), T + 1)])));
      for (const pair of outcomes) expect(pair.map((o) => o.kind).sort()).toEqual(['accepted', 'already_answered']);
    });

    it('ends a call once: reject declines it on every device; what comes after is already_ended or already_answered', async () => {
      const carol = device(uid('carol'));
      const pat = uid('pat');
      const declined = newCall(carol, [pat]);
      await a.create(declined, T);
      expect(await b.reject(declined.callId, carol.userId, T + 1)).toEqual({ kind: 'forbidden' });
      expect(await b.reject(declined.callId, pat, T + 1)).toMatchObject({ kind: 'ended', call: { state: 'ended', reason: 'declined', endedAt: T + 1 } });
      expect(await a.accept(declined.callId, device(pat), T + 2)).toMatchObject({ kind: 'already_ended', call: { reason: 'declined' } });
      expect(await a.cancel(declined.callId, carol.userId, T + 2)).toMatchObject({ kind: 'already_ended' });

      const answered = newCall(carol, [pat]);
      await a.create(answered, T);
      await b.accept(answered.callId, device(pat), T + 1);
      expect(await a.cancel(answered.callId, carol.userId, T + 2)).toMatchObject({ kind: 'already_answered' });
      expect(await a.reject(answered.callId, pat, T + 2)).toMatchObject({ kind: 'already_answered' });

      const cancelled = newCall(carol, [pat]);
      await a.create(cancelled, T);
      expect(await b.cancel(cancelled.callId, pat, T + 1)).toEqual({ kind: 'forbidden' });
      expect(await b.cancel(cancelled.callId, carol.userId, T + 1)).toMatchObject({ kind: 'ended', call: { reason: 'cancelled' } });
    });

    it('hangs up: an accepted call completes; a ringing one is cancelled by the caller, declined by the callee', async () => {
      const carol = device(uid('carol'));
      const pat = uid('pat');
      const [on, byCaller, byCallee] = [newCall(carol, [pat]), newCall(carol, [pat]), newCall(carol, [pat])];
      await Promise.all([on, byCaller, byCallee].map((c) => a.create(c, T)));
      await a.accept(on.callId, device(pat), T + 1);
      expect(await b.hangup(on.callId, uid('mallory'), T + 5)).toEqual({ kind: 'forbidden' });
      expect(await b.hangup(on.callId, pat, T + 5)).toMatchObject({ kind: 'ended', call: { reason: 'completed', answeredAt: T + 1, endedAt: T + 5 } });
      expect(await a.hangup(on.callId, carol.userId, T + 6)).toMatchObject({ kind: 'already_ended' });
      expect(await b.hangup(byCaller.callId, carol.userId, T + 2)).toMatchObject({ kind: 'ended', call: { reason: 'cancelled' } });
      expect(await b.hangup(byCallee.callId, pat, T + 2)).toMatchObject({ kind: 'ended', call: { reason: 'declined' } });
    });

    it('hands a ring timeout to one of two instances asking at once, not before its deadline', async () => {
      const carol = device(uid('carol'));
      const pat = uid('pat');
      const call = newCall(carol, [pat]);
      await a.create(call, T);
      expect((await a.due(T + RING - 1, 100)).filter((c) => c.call.callId === call.callId)).toEqual([]);
      const [fromA, fromB] = await Promise.all([a.due(T + RING, 100), b.due(T + RING, 100)]);
      const mine = [...fromA, ...fromB].filter((c) => c.call.callId === call.callId);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ kind: 'ended', call: { state: 'ended', reason: 'missed', endedAt: T + RING } });
      expect((await a.due(T + RING + 1, 100)).filter((c) => c.call.callId === call.callId)).toEqual([]);
      expect(await b.accept(call.callId, device(pat), T + RING + 1)).toMatchObject({ kind: 'already_ended', call: { reason: 'missed' } });
    });

    it('rings a circle in order: the next on a timeout or a decline, missed after the last', async () => {
      const pat = device(uid('pat'), 'patient');
      const [c1, c2, c3] = [uid('c1'), uid('c2'), uid('c3')];
      const call = newCall(pat, [c1, c2, c3], { kind: 'sos', alertId: 'alert-1' });
      await a.create(call, T);
      await a.markWoken(call.callId, c1);
      const [step1] = (await b.due(T + RING, 100)).filter((c) => c.call.callId === call.callId);
      expect(step1).toEqual({
        kind: 'escalated',
        call: expect.objectContaining({ callee: c2, next: [c3], ringStartedAt: T + RING, ringUntil: T + RING + STEP, woken: false, alertId: 'alert-1' }),
        left: { callee: c1, ringStartedAt: T, woken: true, reason: 'missed' },
      });
      expect(await a.ringingFor(c1, T + RING)).toEqual([]);
      expect((await a.ringingFor(c2, T + RING)).map((c) => c.callId)).toEqual([call.callId]);
      expect(await a.accept(call.callId, device(c1), T + RING + 1)).toEqual({ kind: 'forbidden' });
      expect(await a.reject(call.callId, c2, T + RING + 2)).toMatchObject({ kind: 'escalated', call: { callee: c3, next: [] }, left: { callee: c2, reason: 'declined' } });
      const [last] = (await a.due(T + RING + 2 + STEP, 100)).filter((c) => c.call.callId === call.callId);
      expect(last).toMatchObject({ kind: 'ended', call: { reason: 'missed', callee: c3 } });
    });

    it('ends an accepted call nobody hung up as expired, once its longest duration has passed', async () => {
      const carol = device(uid('carol'));
      const pat = uid('pat');
      const call = newCall(carol, [pat]);
      await a.create(call, T);
      await a.accept(call.callId, device(pat), T + 10);
      expect((await b.due(T + 10 + MAX - 1, 100)).filter((c) => c.call.callId === call.callId)).toEqual([]);
      const [expired] = (await b.due(T + 10 + MAX, 100)).filter((c) => c.call.callId === call.callId);
      expect(expired).toMatchObject({ kind: 'ended', call: { reason: 'expired' } });
    });

    it('resolves glare to one call: an invite crossing the callee`s ringing invite accepts it instead', async () => {
      const [carol, pat] = [device(uid('carol')), device(uid('pat'))];
      const first = newCall(carol, [pat.userId]);
      await a.create(first, T);
      const crossing = newCall(pat, [carol.userId]);
      const outcome = await b.create(crossing, T + 5);
      expect(outcome).toMatchObject({ kind: 'glare', call: { callId: first.callId, state: 'accepted', answeredBy: pat, answeredAt: T + 5 } });
      expect(await a.get(crossing.callId)).toBeNull();
      // a later invite between the two, once nothing rings, is a call of its own
      await a.hangup(first.callId, carol.userId, T + 6);
      expect(await b.create(crossing, T + 7)).toMatchObject({ kind: 'created' });
    });

    it('forgets an ended call keepMs after it ended: then it is not_found', async () => {
      const carol = device(uid('carol'));
      const pat = uid('pat');
      const call = newCall(carol, [pat]);
      await a.create(call, T);
      await a.cancel(call.callId, carol.userId, T + 1);
      expect(await b.accept(call.callId, device(pat), T + KEEP)).toMatchObject({ kind: 'already_ended' });
      expect(await b.accept(call.callId, device(pat), T + 1 + KEEP)).toEqual({ kind: 'not_found' });
    });

    it('returns copies: changing what it returned changes nothing kept', async () => {
      const carol = device(uid('carol'));
      const pat = uid('pat');
      const call = newCall(carol, [pat]);
      const created = await a.create(call, T);
      if (created.kind !== 'created') throw new Error(created.kind);
      created.call.callee = 'mallory';
      created.call.caller.userId = 'mallory';
      (await a.ringingFor(pat, T))[0]!.state = 'ended';
      expect(await b.get(call.callId)).toMatchObject({ callee: pat, caller: carol, state: 'ringing' });
    });
  });
}
