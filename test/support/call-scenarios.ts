/**
 * Server-side calls across three nodes, written once and run on every backend pairing:
 * in-process memory (test/calls-memory.test.ts) and real RabbitMQ + Redis + PostgreSQL
 * (test/calls-cluster.test.ts). Real `ws` clients; every wait is on a frame, never a sleep; ring
 * timeouts and escalation steps are configured short so their events come quickly.
 *
 * Who is who: carol and dave are caregivers of pat; pat's care circle (its token's `contacts`) is
 * carol, then dave. Add a scenario here and every backend runs it.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TetherEvent, startWebhookReceiver } from '../../deploy/examples/webhook-receiver.ts';
import type { CallDelivery, CallResult, CallsResult } from '../../src/protocol/index.ts';
import type { TestClient } from './client.ts';
import { type Cluster, type ClusterOptions, startCluster } from './cluster.ts';

export const RING_MS = 400;
export const STEP_MS = 300;
const WEBHOOK_SECRET = 'webhook-secret-for-tests-0123';

/** Measured figures, printed once per file: how fast the other device was told, and the like. */
export const figures: Record<string, number[]> = {};
const note = (name: string, ms: number): void => void (figures[name] ??= []).push(Math.round(ms));

export function describeCallScenarios(label: string, options: () => ClusterOptions): void {
  describe(`calls on three nodes (${label})`, () => {
    let cluster: Cluster;
    let run: string;
    const receiver: { events: TetherEvent[]; waiters: Array<(e: TetherEvent) => void>; close?: () => Promise<void> } = { events: [], waiters: [] };

    beforeEach(async () => {
      run = randomUUID().slice(0, 6);
      receiver.events = [];
      const hook = await startWebhookReceiver({
        port: 0,
        secret: WEBHOOK_SECRET,
        onEvent: (event) => {
          receiver.events.push(event);
          for (const waiter of receiver.waiters.splice(0)) waiter(event);
        },
      });
      receiver.close = hook.close;
      const base = options();
      cluster = await startCluster(3, {
        ...base,
        config: {
          CALL_RING_TIMEOUT_MS: RING_MS,
          CALL_ESCALATION_STEP_MS: STEP_MS,
          CALL_SWEEP_MS: 100,
          WEBHOOK_URL: hook.url,
          WEBHOOK_SECRET,
          ...base.config,
        },
      });
    });
    afterEach(async () => {
      await cluster.stop();
      await receiver.close?.();
    });

    const id = (name: string): string => `${name}-${run}`;
    const carolId = () => ({ sub: id('carol'), role: 'caregiver', patients: [id('pat')] });
    const daveId = () => ({ sub: id('dave'), role: 'caregiver', patients: [id('pat')] });
    const patId = () => ({ sub: id('pat'), role: 'patient', contacts: [id('carol'), id('dave')] });

    /** The next `call` frame about `callId` with `event`. */
    const event = (client: TestClient, callId: string, name: CallDelivery['event']) =>
      client.next('call', (f) => f.callId === callId && f.event === name) as Promise<CallDelivery>;
    const result = async (client: TestClient, request: Parameters<TestClient['ok']>[0]): Promise<CallResult> => (await client.ok(request)) as CallResult;
    const failure = async (client: TestClient, request: Parameters<TestClient['request']>[0]) => {
      const answer = await client.request(request);
      if (answer.type !== 'error') throw new Error(`expected an error, got ${JSON.stringify(answer)}`);
      return answer;
    };
    /** The webhook event of `type` about `callId` (already received, or the next). */
    const webhook = (type: string, callId: string): Promise<TetherEvent> => {
      const match = (e: TetherEvent) => e.type === type && e.data.callId === callId;
      const seen = receiver.events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const wait = (e: TetherEvent): void => (match(e) ? resolve(e) : void receiver.waiters.push(wait));
        receiver.waiters.push(wait);
      });
    };
    const history = async (client: TestClient): Promise<CallsResult['calls']> => {
      await Promise.all(cluster.nodes.map((n) => n.calls.historySettled()));
      return ((await client.ok({ type: 'calls' })) as CallsResult).calls;
    };

    it('rings every device of the callee; the first accept wins and the other device is told at once', async () => {
      const carol = await cluster.connect(0, carolId());
      const phone = await cluster.connect(1, patId());
      const tablet = await cluster.connect(2, patId());
      const callId = `call-${run}`;
      const invited = await result(carol, { type: 'invite', to: id('pat'), callId, media: 'video' });
      expect(invited).toMatchObject({ callId, state: 'ringing', to: id('pat'), devices: 2, woken: false });
      for (const device of [phone, tablet]) {
        expect(await event(device, callId, 'invite')).toMatchObject({ kind: 'call', media: 'video', caller: { userId: id('carol') }, callee: id('pat'), ringUntil: invited.ringUntil });
      }
      const sent = performance.now();
      const accepted = await result(phone, { type: 'accept', callId });
      const acked = performance.now();
      expect(accepted).toMatchObject({ callId, state: 'accepted' });
      const elsewhere = await event(tablet, callId, 'answered_elsewhere');
      note('answered_elsewhere after the accept was sent (ms)', performance.now() - sent);
      note('answered_elsewhere after the accept ack (ms)', performance.now() - acked);
      expect(performance.now() - sent).toBeLessThan(1_000);
      expect(elsewhere.answeredBy).toEqual({ userId: id('pat'), role: 'patient', sessionId: phone.welcome.sessionId });
      expect(await event(carol, callId, 'accepted')).toMatchObject({ answeredBy: { sessionId: phone.welcome.sessionId } });
      // the winning device is not told again; the caller hangs up and everyone hears it
      await result(carol, { type: 'hangup', callId });
      for (const device of [phone, tablet]) expect(await event(device, callId, 'ended')).toMatchObject({ reason: 'completed' });
      expect(phone.frames.filter((f) => f.type === 'call' && f.event === 'answered_elsewhere')).toEqual([]);
      const [mine] = await history(carol);
      expect(mine).toMatchObject({ callId, peer: id('pat'), direction: 'outgoing', media: 'video', reason: 'completed', escalated: false });
      expect(mine!.answeredAt).not.toBeNull();
      expect(mine!.durationMs).toBe(mine!.endedAt - mine!.answeredAt!);
      expect((await history(tablet))[0]).toMatchObject({ callId, peer: id('carol'), direction: 'incoming', reason: 'completed' });
      for (const c of [carol, phone, tablet]) expect(c.gaps).toEqual([]);
    });

    it('stops every device when one declines, and refuses what comes after with CALL_ENDED', async () => {
      const carol = await cluster.connect(0, carolId());
      const phone = await cluster.connect(1, patId());
      const tablet = await cluster.connect(2, patId());
      const { callId } = await result(carol, { type: 'invite', to: id('pat') });
      await event(phone, callId, 'invite');
      expect(await result(tablet, { type: 'reject', callId, reason: 'busy' })).toMatchObject({ state: 'ended', reason: 'declined' });
      expect(await event(phone, callId, 'ended')).toMatchObject({ reason: 'declined', from: { sessionId: tablet.welcome.sessionId } });
      expect(await event(carol, callId, 'ended')).toMatchObject({ reason: 'declined' });
      expect(await failure(phone, { type: 'accept', callId })).toMatchObject({ code: 'CALL_ENDED', retryable: false, details: { reason: 'declined' } });
      expect((await history(carol))[0]).toMatchObject({ callId, reason: 'declined', answeredAt: null, durationMs: 0 });
    });

    it("stops every device on the caller's cancel; a cancel after an accept is CALL_ALREADY_ANSWERED", async () => {
      const carol = await cluster.connect(0, carolId());
      const phone = await cluster.connect(1, patId());
      const tablet = await cluster.connect(2, patId());
      const first = await result(carol, { type: 'invite', to: id('pat') });
      await event(tablet, first.callId, 'invite');
      expect(await failure(phone, { type: 'cancel', callId: first.callId })).toMatchObject({ code: 'FORBIDDEN' });
      expect(await result(carol, { type: 'cancel', callId: first.callId })).toMatchObject({ state: 'ended', reason: 'cancelled' });
      for (const device of [phone, tablet]) expect(await event(device, first.callId, 'ended')).toMatchObject({ reason: 'cancelled' });
      expect(await failure(carol, { type: 'cancel', callId: first.callId })).toMatchObject({ code: 'CALL_ENDED' });

      const second = await result(carol, { type: 'invite', to: id('pat') });
      await result(phone, { type: 'accept', callId: second.callId });
      expect(await failure(carol, { type: 'cancel', callId: second.callId })).toMatchObject({ code: 'CALL_ALREADY_ANSWERED', retryable: false });
      expect(await failure(tablet, { type: 'accept', callId: second.callId })).toMatchObject({ code: 'CALL_ALREADY_ANSWERED' });
      expect(await failure(tablet, { type: 'reject', callId: second.callId })).toMatchObject({ code: 'CALL_ALREADY_ANSWERED' });
      // the device that won may repeat its accept and hears the same answer
      expect(await result(phone, { type: 'accept', callId: second.callId })).toMatchObject({ state: 'accepted' });
      expect(await failure(carol, { type: 'accept', callId: `nope-${run}` })).toMatchObject({ code: 'CALL_NOT_FOUND', retryable: false });
      expect(await failure(carol, { type: 'hangup', callId: `nope-${run}` })).toMatchObject({ code: 'CALL_NOT_FOUND' });
      const dave = await cluster.connect(2, daveId());
      expect(await failure(dave, { type: 'hangup', callId: second.callId })).toMatchObject({ code: 'FORBIDDEN' });
      expect(await failure(dave, { type: 'invite', to: id('carol') })).toMatchObject({ code: 'FORBIDDEN' });
      // an invite repeated with its call id answers where that call is; another caller cannot take the id
      expect(await result(carol, { type: 'invite', to: id('pat'), callId: second.callId })).toMatchObject({ callId: second.callId, state: 'accepted' });
      expect(await failure(dave, { type: 'invite', to: id('pat'), callId: second.callId })).toMatchObject({ code: 'CALL_ID_TAKEN' });
    });

    it('ends an unanswered call as missed for both sides, in history, and tells the webhook', async () => {
      const carol = await cluster.connect(0, carolId());
      const phone = await cluster.connect(1, patId());
      const { callId, ringUntil } = await result(carol, { type: 'invite', to: id('pat') });
      await event(phone, callId, 'invite');
      const [atPat, atCarol] = await Promise.all([event(phone, callId, 'ended'), event(carol, callId, 'ended')]);
      note('missed after the end of the ring (ms)', Date.now() - ringUntil!);
      expect(atPat).toMatchObject({ reason: 'missed', durationMs: 0 });
      expect(atPat.from).toBeUndefined();
      expect(atCarol).toMatchObject({ reason: 'missed' });
      const missed = await webhook('call.missed', callId);
      expect(missed.data).toMatchObject({ callId, calleeId: id('pat'), callerId: id('carol'), escalated: false });
      expect((await history(phone))[0]).toMatchObject({ callId, peer: id('carol'), direction: 'incoming', reason: 'missed', answeredAt: null });
      expect((await history(carol))[0]).toMatchObject({ callId, direction: 'outgoing', reason: 'missed' });
      expect(await failure(phone, { type: 'accept', callId })).toMatchObject({ code: 'CALL_ENDED', details: { reason: 'missed' } });
    });

    it('resolves glare (both call each other at once) to one call, accepted', async () => {
      const carol = await cluster.connect(0, carolId());
      const pat = await cluster.connect(1, patId());
      const [fromCarol, fromPat] = await Promise.all([
        result(carol, { type: 'invite', to: id('pat'), callId: `c-${run}` }),
        result(pat, { type: 'invite', to: id('carol'), callId: `p-${run}` }),
      ]);
      expect(fromCarol.callId).toBe(fromPat.callId);
      const [first, second] = fromCarol.glare ? [fromPat, fromCarol] : [fromCarol, fromPat];
      expect(first).toMatchObject({ state: 'ringing' });
      expect(second).toMatchObject({ state: 'accepted', glare: true });
      const [firstCaller, secondCaller] = first === fromCarol ? [carol, pat] : [pat, carol];
      // the first caller hears its call accepted by the device that called back
      expect(await event(firstCaller, first.callId, 'accepted')).toMatchObject({ answeredBy: { sessionId: secondCaller.welcome.sessionId } });
      await result(secondCaller, { type: 'hangup', callId: first.callId });
      expect(await event(firstCaller, first.callId, 'ended')).toMatchObject({ reason: 'completed' });
      const [entry] = await history(carol);
      expect(entry).toMatchObject({ callId: first.callId, reason: 'completed' });
    });

    it('decides two accepts racing on two nodes with exactly one winner, every time', async () => {
      const carol = await cluster.connect(0, carolId());
      const phone = await cluster.connect(1, patId());
      const tablet = await cluster.connect(2, patId());
      for (let i = 0; i < 15; i++) {
        const { callId } = await result(carol, { type: 'invite', to: id('pat') });
        await Promise.all([event(phone, callId, 'invite'), event(tablet, callId, 'invite')]);
        const answers = await Promise.all([phone.request({ type: 'accept', callId }), tablet.request({ type: 'accept', callId })]);
        const winners = answers.filter((a) => a.type === 'ack');
        expect(winners).toHaveLength(1);
        expect(answers.find((a) => a.type === 'error')).toMatchObject({ code: 'CALL_ALREADY_ANSWERED' });
        const loser = winners[0] === answers[0] ? tablet : phone;
        await event(loser, callId, 'answered_elsewhere');
        await event(carol, callId, 'accepted');
        await result(carol, { type: 'hangup', callId });
      }
      expect(carol.frames.filter((f) => f.type === 'call' && f.event === 'accepted')).toEqual([]);
    });

    it('keeps the call pending for a callee with no device, wakes it through the signed webhook, and rings the device that connects', async () => {
      const carol = await cluster.connect(0, carolId());
      const { callId, devices, woken } = await result(carol, { type: 'invite', to: id('pat') });
      expect({ devices, woken }).toEqual({ devices: 0, woken: true });
      const wake = await webhook('call.invite', callId);
      expect(wake.data).toMatchObject({ callId, calleeId: id('pat'), callerId: id('carol'), callerRole: 'caregiver', kind: 'call', media: 'audio' });
      const connectStarted = performance.now();
      const phone = await cluster.connect(2, patId());
      const invite = await event(phone, callId, 'invite');
      note('pending invite after the connect began (ms)', performance.now() - connectStarted);
      expect(invite.seq).toBe(1);
      await result(phone, { type: 'accept', callId });
      await event(carol, callId, 'accepted');
      // the push service rang a phone that has answered: it hears to stop
      expect((await webhook('call.ended', callId)).data).toMatchObject({ reason: 'answered', calleeId: id('pat') });
    });

    it("rings a patient's care circle in order, the next when one does not answer", async () => {
      const pat = await cluster.connect(0, patId());
      const carol = await cluster.connect(1, carolId());
      const dave = await cluster.connect(2, daveId());
      const call = await result(pat, { type: 'invite', circle: true });
      expect(call).toMatchObject({ state: 'ringing', to: id('carol'), devices: 1 });
      await event(carol, call.callId, 'invite');
      const moved = await event(pat, call.callId, 'escalated');
      expect(moved).toMatchObject({ callee: id('dave'), reason: 'missed' });
      expect(await event(carol, call.callId, 'escalated')).toMatchObject({ callee: id('dave') });
      expect(await event(dave, call.callId, 'invite')).toMatchObject({ caller: { userId: id('pat') }, callee: id('dave') });
      expect(await failure(carol, { type: 'accept', callId: call.callId })).toMatchObject({ code: 'FORBIDDEN' });
      await result(dave, { type: 'accept', callId: call.callId });
      expect(await event(pat, call.callId, 'accepted')).toMatchObject({ answeredBy: { userId: id('dave') } });
      expect((await history(carol))[0]).toMatchObject({ callId: call.callId, reason: 'missed', escalated: true, peer: id('pat') });
      expect((await webhook('call.missed', call.callId)).data).toMatchObject({ calleeId: id('carol'), escalated: true });
    });

    it('raises an SOS for the whole circle and escalates on a decline at once', async () => {
      const pat = await cluster.connect(0, patId());
      const carol = await cluster.connect(1, carolId());
      const dave = await cluster.connect(2, daveId());
      const sos = await result(pat, { type: 'sos' });
      expect(sos).toMatchObject({ state: 'ringing', to: id('carol') });
      for (const caregiver of [carol, dave]) {
        expect(await caregiver.next('alert')).toMatchObject({ kind: 'sos', alertId: sos.alertId, patientId: id('pat'), callId: sos.callId, from: { userId: id('pat') } });
      }
      expect(await event(carol, sos.callId, 'invite')).toMatchObject({ kind: 'sos' });
      expect(await result(carol, { type: 'reject', callId: sos.callId })).toMatchObject({ state: 'ringing', to: id('dave') });
      expect(await event(pat, sos.callId, 'escalated')).toMatchObject({ callee: id('dave'), reason: 'declined' });
      await event(dave, sos.callId, 'invite');
      // nobody else: after dave's step the SOS call is missed for the patient
      expect(await event(pat, sos.callId, 'ended')).toMatchObject({ reason: 'missed', kind: 'sos' });
      const caregiverOnly = await cluster.connect(1, carolId());
      expect(await failure(caregiverOnly, { type: 'sos' })).toMatchObject({ code: 'FORBIDDEN' });
      const alone = await cluster.connect(1, { sub: id('eve'), role: 'patient' });
      expect(await failure(alone, { type: 'sos' })).toMatchObject({ code: 'NO_CARE_CIRCLE' });
    });

    it('pages call history newest first', async () => {
      const carol = await cluster.connect(0, carolId());
      await cluster.connect(1, patId());
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { callId } = await result(carol, { type: 'invite', to: id('pat') });
        await result(carol, { type: 'cancel', callId });
        ids.unshift(callId);
      }
      await Promise.all(cluster.nodes.map((n) => n.calls.historySettled()));
      const seen: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = (await carol.ok({ type: 'calls', limit: 2, ...(before && { before }) })) as CallsResult;
        seen.push(...page.calls.map((c) => c.callId));
        if (!page.next) break;
        before = page.next;
      }
      const all = ((await carol.ok({ type: 'calls', limit: 100 })) as CallsResult).calls;
      expect(seen).toEqual(all.map((c) => c.callId));
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(all.every((c, i) => i === 0 || c.startedAt <= all[i - 1]!.startedAt)).toBe(true);
      expect(await failure(carol, { type: 'calls', before: 'not-a-cursor' })).toMatchObject({ code: 'BAD_FRAME' });
    });
  });
}
