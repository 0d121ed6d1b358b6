import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionClosedError, OfflineQueueFullError, type TetherError } from '../src/index.ts';
import { nextEvent, stateIs } from './support/events.ts';
import { FakeServer } from './support/fake-server.ts';
import { ManualTimers } from './support/manual-timers.ts';
import { closeAll, testClient } from './support/sdk.ts';

const position = (timestamp: number) => ({ lat: 1, lng: 2, accuracy: 5, timestamp });

describe('the offline queue', () => {
  let server: FakeServer;
  afterEach(async () => {
    closeAll();
    await server.close();
  });

  it('holds requests made before the welcome and sends them after it, in call order', async () => {
    server = await FakeServer.start({ autoWelcome: false });
    const client = testClient({ url: server.url });
    const calls = [client.ping(), client.signal('user:pat', 'c1', { kind: 'ringing' }), client.publishLocation(position(1))];
    const conn = await server.nextConnection();
    expect(client.queued).toBe(3);
    conn.welcome();
    const frames = [await conn.next('ping'), await conn.next('signal'), await conn.next('location')];
    expect(conn.received).toEqual(frames);
    for (const frame of frames) conn.ack(frame.id, frame.type === 'ping' ? { ts: 1 } : undefined);
    await Promise.all(calls);
    expect(client.queued).toBe(0);
  });

  it('refuses requests beyond offlineQueueLimit at once and never queues them', async () => {
    server = await FakeServer.start({ autoWelcome: false });
    const client = testClient({ url: server.url, offlineQueueLimit: 3 });
    const kept = [1, 2, 3].map((n) => client.publishLocation(position(n)));
    const refused = await client.publishLocation(position(4)).catch((e: TetherError) => e);
    expect(refused).toBeInstanceOf(OfflineQueueFullError);
    expect(refused).toMatchObject({ code: 'OFFLINE_QUEUE_FULL', retryable: true, limit: 3 });
    expect(client.queued).toBe(3);

    const conn = await server.nextConnection();
    conn.welcome();
    const sent = [await conn.next('location'), await conn.next('location'), await conn.next('location')];
    expect(sent.map((f) => f.position.timestamp)).toEqual([1, 2, 3]);
    sent.forEach((f) => conn.ack(f.id));
    await Promise.all(kept);
    const ping = client.ping();
    conn.ack((await conn.next('ping')).id, { ts: 1 });
    await ping;
    expect(conn.received.filter((f) => f.type === 'location')).toHaveLength(3);
  });

  it('puts requests in flight at a disconnect back first, same ids, and keeps the bound', async () => {
    server = await FakeServer.start();
    const timers = new ManualTimers();
    const client = testClient({ url: server.url, timers, offlineQueueLimit: 3, reconnect: { nextDelay: () => 1_000 } });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    const a = client.publishLocation(position(1));
    const b = client.publishLocation(position(2));
    const [sentA, sentB] = [await conn.next('location'), await conn.next('location')];

    const down = nextEvent(client, 'state', (s) => s.state === 'reconnecting');
    conn.close(1012, 'draining');
    expect(await down).toMatchObject({ closeCode: 1012, attempt: 0, delayMs: 1_000 });
    const c = client.publishLocation(position(3));
    const d = await client.publishLocation(position(4)).catch((e: TetherError) => e);
    expect(d).toBeInstanceOf(OfflineQueueFullError); // a and b (put back) and c fill the 3 places
    expect(client.queued).toBe(3);

    timers.advance(1_000);
    const next = await server.nextConnection();
    const resent = [await next.next('location'), await next.next('location'), await next.next('location')];
    expect(resent.map((f) => f.id)).toEqual([sentA.id, sentB.id, expect.any(String)]);
    expect(resent.map((f) => f.position.timestamp)).toEqual([1, 2, 3]);
    resent.forEach((f) => next.ack(f.id));
    await Promise.all([a, b, c]);
  });

  it('rejects everything waiting, and every later request, when the client is closed', async () => {
    server = await FakeServer.start({ autoWelcome: false });
    const client = testClient({ url: server.url });
    const waiting = client.ping().catch((e: unknown) => e);
    await server.nextConnection();
    client.close();
    const error = (await waiting) as ConnectionClosedError;
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ code: 'CONNECTION_CLOSED', retryable: false, message: 'closed by the app' });
    await expect(client.ping()).rejects.toBe(error);
    expect(client.state).toBe('closed');
    expect(client.queued).toBe(0);
  });
});

describe('the offline queue with requests in flight and a small bound', () => {
  let server: FakeServer;
  beforeEach(async () => (server = await FakeServer.start()));
  afterEach(async () => {
    closeAll();
    await server.close();
  });

  it('rejects the newest requests that no longer fit when in-flight ones are put back', async () => {
    const timers = new ManualTimers();
    const client = testClient({ url: server.url, timers, offlineQueueLimit: 2, reconnect: { nextDelay: () => 1_000 } });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    const sent = [1, 2, 3].map((n) => client.publishLocation(position(n)).catch((e: unknown) => e));
    for (let i = 0; i < 3; i++) await conn.next('location');
    conn.close(1012);
    await nextEvent(client, 'state', (s) => s.state === 'reconnecting');
    expect(await sent[2]).toBeInstanceOf(OfflineQueueFullError);
    expect(client.queued).toBe(2);
  });
});
