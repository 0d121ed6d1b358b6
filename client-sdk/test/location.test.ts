import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocationPublisher, type LocationFix, type Position } from '../src/index.ts';
import { nextEvent, stateIs } from './support/events.ts';
import { type FakeConnection, FakeServer } from './support/fake-server.ts';
import { ManualTimers } from './support/manual-timers.ts';
import { closeAll, testClient } from './support/sdk.ts';

const fix = (timestamp: number): Position => ({ lat: 52.5, lng: 13.4, accuracy: 8, timestamp });
const from = { userId: 'pat', role: 'patient', sessionId: 'pat-s' };

describe('LocationPublisher', () => {
  let server: FakeServer;
  let timers: ManualTimers;
  beforeEach(async () => {
    server = await FakeServer.start();
    timers = new ManualTimers();
  });
  afterEach(async () => {
    closeAll();
    await server.close();
  });

  /** Waits for the next published fix and acks it; returns its timestamp. */
  async function published(conn: FakeConnection): Promise<number> {
    const frame = await conn.next('location');
    conn.ack(frame.id);
    return frame.position.timestamp;
  }

  it('publishes at most one fix per interval, always the newest', async () => {
    const client = testClient({ url: server.url, timers });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    const publisher = new LocationPublisher(client, { intervalMs: 5_000, timers });
    publisher.update(fix(1));
    expect(await published(conn)).toBe(1);
    publisher.update(fix(2));
    publisher.update(fix(3)); // replaces 2 while the interval runs
    expect(publisher.pending).toEqual(fix(3));
    timers.advance(5_000);
    expect(await published(conn)).toBe(3);
    publisher.update(fix(2)); // older than what was sent: ignored
    expect(publisher.pending).toBeNull();
    timers.advance(5_000);
    publisher.update(fix(4)); // the interval has passed: at once
    expect(await published(conn)).toBe(4);
    expect(conn.received.filter((f) => f.type === 'location')).toHaveLength(3);
    publisher.stop();
  });

  it('keeps only the newest fix while offline and sends it once the client is open again', async () => {
    const client = testClient({ url: server.url, timers, reconnect: { nextDelay: () => 1_000 } });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    const publisher = new LocationPublisher(client, { intervalMs: 100, timers });
    conn.close(1012);
    await nextEvent(client, 'state', (s) => s.state === 'reconnecting');
    for (let t = 10; t <= 50; t += 10) publisher.update(fix(t));
    expect(publisher.pending).toEqual(fix(50));
    expect(client.queued).toBe(0); // nothing piles up in the client's queue either
    timers.advance(1_000);
    const next = await server.nextConnection();
    expect(await published(next)).toBe(50);
    expect(next.received.filter((f) => f.type === 'location')).toHaveLength(1);
    publisher.stop();
  });

  it('reports a fix the server refuses for good, and does not retry it', async () => {
    const client = testClient({ url: server.url, timers });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    const refused: string[] = [];
    const publisher = new LocationPublisher(client, { intervalMs: 100, timers, onError: (e) => refused.push(e.code) });
    publisher.update(fix(1));
    conn.error((await conn.next('location')).id, 'FORBIDDEN');
    publisher.update(fix(2));
    timers.advance(100);
    expect(await published(conn)).toBe(2);
    expect(refused).toEqual(['FORBIDDEN']);
    publisher.stop();
  });
});

describe('watchLocation', () => {
  let server: FakeServer;
  beforeEach(async () => (server = await FakeServer.start()));
  afterEach(async () => {
    closeAll();
    await server.close();
  });

  it('delivers the last known position, then live fixes, and catches up after a reconnect', async () => {
    const client = testClient({ url: server.url });
    const first = await server.nextConnection();
    const fixes: LocationFix[] = [];
    const watching = client.watchLocation('pat', (f) => fixes.push(f));
    const subscribe = await first.next('subscribe');
    expect(subscribe.channel).toBe('location:pat');
    first.ack(subscribe.id, { channel: 'location:pat', last: { position: fix(100), from, ts: 1_000 } });
    const watch = await watching;
    expect(fixes).toEqual([{ position: fix(100), from, ts: 1_000, live: false }]);

    const live = nextEvent(client, 'location');
    first.send({ type: 'location', seq: 1, channel: 'location:pat', from, ts: 1_001, position: fix(101) });
    await live;
    expect(fixes.at(-1)).toEqual({ position: fix(101), from, ts: 1_001, live: true });

    first.close(1012);
    const second = await server.nextConnection();
    const again = await second.next('subscribe');
    const caughtUp = nextEvent(client, 'subscribed');
    second.ack(again.id, { channel: 'location:pat', last: { position: fix(105), from, ts: 1_005 } });
    await caughtUp;
    expect(fixes.map((f) => [f.position.timestamp, f.live])).toEqual([[100, false], [101, true], [105, false]]);
    expect(watch.last?.position.timestamp).toBe(105);

    const unsubscribed = second.next('unsubscribe');
    const stopping = watch.stop();
    second.ack((await unsubscribed).id);
    await stopping;
  });

  it('skips fixes not newer than the last delivered, and unsubscribes only when the last watch stops', async () => {
    const client = testClient({ url: server.url });
    const conn = await server.nextConnection();
    const seen: number[][] = [[], []];
    const watches = [0, 1].map((i) => client.watchLocation('pat', (f) => seen[i]!.push(f.position.timestamp)));
    for (let i = 0; i < 2; i++) conn.ack((await conn.next('subscribe')).id, { channel: 'location:pat', last: null });
    const [a, b] = await Promise.all(watches);
    for (const [i, t] of [5, 4, 5, 6].entries()) conn.send({ type: 'location', seq: i + 1, channel: 'location:pat', from, ts: t, position: fix(t) });
    await nextEvent(client, 'location', (l) => l.position.timestamp === 6);
    expect(seen).toEqual([[5, 6], [5, 6]]);

    await a!.stop();
    const ping = client.ping(); // witness: no unsubscribe was sent before it
    conn.ack((await conn.next('ping')).id, { ts: 1 });
    await ping;
    expect(conn.received.map((f) => f.type)).toEqual(['subscribe', 'subscribe', 'ping']);
    const unsubscribed = conn.next('unsubscribe');
    const stopping = b!.stop();
    conn.ack((await unsubscribed).id);
    await stopping;
  });

  it('rejects like subscribe when the token does not grant the patient', async () => {
    const client = testClient({ url: server.url });
    const conn = await server.nextConnection();
    const watching = client.watchLocation('stranger', () => {});
    conn.error((await conn.next('subscribe')).id, 'FORBIDDEN');
    await expect(watching).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
