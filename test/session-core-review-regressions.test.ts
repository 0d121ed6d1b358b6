/**
 * Regression tests for the session core's delivery contract, continued: defects found in reviews
 * after the list (session-core-regressions.test.ts), numbered on from it, each named after
 * the bug. Races are forced with an Interceptor holding or failing one Bus or Store call at a
 * named point, never with sleeps. In-process nodes share one in-memory broker and store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryBus } from '../src/bus/memory.ts';
import { StoreError } from '../src/store/store.ts';
import { TestClient } from './support/client.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import { Interceptor } from './support/interceptor.ts';
import { carolId, ice, offer, patId, signal } from './support/session-core.ts';

describe('session core regressions found in review', () => {
  let cluster: Cluster;
  afterEach(() => cluster?.stop());

  it('16. a signal its sender could not keep (store unreachable there) does not overtake the same sender\'s owed signals on a resume', async () => {
    const node0 = new Interceptor();
    const node2 = new Interceptor();
    cluster = await startCluster(3, { intercept: (i) => (i === 0 ? node0 : i === 2 ? node2 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    await cluster.drop(pat);
    expect(await carol.ok(signal('user:pat', offer))).toEqual({ queued: true });
    const taking = node2.hold('store.takeOver:before');
    const resuming = cluster.resume(2, patId, pat);
    await taking.reached; // pat's channel is bound on node 2; the offer is still owed, not yet read
    // a listener bound after node 2 hears a message after node 2 has
    const spy = new MemoryBus(cluster.broker);
    await spy.start();
    const relayed = new Promise((resolve) => spy.onMessage(resolve));
    await spy.subscribe('user:pat');
    node0.fail('store.appendDirect:before', new Error('store unreachable'));
    await carol.ok(signal('user:pat', ice(1))); // relayed live only
    await relayed; // so it waits in the resume's hold
    await spy.close();
    taking.release();
    const resumed = await resuming;
    expect(resumed.welcome.resumed).toEqual({ ok: true, replayed: 1 });
    const got = [await resumed.next('signal'), await resumed.next('signal')];
    expect(got.map((s) => s.signal)).toEqual([offer, ice(1)]);
    expect(got.map((s) => s.seq)).toEqual([pat.lastSeq + 1, pat.lastSeq + 2]);
  });
  it('17. after the bus returns, signals owed from the outage arrive before newer ones the new queue delivers first', async () => {
    const broker = new MemoryBroker();
    const buses: MemoryBus[] = [];
    const node1 = new Interceptor();
    cluster = await startCluster(2, { makeBus: (i) => (buses[i] = new MemoryBus(broker)), intercept: (i) => (i === 1 ? node1 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    buses[1]!.simulateOutage(true);
    for (const n of [1, 2]) expect(await carol.ok(signal('user:pat', ice(n)))).toEqual({ queued: true });
    // as RabbitMQ's new queue: bound and delivering before the bus says it is up
    buses[1]!.simulateRebind();
    const reading = node1.hold('store.pendingFor:before');
    // a listener bound after node 1 hears a message after node 1 has
    const spy = new MemoryBus(broker);
    await spy.start();
    const relayed = new Promise((resolve) => spy.onMessage(resolve));
    await spy.subscribe('user:pat');
    await carol.ok(signal('user:pat', ice(3)));
    await relayed;
    await spy.close();
    buses[1]!.simulateOutage(false);
    await reading.reached;
    reading.release();
    const got = [await pat.next('signal'), await pat.next('signal'), await pat.next('signal')];
    expect(got.map((s) => s.signal)).toEqual([ice(1), ice(2), ice(3)]);
  });
  it('18. a store that lost its data (Redis restarted empty) closes no live session with 4509: the node registers them again', async () => {
    cluster = await startCluster(2);
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    for (const client of [carol, pat]) await client.ok({ type: 'subscribe', channel: 'room:care-1' });
    cluster.data.clear();
    await carol.ok(signal('room:care-1', offer));
    expect(await pat.next('signal')).toMatchObject({ signal: offer });
    await cluster.nodes[1]!.presence.lastRestore;
    await cluster.nodes[0]!.presence.restore();
    await carol.ok(signal('user:pat', ice(1)));
    expect(await pat.next('signal')).toMatchObject({ signal: ice(1) });
    await pat.ok({ type: 'ping' }); // still connected
    // resumable again, from after the loss
    await cluster.drop(pat);
    const resumed = await cluster.resume(0, patId, pat);
    expect(resumed.welcome.resumed).toEqual({ ok: true, replayed: 0 });
  });
  it('19. a direct signal from a connection whose session moved on (resumed, then closed cleanly) is not sent again: the stale connection gets 4509', async () => {
    const node2 = new Interceptor();
    cluster = await startCluster(3, { intercept: (i) => (i === 2 ? node2 : undefined) });
    const pat = await cluster.connect(1, patId);
    const old = await cluster.connect(2, carolId);
    const keeping = node2.hold('store.appendDirect:before');
    old.send(signal('user:pat', offer, 'offer-1'));
    await keeping.reached;
    // the phone's link died silently; the app resumes on node 0, resends, and later signs out
    old.ws.pause();
    const again = await cluster.resume(0, carolId, old);
    expect(await again.request(signal('user:pat', offer, 'offer-1'))).toMatchObject({ type: 'ack', id: 'offer-1' });
    expect(await pat.next('signal')).toMatchObject({ signal: offer });
    const gone = cluster.serverEnded(again);
    await again.close();
    await gone;
    keeping.release();
    old.ws.resume();
    expect(await old.closed).toMatchObject({ code: 4509 });
    await pat.ok({ type: 'ping' });
    expect(pat.frames.filter((f) => f.type === 'signal')).toEqual([]);
  });

  it('20. a direct signal waiting for its Store write holds up neither its session nor its order: the next requests go on, all publish in the order sent', async () => {
    const node0 = new Interceptor();
    cluster = await startCluster(2, { intercept: (i) => (i === 0 ? node0 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    const keeping = node0.hold('store.appendDirect:before');
    const first = carol.request(signal('user:pat', offer));
    await keeping.reached;
    // the offer's write is held: carol's session still answers, and takes three candidates
    expect(await carol.ok({ type: 'ping' })).toMatchObject({ ts: expect.any(Number) });
    const rest = [1, 2, 3].map((n) => carol.request(signal('user:pat', ice(n))));
    keeping.release();
    expect((await Promise.all([first, ...rest])).map((a) => a.type)).toEqual(['ack', 'ack', 'ack', 'ack']);
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await pat.next('signal'));
    expect(got.map((s) => s.signal)).toEqual([offer, ice(1), ice(2), ice(3)]);
    expect(pat.gaps).toEqual([]);
    expect(node0.calls('store.appendDirect:before')).toBe(2);
  });

  it('20. a direct signal whose Store write failed is relayed live, still before the ones sent after it', async () => {
    const node0 = new Interceptor();
    cluster = await startCluster(2, { intercept: (i) => (i === 0 ? node0 : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    const keeping = node0.hold('store.appendDirect:before');
    // the offer's write is held, then its reply lost: the node relays it live only, without an offset
    node0.fail('store.appendDirect:after', new StoreError('store down'));
    const first = carol.request(signal('user:pat', offer));
    await keeping.reached;
    const rest = [1, 2].map((n) => carol.request(signal('user:pat', ice(n))));
    keeping.release();
    expect((await Promise.all([first, ...rest])).map((a) => a.type)).toEqual(['ack', 'ack', 'ack']);
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await pat.next('signal'));
    expect(got.map((s) => s.signal)).toEqual([offer, ice(1), ice(2)]);
  });

  it('21. a node that renewed presence too late (it stalled) registers its sessions again: the record another node detached is attached again, its rooms rejoined', async () => {
    const interceptor = new Interceptor();
    cluster = await startCluster(2, { config: { PRESENCE_TTL_MS: 300 }, intercept: (i) => (i === 1 ? interceptor : undefined) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    for (const client of [carol, pat]) await client.ok({ type: 'subscribe', channel: 'room:care-1' });
    const record = () => cluster.data.sessions.get(pat.welcome.sessionId)!.record!;
    // node 1 stalls: its next renewal hangs, so its sessions lapse and node 0 claims them
    const stalled = interceptor.hold('store.touchSessions:before');
    await stalled.reached;
    await carol.next('presence', (p) => p.event === 'left' && p.from.userId === 'pat');
    expect(record().attached).toBe(false);
    stalled.release();
    await expect.poll(() => record().attached).toBe(true);
    await expect.poll(async () => (await cluster.nodes[0]!.store.roomMembers('care-1', Date.now())).map((m) => m.userId)).toContain('pat');
    await pat.ok({ type: 'ping' }); // never disconnected
  });

  it('23. a resume whose takeover reply was lost leaves no record that only looks live: it lapses, is claimed, and ends with its resume window', async () => {
    const interceptor = new Interceptor();
    cluster = await startCluster(2, {
      config: { PRESENCE_TTL_MS: 300, RESUME_WINDOW_MS: 5_000 },
      intercept: (i) => (i === 1 ? interceptor : undefined),
    });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(0, patId);
    const first = pat.welcome.sessionId;
    await cluster.drop(pat);
    // the takeover takes effect in the store; node 1 never hears back, and opens a new session
    interceptor.fail('store.takeOver:after', new StoreError('reply lost'));
    const again = await cluster.resume(1, patId, pat);
    expect(again.welcome.resumed).toEqual({ ok: false, reason: 'UNAVAILABLE' });
    await again.close();
    const record = () => cluster.data.sessions.get(first)?.record;
    // before: attached for a day with nobody renewing it, and carol told `queued` all that time
    await expect.poll(() => record()?.attached, { timeout: 10_000 }).toBe(false);
    expect(record()!.until).toBeLessThanOrEqual(Date.now() + 5_000);
    expect(await carol.ok(signal('user:pat', offer))).toEqual({ queued: true });
  });

  it('24. a stale connection (its session resumed elsewhere) that leaves a room takes nothing from the resumed session: closed with 4509, no `left`, still on the roster', async () => {
    cluster = await startCluster(2);
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(0, patId);
    for (const client of [carol, pat]) await client.ok({ type: 'subscribe', channel: 'room:care-1' });
    await carol.next('presence', (p) => p.event === 'joined' && p.from.userId === 'pat');
    // a second copy of the app resumes the session on node 1 while the first still runs on node 0
    const again = await cluster.resume(1, patId, pat);
    expect(again.welcome.resumed).toMatchObject({ ok: true });
    pat.send({ type: 'unsubscribe', channel: 'room:care-1', id: 'leave-1' });
    const outcome = await Promise.race([pat.answer('leave-1').then((a) => a.type), pat.closed.then((c) => c.code)]);
    expect(outcome).toBe(4509);
    const rosterOf = async () => (await cluster.nodes[1]!.store.roomMembers('care-1', Date.now())).map((m) => m.sessionId);
    expect(await rosterOf()).toContain(again.welcome.sessionId);
    // node 0 announces dan after anything it announced for pat: carol has seen no `left` by then
    const dan = await cluster.connect(0, { sub: 'dan', role: 'caregiver', rooms: ['care-*'] });
    await dan.ok({ type: 'subscribe', channel: 'room:care-1' });
    await carol.next('presence', (p) => p.event === 'joined' && p.from.userId === 'dan');
    expect(carol.received.filter((f) => f.type === 'presence' && f.event === 'left')).toEqual([]);
  });

  it('24. a leave fenced by the session\'s own clean close (1000) is no takeover: the room is told it left', async () => {
    const interceptor = new Interceptor();
    cluster = await startCluster(2, { intercept: (i) => (i === 0 ? interceptor : undefined) });
    const carol = await cluster.connect(1, carolId);
    const pat = await cluster.connect(0, patId);
    for (const client of [carol, pat]) await client.ok({ type: 'subscribe', channel: 'room:care-1' });
    await carol.next('presence', (p) => p.event === 'joined' && p.from.userId === 'pat');
    // the leave waits for its unbind (pat is the room's last member on node 0) while the client closes cleanly: the close forgets the session first
    const unbind = interceptor.hold('bus.unsubscribe:before', (args) => args[0] === 'room:care-1');
    pat.send({ type: 'unsubscribe', channel: 'room:care-1', id: 'leave-1' });
    await unbind.reached;
    const ended = interceptor.hold('store.endSession:after');
    await pat.close();
    await ended.reached;
    ended.release();
    unbind.release();
    expect((await carol.next('presence', (p) => p.from.userId === 'pat')).event).toBe('left');
  });

  it('25. a resume whose takeover waited longer than the presence TTL is listed live when it goes live, not left for another node to claim as dead', async () => {
    const [node0, node1] = [new Interceptor(), new Interceptor()];
    cluster = await startCluster(2, { config: { PRESENCE_TTL_MS: 300 }, intercept: (i) => (i === 0 ? node0 : node1) });
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(0, patId);
    await cluster.drop(pat);
    // the takeover waits in node 1's store queue (a storm) while node 0's presence ticks go by
    const queued = node1.hold('store.takeOver:before');
    const resuming = cluster.resume(1, patId, pat);
    await queued.reached;
    const ticks = node0.calls('store.claimLapsed:after');
    await expect.poll(() => node0.calls('store.claimLapsed:after'), { timeout: 5_000 }).toBeGreaterThanOrEqual(ticks + 4);
    queued.release();
    const again = await resuming;
    expect(again.welcome.resumed).toMatchObject({ ok: true });
    // before: listed live until the takeover's deadline, long past, so node 0's next tick would
    // claim it (its rooms told it left, its record detached while it is connected)
    expect(cluster.data.sessions.get(pat.welcome.sessionId)!.liveUntil).toBeGreaterThan(Date.now());
    await carol.ok({ type: 'ping' });
  });

  it('26. a stale connection (its session resumed elsewhere) that joins a room adds nothing for the resumed session: closed with 4509, no `joined`, not on the roster', async () => {
    cluster = await startCluster(2);
    const carol = await cluster.connect(0, carolId);
    await carol.ok({ type: 'subscribe', channel: 'room:care-1' });
    const pat = await cluster.connect(0, patId);
    const again = await cluster.resume(1, patId, pat);
    expect(again.welcome.resumed).toMatchObject({ ok: true });
    pat.send({ type: 'subscribe', channel: 'room:care-1', id: 'join-1' });
    const outcome = await Promise.race([pat.answer('join-1').then((a) => a.type), pat.closed.then((c) => c.code)]);
    expect(outcome).toBe(4509);
    expect((await cluster.nodes[1]!.store.roomMembers('care-1', Date.now())).map((m) => m.userId)).toEqual(['carol']);
    // node 0 announces dan after anything it announced for pat: carol has seen no `joined` from pat by then
    const dan = await cluster.connect(0, { sub: 'dan', role: 'caregiver', rooms: ['care-*'] });
    await dan.ok({ type: 'subscribe', channel: 'room:care-1' });
    await carol.next('presence', (p) => p.event === 'joined' && p.from.userId === 'dan');
    expect(carol.received.filter((f) => f.type === 'presence' && f.from.userId === 'pat')).toEqual([]);
  });

  // a review suspected this; it holds (frames that arrive before welcome wait until the journal is restored)
  it('22. a write resent on a resumed connection before its welcome is answered from the journal, not run twice', async () => {
    const interceptor = new Interceptor();
    cluster = await startCluster(2, { intercept: (i) => (i === 1 ? interceptor : undefined) });
    const carol = await cluster.connect(0, carolId);
    await carol.ok({ type: 'subscribe', channel: 'location:pat' });
    const pat = await cluster.connect(0, patId);
    const position = (accuracy: number) => ({ lat: 48, lng: 11, accuracy, timestamp: Date.now() });
    const first = { type: 'location' as const, id: 'loc-1', position: position(1) };
    await pat.ok(first);
    expect((await carol.next('location')).position.accuracy).toBe(1);
    await cluster.drop(pat);
    // the resume is held after its takeover, so the retry (its ack never reached the old socket) waits in the queue
    const held = interceptor.hold('store.takeOver:after');
    const connecting = TestClient.connect(cluster.url(1), await cluster.token(patId), {}, { token: pat.welcome.resume!.token, lastSeq: pat.lastSeq }, [first]);
    await held.reached;
    held.release();
    const again = await connecting;
    expect(again.welcome.resumed).toMatchObject({ ok: true });
    expect(await again.answer('loc-1')).toMatchObject({ type: 'ack', id: 'loc-1' });
    await again.ok({ type: 'location', id: 'loc-2', position: position(2) });
    // per-sender order: a second copy of loc-1 would come before loc-2
    expect((await carol.next('location')).position.accuracy).toBe(2);
    await again.close();
  });
});
