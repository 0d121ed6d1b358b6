/**
 * Regression tests for the session core's delivery contract, one per defect found at the edges of
 * a session's life and listed in the issue "A session core that keeps the delivery contract"
 * (numbered as there), each named after the bug; those found later, in reviews, are in
 * session-core-review-regressions.test.ts. Races are forced with an Interceptor holding one Bus or Store call at a named point,
 * never with sleeps. Three in-process nodes share one in-memory broker and store.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { MemoryBus } from '../src/bus/memory.ts';
import { MemoryStore, MemoryStoreData } from '../src/store/memory.ts';
import { RedisStore } from '../src/store/redis.ts';
import { TestClient } from './support/client.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import { Interceptor } from './support/interceptor.ts';
import { carolId, ice, offer, patId, signal } from './support/session-core.ts';


describe('session core regressions', () => {
  let cluster: Cluster;
  afterEach(() => cluster?.stop());

  it('1. a direct signal that reaches the node just after its recipient disconnected is replayed on resume, not acked and lost', async () => {
    const node1 = new Interceptor();
    cluster = await startCluster(3, { intercept: (i) => (i === 1 ? node1 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    const cleanup = node1.hold('store.endSession:before');
    const gone = cluster.drop(pat);
    await cleanup.reached; // the socket is closed; node 1 still has pat's channel bound
    expect(await carol.request(signal('user:pat', offer))).toMatchObject({ type: 'ack' });
    cleanup.release();
    await gone;
    const resumed = await cluster.resume(2, patId, pat);
    expect(resumed.welcome.resumed).toEqual({ ok: true, replayed: 1 });
    expect(await resumed.next('signal')).toMatchObject({ seq: pat.lastSeq + 1, signal: offer });
    await resumed.ok({ type: 'ping' });
    expect(resumed.frames.filter((f) => f.type === 'signal')).toEqual([]);
  });

  it('1. a slow consumer closed with 4001 loses none of the signals acked to its sender, before or during its cleanup: what it did not read is replayed', async () => {
    const node0 = new Interceptor();
    cluster = await startCluster(2, {
      config: { MAX_BUFFERED_BYTES: 64 * 1024, RATE_PER_SECOND: 10_000, RATE_BURST: 10_000, RESUME_MAX_FRAMES: 5_000, RESUME_MAX_BYTES: 128 * 1024 * 1024 },
      intercept: (i) => (i === 0 ? node0 : undefined),
    });
    const slowId = { sub: 'slow', role: 'patient', contacts: ['fast'] };
    const slow = await cluster.connect(0, slowId);
    const fast = await cluster.connect(1, { sub: 'fast', contacts: ['slow'] });
    // the node will see the close, with the channel still bound and the session not yet ended
    const cleanup = node0.hold('store.endSession:before', (args) => args[0] === slow.welcome.sessionId);
    const ended = cluster.serverEnded(slow);
    const serverSide = [...cluster.nodes[0]!.gateway.connections][0]!;
    const closed = once(serverSide.ws, 'close');
    slow.ws.pause();
    const acked: number[] = [];
    // 16 KB each: what the closed socket did not take is replayed to the resumed one, whose kernel
    // buffers must take it at once (a replay larger than the send buffer would be closed with 4001 too)
    const send = async (from: number, count: number): Promise<void> => {
      const answers = await Promise.all(Array.from({ length: count }, (_, i) => fast.request(signal('user:slow', { kind: 'offer', sdp: `${from + i}:${'a'.repeat(16_000)}` }))));
      for (const [i, answer] of answers.entries()) if (answer.type === 'ack') acked.push(from + i);
    };
    // enough to fill the kernel's socket buffers and then the node's send buffer
    let n = 0;
    for (; n < 5_000 && serverSide.ws.readyState === serverSide.ws.OPEN; n += 20) await send(n, 20);
    slow.ws.resume();
    expect(await slow.closed).toMatchObject({ code: 4001 });
    await closed;
    await cleanup.reached;
    await send(n, 3);
    cleanup.release();
    await ended;
    const resumed = await cluster.resume(1, slowId, slow);
    expect(resumed.welcome.resumed).toMatchObject({ ok: true });
    const replayed = resumed.welcome.resumed?.ok ? resumed.welcome.resumed.replayed : 0;
    for (let i = 0; i < replayed; i++) await resumed.next('signal');
    const numbers = [...slow.received, ...resumed.received].flatMap((f) => (f.type === 'signal' && f.signal.kind === 'offer' ? [Number(f.signal.sdp.split(':')[0])] : []));
    expect(numbers).toEqual(acked);
    expect(slow.gaps).toEqual([]);
    expect(resumed.gaps).toEqual([]);
  });

  it('1. after a clean close (1000) a signal is answered PEER_UNAVAILABLE and a resume is UNKNOWN, at once', async () => {
    cluster = await startCluster(2);
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    await pat.close();
    expect(await carol.request(signal('user:pat', offer))).toMatchObject({ type: 'error', code: 'PEER_UNAVAILABLE' });
    const again = await cluster.resume(0, patId, pat);
    expect(again.welcome.resumed).toEqual({ ok: false, reason: 'UNKNOWN' });
  });

  it('1. a signal sent while a clean close is being cleaned up is kept and replayed to a resume sent at once: never acked and lost', async () => {
    const node1 = new Interceptor();
    cluster = await startCluster(2, { intercept: (i) => (i === 1 ? node1 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    // the node saw the close; its channel is still bound there and the record not yet forgotten
    const cleanup = node1.hold('store.endSession:before', (args) => args[0] === pat.welcome.sessionId);
    await pat.close();
    await cleanup.reached;
    const answer = await carol.request(signal('user:pat', offer));
    const again = await cluster.resume(0, patId, pat);
    cleanup.release();
    expect({ answer: answer.type === 'ack' ? answer.result : answer.code, resumed: again.welcome.resumed }).toEqual({ answer: { queued: true }, resumed: { ok: true, replayed: 1 } });
    expect(await again.next('signal')).toMatchObject({ signal: offer });
  });

  it('2. a request still queued, and one in progress, when the socket closes leave no binding, roster entry or subscription behind', async () => {
    const node1 = new Interceptor();
    cluster = await startCluster(2, { intercept: (i) => (i === 1 ? node1 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    const joining = node1.hold('store.joinRoom:after');
    pat.send({ type: 'subscribe', id: 's1', channel: 'room:care-1' });
    pat.send({ type: 'subscribe', id: 's2', channel: 'room:care-2' });
    pat.send({ type: 'subscribe', id: 's3', channel: 'location:pat' });
    await joining.reached;
    const closed = cluster.serverClosed(pat);
    const gone = cluster.drop(pat);
    await closed;
    joining.release();
    await gone;
    const node = cluster.nodes[1]!;
    expect(node.relay.channelCount).toBe(0);
    expect(cluster.broker.boundChannels().filter((c) => c !== 'user:carol')).toEqual([]);
    expect(await node.store.roomMembers('care-1', Date.now())).toEqual([]);
    expect(await node.store.roomMembers('care-2', Date.now())).toEqual([]);
    // kept resumable with the channels it had before the close, and nothing half-done
    const resumed = await cluster.resume(0, patId, pat);
    expect(resumed.welcome.subscriptions).toEqual(['user:pat']);
    expect(await carol.request(signal('user:pat', offer))).toMatchObject({ type: 'ack' });
    expect(await resumed.next('signal')).toMatchObject({ signal: offer });
  });

  it('2. a resume interrupted by a close binds nothing and leaves the session resumable', async () => {
    const node1 = new Interceptor();
    cluster = await startCluster(2, { intercept: (i) => (i === 1 ? node1 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(0, patId);
    await pat.ok({ type: 'subscribe', channel: 'room:care-1' });
    await cluster.drop(pat);
    const taking = node1.hold('store.takeOver:after');
    const attempt = TestClient.connect(cluster.url(1), await cluster.token(patId), {}, { token: pat.welcome.resume!.token, lastSeq: pat.lastSeq }).catch(() => null);
    await taking.reached;
    const node = cluster.nodes[1]!;
    const connection = [...node.gateway.connections][0]!;
    const closed = once(connection.ws, 'close');
    connection.ws.terminate();
    await closed; // the node has seen the close before the takeover answers
    taking.release();
    await connection.ended;
    expect(await attempt).toBeNull();
    expect(node.relay.channelCount).toBe(0);
    expect(cluster.broker.boundChannels().sort()).toEqual(['user:carol']);
    // with no binding left, a signal is kept for the session, not acked into nowhere
    expect(await carol.ok(signal('user:pat', offer))).toEqual({ queued: true });
    const resumed = await cluster.resume(0, patId, pat);
    expect(resumed.welcome.resumed).toEqual({ ok: true, replayed: 1 });
    expect(resumed.welcome.subscriptions.sort()).toEqual(['room:care-1', 'user:pat']);
    expect(await resumed.next('signal')).toMatchObject({ signal: offer });
  });

  it('3. a resume while the old node still holds the dead socket loses nothing: the old node is fenced and closes it with 4509', async () => {
    const node2 = new Interceptor();
    cluster = await startCluster(3, { intercept: (i) => (i === 2 ? node2 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const old = await cluster.connect(1, patId);
    await carol.ok(signal('user:pat', ice(1)));
    await old.next('signal');
    // the phone's link died silently: node 1 still has the socket; the app resumes on node 2
    old.ws.pause();
    const taking = node2.hold('store.takeOver:after');
    const resuming = TestClient.connect(cluster.url(2), await cluster.token(patId), {}, { token: old.welcome.resume!.token, lastSeq: old.lastSeq });
    await taking.reached;
    // taken over in the store, the new node not yet told: node 1 still delivers to its socket
    for (const n of [2, 3]) await carol.ok(signal('user:pat', ice(n)));
    taking.release();
    const resumed = await resuming;
    for (const n of [4, 5]) await carol.ok(signal('user:pat', ice(n)));
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await resumed.next('signal'));
    expect(got.map((s) => s.signal)).toEqual([ice(2), ice(3), ice(4), ice(5)]);
    expect(got.map((s) => s.seq)).toEqual([old.lastSeq + 1, old.lastSeq + 2, old.lastSeq + 3, old.lastSeq + 4]);
    old.ws.resume();
    expect(await old.closed).toMatchObject({ code: 4509 });
    expect(old.received.filter((f) => f.type === 'signal')).toHaveLength(1);
  });

  it('4. signals sent while the recipient resumes arrive in the order sent (no offer overtaken by its ICE)', async () => {
    const node2 = new Interceptor();
    cluster = await startCluster(3, { intercept: (i) => (i === 2 ? node2 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    await cluster.drop(pat);
    const binding = node2.hold('bus.subscribe:before', (args) => args[0] === 'user:pat');
    const resuming = cluster.resume(2, patId, pat);
    await binding.reached;
    const answers = [carol.request(signal('user:pat', offer)), carol.request(signal('user:pat', ice(1))), carol.request(signal('user:pat', ice(2)))];
    expect((await Promise.all(answers)).map((a) => a.type === 'ack' && a.result)).toEqual([{ queued: true }, { queued: true }, { queued: true }]);
    binding.release();
    const resumed = await resuming;
    const got = [await resumed.next('signal'), await resumed.next('signal'), await resumed.next('signal')];
    expect(got.map((s) => s.signal)).toEqual([offer, ice(1), ice(2)]);
    await carol.ok(signal('user:pat', ice(3)));
    expect((await resumed.next('signal')).signal).toEqual(ice(3));
  });

  it('5. nothing is delivered before welcome on a fresh connection', async () => {
    const node1 = new Interceptor();
    cluster = await startCluster(2, { intercept: (i) => (i === 1 ? node1 : undefined) });
    const phone = await cluster.connect(0, patId);
    const registering = node1.hold('store.openSession:before');
    const tablet = TestClient.connect(cluster.url(1), await cluster.token(patId));
    await registering.reached; // bound, not yet welcomed
    await phone.ok(signal('user:pat', offer));
    registering.release();
    const client = await tablet;
    expect(client.received[0]?.type).toBe('welcome');
    expect(await client.next('signal')).toMatchObject({ seq: 1, signal: offer });
  });

  it('6. no subscribe is acked, and no second device welcomed, while the bus is down, even for a channel bound here already', async () => {
    const bus = new MemoryBus();
    cluster = await startCluster(1, { makeBus: () => bus });
    const first = await cluster.connect(0, carolId);
    const second = await cluster.connect(0, { ...carolId, sub: 'dan' });
    await first.ok({ type: 'subscribe', channel: 'room:care-1' });
    bus.simulateOutage(true);
    expect(await second.request({ type: 'subscribe', channel: 'room:care-1' })).toMatchObject({ type: 'error', code: 'BUS_UNAVAILABLE', retryable: true });
    const device = await TestClient.connect(cluster.url(), await cluster.token(carolId)).then(
      () => 'welcomed',
      () => 'refused',
    );
    expect(device).toBe('refused');
    bus.simulateOutage(false);
    expect(await second.ok({ type: 'subscribe', channel: 'room:care-1' })).toMatchObject({ channel: 'room:care-1' });
  });

  it('7. frames whose log write failed make a resume from before them INCOMPLETE, never ok with a gap', async () => {
    const node1 = new Interceptor();
    cluster = await startCluster(2, { intercept: (i) => (i === 1 ? node1 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    for (const n of [1, 2]) await carol.ok(signal('user:pat', ice(n)));
    for (const n of [1, 2]) expect(await pat.next('signal')).toMatchObject({ seq: n });
    node1.fail('store.logDeliveries:before', new Error('store unreachable'));
    await carol.ok(signal('user:pat', ice(3)));
    expect(await pat.next('signal')).toMatchObject({ seq: 3 });
    for (const n of [4, 5]) await carol.ok(signal('user:pat', ice(n)));
    for (const n of [4, 5]) expect(await pat.next('signal')).toMatchObject({ seq: n });
    await cluster.drop(pat);
    // this client lost 3..5 with the old socket
    const resumed = await cluster.connect(0, patId, { token: pat.welcome.resume!.token, lastSeq: 2 });
    expect(resumed.welcome.resumed).toEqual({ ok: false, reason: 'INCOMPLETE' });
  });

  it('8. answers to reads are not kept: a read sent again with the same id runs again', async () => {
    cluster = await startCluster(1);
    const pat = await cluster.connect(0, patId);
    const carol = await cluster.connect(0, carolId);
    const position = (n: number) => ({ lat: 48 + n / 100, lng: 11, accuracy: 5, timestamp: Date.now() });
    await pat.ok({ type: 'location', position: position(1) });
    const first = await carol.ok({ type: 'history', id: 'h1', channel: 'location:pat' });
    await pat.ok({ type: 'location', position: position(2) });
    const again = await carol.ok({ type: 'history', id: 'h1', channel: 'location:pat' });
    expect(first).toMatchObject({ positions: [expect.anything()] });
    expect(again).toMatchObject({ positions: [expect.anything(), expect.anything()] });
    // a write is still answered once: the same id again gets the first answer and acts once
    await carol.ok({ type: 'subscribe', channel: 'location:pat' });
    await pat.ok({ type: 'location', id: 'l1', position: position(3) });
    await pat.ok({ type: 'location', id: 'l1', position: position(4) });
    await pat.ok({ type: 'ping' });
    expect((await carol.next('location')).position.lat).toBe(48.03);
    await carol.ok({ type: 'ping' });
    expect(carol.frames.filter((f) => f.type === 'location')).toEqual([]);
  });

  it('9. a presence tick during a resume lists no ghost session for the temporary id', async () => {
    const node1 = new Interceptor();
    cluster = await startCluster(2, { intercept: (i) => (i === 1 ? node1 : undefined) });
    const pat = await cluster.connect(0, patId);
    await cluster.drop(pat);
    const taking = node1.hold('store.takeOver:before');
    const resuming = cluster.resume(1, patId, pat);
    await taking.reached;
    // a renewal issued now, while the session's id on node 1 is still a temporary one
    const ticking = cluster.nodes[1]!.presence.tick();
    taking.release();
    await ticking;
    await resuming;
    await cluster.nodes[1]!.presence.tick();
    const live = await cluster.nodes[0]!.store.userSessions('pat', Date.now());
    expect(live.map((m) => m.sessionId)).toEqual([pat.welcome.sessionId]);
  });

  it('9. after a store outage a node registers its sessions again in one batch, and never takes back one resumed elsewhere', async () => {
    const node0 = new Interceptor();
    const stores: MemoryStore[] = [];
    const shared = new MemoryStoreData();
    cluster = await startCluster(2, { intercept: (i) => (i === 0 ? node0 : undefined), makeStore: (i) => (stores[i] = new MemoryStore({ data: shared })) });
    const carol = await cluster.connect(1, carolId);
    const others = await Promise.all(['u1', 'u2', 'u3'].map((sub) => cluster.connect(0, { sub })));
    const stale = await cluster.connect(0, patId);
    stores[0]!.simulateOutage(true);
    // pat's phone moved on: it resumed on node 1 while node 0 could not reach the store
    const resumed = await cluster.resume(1, patId, stale);
    expect(resumed.welcome.resumed).toMatchObject({ ok: true });
    stores[0]!.simulateOutage(false);
    await cluster.nodes[0]!.presence.lastRestore;
    expect(node0.calls('store.registerAgain:before')).toBe(1);
    expect(await stale.closed).toMatchObject({ code: 4509 });
    await carol.ok(signal('user:pat', offer));
    expect(await resumed.next('signal')).toMatchObject({ signal: offer });
    for (const client of others) await client.ok({ type: 'ping' });
  });

  it('13. a user who keeps abandoning sessions holds at most RESUME_DETACHED_PER_USER of them', async () => {
    cluster = await startCluster(1, { config: { RESUME_DETACHED_PER_USER: 2 } });
    for (let i = 0; i < 6; i++) await cluster.drop(await cluster.connect(0, patId));
    const records = [...cluster.data.sessions.values()].filter((e) => e.member.userId === 'pat' && e.record !== null);
    expect(records).toHaveLength(2);
  });

  it('14. a resume naming a lastSeq above anything delivered is INCOMPLETE, not adopted', async () => {
    cluster = await startCluster(1);
    const pat = await cluster.connect(0, patId);
    await cluster.drop(pat);
    const resumed = await cluster.connect(0, patId, { token: pat.welcome.resume!.token, lastSeq: Number.MAX_SAFE_INTEGER });
    expect(resumed.welcome.resumed).toEqual({ ok: false, reason: 'INCOMPLETE' });
    const carol = await cluster.connect(0, carolId);
    await carol.ok(signal('user:pat', offer));
    expect(await resumed.next('signal')).toMatchObject({ seq: 1 });
  });

  it('14. a malformed upgrade URL is answered 400, without a stack trace, and the node stays up', async () => {
    cluster = await startCluster(1);
    const { port } = new URL(cluster.http());
    const socket = connect(Number(port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      'GET //[ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const [reply] = (await once(socket, 'data')) as [Buffer];
    socket.destroy();
    expect(reply.toString().split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(JSON.parse(reply.toString().split('\r\n\r\n')[1]!)).toEqual({ code: 'BAD_REQUEST', message: 'malformed request URL' });
    await (await cluster.connect(0, patId)).ok({ type: 'ping' });
  });

  it('14. a resume id naming other Redis keys names no session: UNKNOWN, on a new session', async () => {
    const prefix = `t-${randomUUID()}:`;
    cluster = await startCluster(1, { makeStore: () => new RedisStore({ url: inject('redisUrl'), prefix }) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(0, patId);
    await carol.ok(signal('user:pat', offer));
    await pat.next('signal'); // pat's resume log (a Redis list) now exists
    for (const token of [`${pat.welcome.sessionId}:log.${'a'.repeat(24)}`, `${pat.welcome.sessionId}.x.y`, '../../etc.passwd']) {
      const other = await cluster.connect(0, patId, { token, lastSeq: 0 });
      expect(other.welcome.resumed).toEqual({ ok: false, reason: 'UNKNOWN' });
      expect(other.welcome.resume).toMatchObject({ token: expect.stringContaining(other.welcome.sessionId) });
    }
  });

  it('12. a bus message handler that throws neither crashes the node nor stops delivery', async () => {
    cluster = await startCluster(2);
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    // a location observer's bug, as any code the handler runs could have
    cluster.nodes[1]!.relay.observe({
      channelAdded: () => {},
      channelRemoved: () => {},
      relayed: () => {
        throw new Error('observer bug');
      },
    });
    await carol.ok({ type: 'subscribe', channel: 'location:pat' });
    await pat.ok({ type: 'subscribe', channel: 'room:care-1' });
    await carol.ok({ type: 'subscribe', channel: 'room:care-1' });
    await pat.ok({ type: 'location', position: { lat: 1, lng: 2, accuracy: 3, timestamp: 4 } });
    await carol.ok(signal('room:care-1', offer));
    await carol.ok(signal('user:pat', ice(1)));
    expect((await pat.next('signal')).signal).toEqual(offer);
    expect((await pat.next('signal')).signal).toEqual(ice(1));
    await pat.ok({ type: 'ping' });
  });

  it('15. a signal resent after a resume, with the id whose ack the dropped connection never got, is delivered once', async () => {
    const node0 = new Interceptor();
    cluster = await startCluster(3, { intercept: (i) => (i === 0 ? node0 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    const confirming = node0.hold('bus.publish:after', (args) => args[0] === 'user:pat');
    carol.send(signal('user:pat', offer, 'offer-1'));
    await confirming.reached; // published and delivered; the ack has not been sent
    await cluster.drop(carol);
    confirming.release();
    const back = await cluster.resume(2, carolId, carol);
    expect(await back.request(signal('user:pat', offer, 'offer-1'))).toMatchObject({ type: 'ack', id: 'offer-1' });
    expect(await pat.next('signal')).toMatchObject({ signal: offer });
    await back.ok(signal('user:pat', ice(1)));
    expect((await pat.next('signal')).signal).toEqual(ice(1));
    expect(pat.frames.filter((f) => f.type === 'signal')).toEqual([]);
  });
});
