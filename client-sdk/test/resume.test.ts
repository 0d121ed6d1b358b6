/**
 * Session resume against the scripted server: what the SDK asks for on reconnect, which frames
 * reach the app after a replay, what it subscribes again, and which close code it sends.
 * The same behaviour against real nodes is in resume-cluster.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Welcome } from '../src/index.ts';
import { nextEvent, stateIs } from './support/events.ts';
import { type FakeConnection, FakeServer } from './support/fake-server.ts';
import { ManualTimers } from './support/manual-timers.ts';
import { closeAll, testClient } from './support/sdk.ts';

const resume = (token: string): Welcome['resume'] => ({ token, windowMs: 120_000 });

describe('session resume', () => {
  let server: FakeServer;
  afterEach(async () => {
    closeAll();
    await server.close();
  });

  /** Answers the next ping on `conn`, so a test knows every frame sent before it was seen. */
  const pingThrough = async (conn: FakeConnection, ping: Promise<unknown>) => {
    conn.ack((await conn.next('ping')).id, { ts: 1 });
    await ping;
  };

  it('asks to resume from the last delivered seq, drops replayed repeats, and keeps what the server kept', async () => {
    server = await FakeServer.start({ autoWelcome: false });
    const client = testClient({ url: server.url });
    const calls: string[] = [];
    client.on('signal', (s) => calls.push(s.callId));

    const first = await server.nextConnection();
    expect(first.query.has('resume')).toBe(false);
    first.welcome('u1', { sessionId: 's1', resume: resume('s1.secret') });
    const joined = client.subscribe('room:r1');
    first.ack((await first.next('subscribe')).id, { channel: 'room:r1', members: [] });
    await joined;
    const third = nextEvent(client, 'signal', (s) => s.callId === 'c3');
    first.deliverSeqs(1, 2, 3);
    await third;

    first.ws.terminate();
    await stateIs(client, 'reconnecting');
    const added = client.subscribe('room:r2'); // made while away: not on the server yet
    const second = await server.nextConnection();
    expect(Object.fromEntries(second.query)).toMatchObject({ resume: 's1.secret', lastSeq: '3' });
    second.welcome('u1', {
      sessionId: 's1',
      resume: resume('s1.secret2'),
      resumed: { ok: true, replayed: 2 },
      subscriptions: ['user:u1', 'room:r1'],
    });
    const fifth = nextEvent(client, 'signal', (s) => s.callId === 'c5');
    second.deliverSeqs(2, 3, 4, 5); // 2 and 3 overlap what was already delivered
    await fifth;
    expect(calls).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);

    // room:r1 was kept: no subscribe for it, and signals into it are not held
    const r2 = await second.next('subscribe');
    expect(r2.channel).toBe('room:r2');
    second.ack(r2.id, { channel: 'room:r2', members: [] });
    await added;
    const sent = client.signal('room:r1', 'x', { kind: 'ringing' });
    second.ack((await second.next('signal')).id);
    await sent;
    await pingThrough(second, client.ping());
    expect(second.received.filter((f) => f.type === 'subscribe').map((f) => f.type === 'subscribe' && f.channel)).toEqual(['room:r2']);

    // the next reconnect resumes with the newest token and seq
    second.ws.terminate();
    const third2 = await server.nextConnection();
    expect(Object.fromEntries(third2.query)).toMatchObject({ resume: 's1.secret2', lastSeq: '5' });
  });

  it('on a gap in seq, delivers nothing past it and resumes from the last frame delivered, to get the missing ones', async () => {
    server = await FakeServer.start({ autoWelcome: false });
    const client = testClient({ url: server.url });
    const calls: string[] = [];
    client.on('signal', (s) => calls.push(s.callId));
    const first = await server.nextConnection();
    first.welcome('u1', { sessionId: 's1', resume: resume('s1.secret') });
    const second = nextEvent(client, 'signal', (s) => s.callId === 'c2');
    first.deliverSeqs(1, 2, 4, 5); // 3 never arrived
    await second;
    const back = await server.nextConnection();
    expect(Object.fromEntries(back.query)).toMatchObject({ resume: 's1.secret', lastSeq: '2' });
    back.welcome('u1', { sessionId: 's1', resume: resume('s1.secret'), resumed: { ok: true, replayed: 3 }, subscriptions: ['user:u1'] });
    const fifth = nextEvent(client, 'signal', (s) => s.callId === 'c5');
    back.deliverSeqs(3, 4, 5);
    await fifth;
    expect(calls).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
    expect((await first.closed).code).toBe(4000);
  });

  it('starts over after a failed resume: seq restarts at 1 and every channel is subscribed again', async () => {
    server = await FakeServer.start({ autoWelcome: false });
    const client = testClient({ url: server.url });
    const first = await server.nextConnection();
    first.welcome('u1', { sessionId: 's1', resume: resume('s1.secret') });
    const joined = client.subscribe('room:r1');
    first.ack((await first.next('subscribe')).id, { channel: 'room:r1' });
    await joined;
    const seen = nextEvent(client, 'signal', (s) => s.seq === 7);
    first.deliverSeqs(1, 2, 3, 4, 5, 6, 7);
    await seen;

    first.ws.terminate();
    const second = await server.nextConnection();
    expect(second.query.get('lastSeq')).toBe('7');
    second.welcome('u1', { sessionId: 's2', resume: resume('s2.secret'), resumed: { ok: false, reason: 'UNKNOWN' } });
    const again = nextEvent(client, 'subscribed', (e) => e.resubscribed);
    const resubscribe = await second.next('subscribe');
    expect(resubscribe.channel).toBe('room:r1');
    second.ack(resubscribe.id, { channel: 'room:r1' });
    await again;
    const fresh = nextEvent(client, 'signal');
    second.deliverSeqs(1); // a new session numbers from 1: not a repeat
    expect((await fresh).seq).toBe(1);

    second.ws.terminate();
    const third = await server.nextConnection();
    expect(Object.fromEntries(third.query)).toMatchObject({ resume: 's2.secret', lastSeq: '1' });
  });

  it('unsubscribes on the server what the app left while away', async () => {
    server = await FakeServer.start({ autoWelcome: false });
    const client = testClient({ url: server.url });
    const first = await server.nextConnection();
    first.welcome('u1', { sessionId: 's1', resume: resume('s1.secret') });
    const joined = client.subscribe('room:r1');
    first.ack((await first.next('subscribe')).id, { channel: 'room:r1' });
    await joined;
    first.ws.terminate();
    await stateIs(client, 'reconnecting');
    await client.unsubscribe('room:r1'); // not live: resolves at once
    const second = await server.nextConnection();
    second.welcome('u1', { sessionId: 's1', resume: resume('s1.secret'), resumed: { ok: true, replayed: 0 }, subscriptions: ['user:u1', 'room:r1'] });
    const leave = await second.next('unsubscribe');
    expect(leave.channel).toBe('room:r1');
    second.ack(leave.id);
    await pingThrough(second, client.ping());
    expect(second.received.map((f) => f.type)).toEqual(['unsubscribe', 'ping']);
  });

  it('asks for nothing when the server offered no resume (welcome.resume null)', async () => {
    server = await FakeServer.start();
    const client = testClient({ url: server.url });
    const first = await server.nextConnection();
    await stateIs(client, 'open');
    first.ws.terminate();
    const second = await server.nextConnection();
    expect(second.query.has('resume')).toBe(false);
    expect(second.query.has('lastSeq')).toBe(false);
  });

  it('closes with 1000 only on close(); a socket it abandons to reconnect gets 4000 and stays resumable', async () => {
    server = await FakeServer.start({ autoWelcome: false, heartbeatMs: 1_000 });
    const timers = new ManualTimers();
    const client = testClient({ url: server.url, timers, requestTimeoutMs: 3_000 });
    const first = await server.nextConnection();
    first.welcome('u1', { sessionId: 's1', resume: resume('s1.secret'), heartbeatMs: 1_000 });
    await stateIs(client, 'open');
    timers.advance(2_000); // silent for two heartbeats: the SDK probes
    await first.next('ping');
    timers.advance(3_000); // unanswered on a silent link: abandoned
    expect((await first.closed).code).toBe(4000);
    const second = await server.nextConnection();
    expect(Object.fromEntries(second.query)).toMatchObject({ resume: 's1.secret', lastSeq: '0' });
    second.welcome('u1', { sessionId: 's1', resume: resume('s1.secret'), resumed: { ok: true, replayed: 0 } });
    await stateIs(client, 'open');
    client.close();
    expect((await second.closed).code).toBe(1000);
  });
});
