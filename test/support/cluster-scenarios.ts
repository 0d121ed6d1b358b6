/**
 * The multi-node scenarios, written once and run on every Bus/Store pairing: in-process memory
 * (test/cluster-memory.test.ts) and real RabbitMQ + Redis (test/cluster-amqp.test.ts). They
 * include the two production bugs of DESIGN.md as regressions: peers on different nodes (a
 * node-local broker) and a message sent the instant a subscription is acknowledged.
 * Add a scenario here and every backend runs it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Cluster, type ClusterOptions, startCluster } from './cluster.ts';
import type { TestClient } from './client.ts';

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const ice = (n: number) => ({ kind: 'ice', candidate: { candidate: `candidate:${n} 1 udp 1 192.0.2.1 ${5000 + n} typ host`, sdpMid: '0', sdpMLineIndex: 0 } });

async function callSetup(caller: TestClient, callee: TestClient, callerId: string, calleeId: string, callId: string): Promise<void> {
  const send = (from: TestClient, to: string, signal: object) => from.ok({ type: 'signal', to: `user:${to}`, callId, signal } as never);
  const expectAt = async (client: TestClient, kinds: string[]) => {
    for (const kind of kinds) expect((await client.next('signal', (s) => s.callId === callId)).signal.kind).toBe(kind);
  };
  await send(caller, calleeId, { kind: 'invite', media: 'audio' });
  await expectAt(callee, ['invite']);
  await send(callee, callerId, { kind: 'ringing' });
  await send(callee, callerId, { kind: 'accept' });
  await expectAt(caller, ['ringing', 'accept']);
  await send(caller, calleeId, { kind: 'offer', sdp: SDP });
  await expectAt(callee, ['offer']);
  await send(callee, callerId, { kind: 'answer', sdp: SDP });
  await Promise.all([1, 2, 3].map((n) => send(caller, calleeId, ice(n))));
  await Promise.all([4, 5, 6].map((n) => send(callee, callerId, ice(n))));
  await expectAt(caller, ['answer', 'ice', 'ice', 'ice']);
  await expectAt(callee, ['ice', 'ice', 'ice']);
  await send(caller, calleeId, { kind: 'hangup' });
  await expectAt(callee, ['hangup']);
}

/**
 * `unroutable`: whether a mandatory publish to a channel no node has bound comes back (in-memory
 * and routed; false for fanout, where every connected node takes everything and the Store decides).
 */
