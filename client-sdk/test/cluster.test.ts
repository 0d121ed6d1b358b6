/**
 * The SDK against real Tether nodes: three in one process sharing an in-memory bus and store
 * (test/support/cluster.ts), clients on different nodes, a node draining mid-session.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DevTokenRequest } from '../../src/auth/dev-tokens.ts';
import { type Cluster, startCluster } from '../../test/support/cluster.ts';
import { LocationPublisher, type LocationFix, RequestError, type TetherClient } from '../src/index.ts';
import { nextEvent } from './support/events.ts';
import { closeAll, testClient } from './support/sdk.ts';

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const ice = (n: number) => ({ candidate: `candidate:${n} 1 udp 2122260223 192.0.2.${n} 5000${n} typ host`, sdpMid: '0', sdpMLineIndex: 0 });
const fix = (timestamp: number) => ({ lat: 52.52, lng: 13.4, accuracy: 10, timestamp });

describe('the SDK against a three-node cluster', () => {
  let cluster: Cluster;
  let run: string;
  beforeEach(async () => {
    cluster = await startCluster(3);
    run = Math.random().toString(36).slice(2, 8);
  });
  afterEach(async () => {
    closeAll();
    await cluster.stop();
  });

  /** An SDK client for `who` on node `node` (or trying `node`, then the next ones, if a list). */
  function client(node: number | number[], who: DevTokenRequest): TetherClient {
    const url = Array.isArray(node) ? node.map((i) => cluster.url(i)) : cluster.url(node);
    return testClient({ url, getToken: () => cluster.token(who) });
  }

  /** Resolves with the next signal of `kind` in call `callId` that `at` receives. */
  const expectSignal = (at: TetherClient, callId: string, kind: string) =>
    nextEvent(at, 'signal', (s) => s.callId === callId && s.signal.kind === kind);

  it('completes a call-control exchange between a caregiver and a patient on different nodes', async () => {
    const [carolId, patId] = [`carol-${run}`, `pat-${run}`];
    const carol = client(0, { sub: carolId, role: 'caregiver', patients: [patId] });
    const pat = client(1, { sub: patId, role: 'patient', contacts: [carolId] });
    const [carolWelcome, patWelcome] = await Promise.all([carol.ready(), pat.ready()]);
    expect([carolWelcome.nodeId, patWelcome.nodeId]).toEqual(['node-0', 'node-1']);
    const callId = `call-${run}`;
    const toPat = (signal: Parameters<TetherClient['signal']>[2]) => carol.signal(`user:${patId}`, callId, signal);
    const toCarol = (signal: Parameters<TetherClient['signal']>[2]) => pat.signal(`user:${carolId}`, callId, signal);

    const invite = expectSignal(pat, callId, 'invite');
    expect(await toPat({ kind: 'invite' })).toEqual({ queued: false });
    expect(await invite).toMatchObject({ channel: `user:${patId}`, signal: { kind: 'invite', media: 'audio' }, from: { userId: carolId, role: 'caregiver', sessionId: carolWelcome.sessionId } });

    const accepted = Promise.all([expectSignal(carol, callId, 'ringing'), expectSignal(carol, callId, 'accept')]);
    await toCarol({ kind: 'ringing' });
    await toCarol({ kind: 'accept' });
    await accepted;

    const offer = expectSignal(pat, callId, 'offer');
    await toPat({ kind: 'offer', sdp: SDP });
    expect((await offer).signal).toEqual({ kind: 'offer', sdp: SDP });
    const answer = expectSignal(carol, callId, 'answer');
    await toCarol({ kind: 'answer', sdp: SDP });
    await answer;

    const iceAtPat: unknown[] = [];
    const iceAtCarol: unknown[] = [];
    pat.on('signal', (s) => s.signal.kind === 'ice' && iceAtPat.push(s.signal.candidate));
    carol.on('signal', (s) => s.signal.kind === 'ice' && iceAtCarol.push(s.signal.candidate));
    const hangup = expectSignal(pat, callId, 'hangup');
    const endOfCandidates = expectSignal(carol, callId, 'hangup');
    await Promise.all([1, 2, 3].map((n) => toPat({ kind: 'ice', candidate: ice(n) })));
    await Promise.all([4, 5, 6].map((n) => toCarol({ kind: 'ice', candidate: ice(n) })));
    await toPat({ kind: 'ice', candidate: null });
    await toPat({ kind: 'hangup', reason: 'done' });
    await toCarol({ kind: 'hangup' });
    await Promise.all([hangup, endOfCandidates]);
    // per sender and channel in order, even when sent without waiting for each ack
    expect(iceAtPat).toEqual([ice(1), ice(2), ice(3), null]);
    expect(iceAtCarol).toEqual([ice(4), ice(5), ice(6)]);
  });

  it('rejects a signal to a user who is connected nowhere with PEER_UNAVAILABLE, at once', async () => {
    const carol = client(0, { sub: `carol-${run}`, role: 'caregiver', patients: [`away-${run}`] });
    const error = await carol.signal(`user:away-${run}`, 'c', { kind: 'invite' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestError);
    expect(error).toMatchObject({ code: 'PEER_UNAVAILABLE', retryable: true });
  });

  it('delivers a room signal sent right after subscribe, without awaiting it, every time (100 rooms)', async () => {
    const grant = { rooms: [`r-${run}-*`] };
    const host = client(0, { sub: `host-${run}`, ...grant });
    const guests = [client(1, { sub: `guest-a-${run}`, ...grant }), client(2, { sub: `guest-b-${run}`, ...grant })];
    for (let i = 0; i < 100; i++) {
      const room = `room:r-${run}-${i}` as const;
      const guest = guests[i % 2]!;
      await host.subscribe(room);
      const offer = nextEvent(host, 'signal', (s) => s.callId === `c${i}`);
      // the SDK holds the offer until the join is acknowledged: no await between the two
      const joined = guest.subscribe(room);
      await guest.signal(room, `c${i}`, { kind: 'offer', sdp: SDP });
      expect(await offer).toMatchObject({ channel: room, from: { userId: guest === guests[0] ? `guest-a-${run}` : `guest-b-${run}` } });
      expect((await joined).members?.map((m) => m.userId).sort()).toEqual([`guest-${i % 2 ? 'b' : 'a'}-${run}`, `host-${run}`]);
      const answer = nextEvent(guest, 'signal', (s) => s.callId === `c${i}`);
      await host.signal(room, `c${i}`, { kind: 'answer', sdp: SDP });
      await answer;
      await Promise.all([host.unsubscribe(room), guest.unsubscribe(room)]);
    }
  });

  it('moves to another node when its node drains (1012), resumes its session, sends what was queued and keeps receiving', async () => {
    const grant = { rooms: [`r-${run}`] };
    const room = `room:r-${run}` as const;
    const amy = client([0, 1, 2], { sub: `amy-${run}`, ...grant });
    const ben = client(2, { sub: `ben-${run}`, ...grant });
    expect((await amy.ready()).nodeId).toBe('node-0');
    await Promise.all([amy.subscribe(room), ben.subscribe(room)]);

    let sentWhileAway: Promise<unknown> | undefined;
    amy.on('state', (s) => {
      if (s.state === 'reconnecting') sentWhileAway ??= amy.signal(room, 'while-away', { kind: 'offer', sdp: SDP });
    });
    const down = nextEvent(amy, 'state', (s) => s.state === 'reconnecting');
    const reopened = nextEvent(amy, 'welcome');
    const queuedArrives = nextEvent(ben, 'signal', (s) => s.callId === 'while-away');
    const resubscribed: string[] = [];
    amy.on('subscribed', (e) => resubscribed.push(e.channel));
    const sessionId = amy.welcome!.sessionId;
    await cluster.nodes[0]!.shutdown(0);

    expect(await down).toMatchObject({ closeCode: 1012, reason: 'closed with 1012: server restarting; reconnect' });
    // the session and its room membership moved with it: nothing to subscribe again
    expect(await reopened).toMatchObject({ nodeId: 'node-1', sessionId, resumed: { ok: true }, subscriptions: expect.arrayContaining([room]) });
    expect(await queuedArrives).toMatchObject({ from: { userId: `amy-${run}`, sessionId } });
    expect(resubscribed).toEqual([]);
    await sentWhileAway;

    const live = nextEvent(amy, 'signal', (s) => s.callId === 'after');
    await ben.signal(room, 'after', { kind: 'answer', sdp: SDP });
    expect(await live).toMatchObject({ channel: room, from: { userId: `ben-${run}` } });
    expect(amy.state).toBe('open');
  });

  it('streams a patient to a caregiver on another node: last known position, then live fixes', async () => {
    const patId = `pat-${run}`;
    const pat = client(0, { sub: patId, role: 'patient' });
    const carol = client(2, { sub: `carol-${run}`, role: 'caregiver', patients: [patId] });
    await pat.publishLocation(fix(1_790_000_000_000));
    const fixes: LocationFix[] = [];
    const watch = await carol.watchLocation(patId, (f) => fixes.push(f));
    expect(fixes).toMatchObject([{ position: fix(1_790_000_000_000), live: false, from: { userId: patId } }]);

    const publisher = new LocationPublisher(pat, { intervalMs: 1 });
    const live = nextEvent(carol, 'location', (l) => l.position.timestamp === 1_790_000_000_005);
    publisher.update(fix(1_790_000_000_005));
    await live;
    expect(fixes.at(-1)).toMatchObject({ position: fix(1_790_000_000_005), live: true });
    publisher.stop();
    await watch.stop();
  });

  it('stops for good when the token is refused (401, twice), with the status', async () => {
    const refused = testClient({ url: cluster.url(0), token: 'not-a-jwt' });
    const closed = await nextEvent(refused, 'state', (s) => s.state === 'closed');
    expect(closed).toMatchObject({ httpStatus: 401, error: { code: 'CONNECTION_CLOSED', retryable: false } });
  });
});
