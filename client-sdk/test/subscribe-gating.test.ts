import { afterEach, describe, expect, it } from 'vitest';
import { RequestError, SubscriptionLostError, type TetherError } from '../src/index.ts';
import { nextEvent, stateIs } from './support/events.ts';
import { type FakeConnection, FakeServer } from './support/fake-server.ts';
import { ManualTimers } from './support/manual-timers.ts';
import { closeAll, testClient } from './support/sdk.ts';

const OFFER = { kind: 'offer', sdp: 'v=0\r\n' } as const;
const types = (conn: FakeConnection) => conn.received.map((f) => f.type);

describe('subscribe-ack gating: never send into a room before its subscribe ack', () => {
  let server: FakeServer;
  afterEach(async () => {
    closeAll();
    await server.close();
  });

  it('holds a room signal issued before the ack until the ack arrives', async () => {
    server = await FakeServer.start();
    const client = testClient({ url: server.url });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    const joined = client.subscribe('room:r1');
    const signalled = client.signal('room:r1', 'call-1', OFFER);
    const pinged = client.ping(); // issued after the signal and not gated: our witness
    const subscribe = await conn.next('subscribe');
    conn.ack((await conn.next('ping')).id, { ts: 1 });
    await pinged;
    // the ping arrived, so had the signal been sent before it, it would be here too
    expect(types(conn)).toEqual(['subscribe', 'ping']);
    expect(client.queued).toBe(1);

    conn.ack(subscribe.id, { channel: 'room:r1', members: [] });
    const signal = await conn.next('signal');
    expect(signal).toMatchObject({ to: 'room:r1', callId: 'call-1', signal: OFFER });
    expect(types(conn)).toEqual(['subscribe', 'ping', 'signal']);
    expect(await joined).toEqual({ channel: 'room:r1', members: [] });
    conn.ack(signal.id);
    await signalled;
  });

  it('does not hold signals to users, or into rooms already live', async () => {
    server = await FakeServer.start();
    const client = testClient({ url: server.url });
    const conn = await server.nextConnection();
    const joined = client.subscribe('room:live');
    conn.ack((await conn.next('subscribe')).id, { channel: 'room:live', members: [] });
    await joined;
    const ignore = () => {}; // never answered; closeAll() rejects them
    client.subscribe('room:pending').catch(ignore);
    client.signal('user:pat', 'c', { kind: 'ringing' }).catch(ignore);
    client.signal('room:live', 'c', OFFER).catch(ignore);
    await conn.next('signal', (s) => s.to === 'user:pat');
    await conn.next('signal', (s) => s.to === 'room:live');
    expect(client.queued).toBe(0);
  });

  it('releases held signals when the subscribe is refused, so the server answers them: nothing is dropped silently', async () => {
    server = await FakeServer.start();
    const client = testClient({ url: server.url });
    const conn = await server.nextConnection();
    const joined = client.subscribe('room:secret').catch((e: TetherError) => e);
    const signalled = client.signal('room:secret', 'c', OFFER).catch((e: TetherError) => e);
    conn.error((await conn.next('subscribe')).id, 'FORBIDDEN');
    expect(await joined).toMatchObject({ code: 'FORBIDDEN' });
    const signal = await conn.next('signal');
    conn.error(signal.id, 'NOT_SUBSCRIBED');
    expect(await signalled).toBeInstanceOf(RequestError);
    expect(await signalled).toMatchObject({ code: 'NOT_SUBSCRIBED' });
  });

  it('after a reconnect re-subscribes first, then flushes the queue; room signals wait for the new ack', async () => {
    server = await FakeServer.start({ autoWelcome: false });
    const client = testClient({ url: server.url });
    const first = await server.nextConnection();
    first.welcome();
    const joined = client.subscribe('room:r1');
    first.ack((await first.next('subscribe')).id, { channel: 'room:r1', members: [] });
    await joined;

    first.close(1012, 'draining');
    const second = await server.nextConnection();
    expect(client.state).toBe('reconnecting');
    const signalled = client.signal('room:r1', 'call-2', OFFER);
    const pinged = client.ping();
    const resubscribed = nextEvent(client, 'subscribed');
    second.welcome();
    const subscribe = await second.next('subscribe');
    expect(subscribe.channel).toBe('room:r1');
    second.ack((await second.next('ping')).id, { ts: 2 });
    await pinged;
    expect(types(second)).toEqual(['subscribe', 'ping']);

    second.ack(subscribe.id, { channel: 'room:r1', members: [{ userId: 'u1', role: 'caregiver', sessionId: 's2' }] });
    expect(await resubscribed).toEqual({
      channel: 'room:r1',
      result: { channel: 'room:r1', members: [{ userId: 'u1', role: 'caregiver', sessionId: 's2' }] },
      resubscribed: true,
    });
    const signal = await second.next('signal');
    expect(types(second)).toEqual(['subscribe', 'ping', 'signal']);
    second.ack(signal.id);
    await signalled;
  });

  it('retries a retryable re-subscribe refusal, and reports a final one as SubscriptionLostError', async () => {
    server = await FakeServer.start();
    const timers = new ManualTimers();
    const client = testClient({ url: server.url, timers, reconnect: { nextDelay: () => 100 } });
    const first = await server.nextConnection();
    await stateIs(client, 'open');
    const joined = Promise.all([client.subscribe('room:a'), client.subscribe('room:b')]);
    first.ack((await first.next('subscribe')).id, { channel: 'room:a', members: [] });
    first.ack((await first.next('subscribe')).id, { channel: 'room:b', members: [] });
    await joined;

    first.close(1012);
    await nextEvent(client, 'state', (s) => s.state === 'reconnecting');
    timers.advance(100);
    const second = await server.nextConnection();
    const [a, b] = [await second.next('subscribe'), await second.next('subscribe')];
    expect([a.channel, b.channel]).toEqual(['room:a', 'room:b']);
    const lost = nextEvent(client, 'error');
    second.error(a.id, 'BUS_UNAVAILABLE', { retryable: true });
    second.error(b.id, 'FORBIDDEN'); // e.g. the refreshed token no longer grants it
    const error = (await lost) as SubscriptionLostError;
    expect(error).toBeInstanceOf(SubscriptionLostError);
    expect(error).toMatchObject({ channel: 'room:b', code: 'FORBIDDEN', retryable: false });

    timers.advance(100); // the retry of room:a
    const retried = await second.next('subscribe');
    expect(retried.channel).toBe('room:a');
    expect(retried.id).not.toBe(a.id); // a new id: the server caches the refusal under the old one
    second.ack(retried.id, { channel: 'room:a', members: [] });
    await nextEvent(client, 'subscribed', (s) => s.channel === 'room:a');
  });

  it('does not re-subscribe what was unsubscribed, and undoes a subscribe acked after its unsubscribe', async () => {
    server = await FakeServer.start();
    const client = testClient({ url: server.url });
    const first = await server.nextConnection();
    const kept = client.subscribe('room:kept');
    first.ack((await first.next('subscribe')).id, { channel: 'room:kept', members: [] });
    await kept;
    const late = client.subscribe('room:late');
    const subscribe = await first.next('subscribe');
    await client.unsubscribe('room:late'); // not live yet: resolves at once
    first.ack(subscribe.id, { channel: 'room:late', members: [] });
    await late;
    const undo = await first.next('unsubscribe');
    expect(undo.channel).toBe('room:late');
    first.ack(undo.id);

    first.close(1012);
    const second = await server.nextConnection();
    const again = await second.next('subscribe');
    expect(again.channel).toBe('room:kept');
    second.ack(again.id, { channel: 'room:kept', members: [] });
    const ping = client.ping();
    second.ack((await second.next('ping')).id, { ts: 1 });
    await ping;
    expect(types(second)).toEqual(['subscribe', 'ping']);
  });
});