export function describeClusterScenarios(label: string, options: () => ClusterOptions, { calls = 200, unroutable = true } = {}): void {
  describe(`three nodes (${label})`, () => {
    let cluster: Cluster;
    beforeEach(async () => (cluster = await startCluster(3, options())));
    afterEach(() => cluster.stop());

    it(`completes ${calls} call setups with caller and callee on different nodes, sending the instant the callee is live`, async () => {
      const run = Math.random().toString(36).slice(2, 8);
      for (let i = 0; i < calls; i++) {
        const callerId = `caller-${run}-${i}`;
        const calleeId = `callee-${run}-${i}`;
        const caller = await cluster.connect(i % 3, { sub: callerId, role: 'caregiver', patients: [calleeId] });
        // the callee's user channel is live cluster-wide before its welcome: the caller sends at once
        const callee = await cluster.connect((i + 1) % 3, { sub: calleeId, role: 'patient', contacts: [callerId] });
        await callSetup(caller, callee, callerId, calleeId, `call-${i}`);
        await Promise.all([caller.close(), callee.close()]);
      }
    });

    it('delivers an OFFER sent into a room the instant the subscribe ack arrives, across nodes', async () => {
      const run = Math.random().toString(36).slice(2, 8);
      const host = await cluster.connect(0, { sub: `host-${run}`, rooms: ['*'] });
      for (let i = 0; i < 50; i++) {
        const room = `room:r-${run}-${i}`;
        await host.ok({ type: 'subscribe', channel: room });
        const guest = await cluster.connect(1 + (i % 2), { sub: `guest-${run}-${i}`, rooms: ['*'] });
        const joined = await guest.ok({ type: 'subscribe', channel: room });
        expect(joined && 'members' in joined && joined.members?.map((m) => m.userId).sort()).toEqual([`guest-${run}-${i}`, `host-${run}`]);
        await guest.ok({ type: 'signal', to: room, callId: `c${i}`, signal: { kind: 'offer', sdp: SDP } });
        expect(await host.next('signal', (s) => s.callId === `c${i}`)).toMatchObject({ channel: room, from: { userId: `guest-${run}-${i}` } });
        await host.ok({ type: 'signal', to: room, callId: `c${i}`, signal: { kind: 'answer', sdp: SDP } });
        expect(await guest.next('signal', (s) => s.callId === `c${i}`)).toMatchObject({ signal: { kind: 'answer' } });
        await guest.close();
        expect(await host.next('presence', (p) => p.channel === room && p.event === 'left')).toBeTruthy();
      }
    });

    it('streams a patient on one node to caregivers on the two others, with the last position on subscribe', async () => {
      const run = Math.random().toString(36).slice(2, 8);
      const patientId = `pat-${run}`;
      const pat = await cluster.connect(0, { sub: patientId, role: 'patient' });
      const position = { lat: 1, lng: 2, accuracy: 5, timestamp: 1_790_000_000_000 };
      await pat.ok({ type: 'location', position });
      const watchers = await Promise.all([1, 2].map((n) => cluster.connect(n, { sub: `cg-${run}-${n}`, role: 'caregiver', patients: [patientId] })));
      for (const w of watchers) {
        expect(await w.ok({ type: 'subscribe', channel: `location:${patientId}` })).toMatchObject({ last: { position } });
      }
      for (let k = 1; k <= 20; k++) await pat.ok({ type: 'location', position: { ...position, timestamp: position.timestamp + k } });
      for (const w of watchers) {
        const stamps: number[] = [];
        // in fanout the position sent before the subscribe may still be queued at the watcher's
        // node and arrive just after the ack: allowed (the ack promises everything after it)
        const later = (l: { position: { timestamp: number } }) => l.position.timestamp > position.timestamp;
        for (let k = 1; k <= 20; k++) stamps.push((await w.next('location', later)).position.timestamp);
        expect(stamps).toEqual(Array.from({ length: 20 }, (_, k) => position.timestamp + k + 1));
      }
    });

    it('answers PEER_UNAVAILABLE for a user connected nowhere, and delivers once the user is on any node', async () => {
      const run = Math.random().toString(36).slice(2, 8);
      const caller = await cluster.connect(0, { sub: `a-${run}`, contacts: [`b-${run}`] });
      const started = Date.now();
      const answer = await caller.request({ type: 'signal', to: `user:b-${run}`, callId: 'x', signal: { kind: 'invite', media: 'audio' } });
      expect(answer).toMatchObject({ type: 'error', code: 'PEER_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1_000);
      const callee = await cluster.connect(2, { sub: `b-${run}` });
      await caller.ok({ type: 'signal', to: `user:b-${run}`, callId: 'x', signal: { kind: 'invite', media: 'audio' } });
      expect(await callee.next('signal')).toMatchObject({ from: { userId: `a-${run}` } });
    });

    it('relays a burst of candidates sent back to back (one broker message on RabbitMQ) as that many deliveries, in order, each acked; to a peer away, each acked queued and replayed in order', async () => {
      const run = Math.random().toString(36).slice(2, 8);
      const calleeId = { sub: `callee-${run}`, role: 'patient', contacts: [`caller-${run}`] };
      const caller = await cluster.connect(0, { sub: `caller-${run}`, role: 'caregiver', patients: [`callee-${run}`] });
      const callee = await cluster.connect(1, calleeId);
      const burst = (from: number) => Array.from({ length: 20 }, (_, i) => caller.request({ type: 'signal', to: `user:callee-${run}`, callId: 'b', signal: ice(from + i) } as never));
      const answers = await Promise.all(burst(0));
      expect(answers.map((a) => a.type === 'ack' && (a.result ?? 'plain'))).toEqual(new Array(20).fill('plain'));
      const got = [];
      for (let i = 0; i < 20; i++) got.push(await callee.next('signal'));
      expect(got.map((s) => s.signal)).toEqual(Array.from({ length: 20 }, (_, i) => ice(i)));
      expect(callee.gaps).toEqual([]);
      // away: no node has the callee's channel bound, so each comes back (queued), and each is kept for it
      await cluster.drop(callee);
      const away = await Promise.all(burst(20));
      expect(away.map((a) => a.type === 'ack' && (a.result ?? 'plain'))).toEqual(new Array(20).fill(unroutable ? { queued: true } : 'plain'));
      const resumed = await cluster.resume(2, calleeId, callee);
      const replayed = [];
      for (let i = 0; i < 20; i++) replayed.push(await resumed.next('signal'));
      expect(replayed.map((s) => s.signal)).toEqual(Array.from({ length: 20 }, (_, i) => ice(20 + i)));
      expect(resumed.gaps).toEqual([]);
    });
  });
}
