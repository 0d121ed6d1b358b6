/**
 * The client's TURN credentials against a scripted server (support/fake-server.ts) with
 * hand-moved timers: kept from welcome, renewed with the `turn` request before they expire, a
 * failed renewal tried again later, long-lived ones renewed after a day, none asked for when the
 * server has none.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TurnCredentials } from '../../src/protocol/index.ts';
import { nextEvent } from './support/events.ts';
import { FakeServer } from './support/fake-server.ts';
import { ManualTimers } from './support/manual-timers.ts';
import { closeAll, testClient } from './support/sdk.ts';

const creds = (n: number, ttlSeconds = 100): TurnCredentials => ({
  urls: ['turn:turn.example:3478'],
  username: `${1_900_000_000 + n}:u1`,
  credential: `c${n}`,
  ttlSeconds,
  expiresAt: (1_900_000_000 + n) * 1000,
});

describe('TURN credentials in the client', () => {
  let server: FakeServer;
  beforeEach(async () => (server = await FakeServer.start({ autoWelcome: false })));
  afterEach(async () => {
    closeAll();
    await server.close();
  });

  it('keeps those of the welcome and renews them at 80% of their lifetime, again after a failure', async () => {
    const timers = new ManualTimers();
    const client = testClient({ url: server.url, timers });
    const conn = await server.nextConnection();
    const first = nextEvent(client, 'turn');
    // a long heartbeat: the idle watch stays out of the way of the hours moved by hand
    conn.welcome('u1', { turn: creds(1), heartbeatMs: 10_000_000 });
    expect(await first).toEqual(creds(1));
    expect(client.turn).toEqual(creds(1));

    timers.advance(79_999);
    expect(conn.received.filter((f) => f.type === 'turn')).toEqual([]);
    timers.advance(1);
    const renew = await conn.next('turn');
    conn.error(renew.id, 'INTERNAL', { retryable: true });
    // answered with an error: tried again 30 s later (once the answer has arrived and set that timer)
    while (!timers.delays.includes(30_000)) await new Promise((resolve) => setImmediate(resolve));
    timers.advance(30_000);
    const retry = await conn.next('turn');
    const renewed = nextEvent(client, 'turn');
    conn.ack(retry.id, creds(2));
    expect(await renewed).toEqual(creds(2));
    expect(client.turn).toEqual(creds(2));
  });

  it('renews credentials that live for months after a day, not at once (a timer cannot wait that long)', async () => {
    const timers = new ManualTimers();
    const client = testClient({ url: server.url, timers });
    const conn = await server.nextConnection();
    const got = nextEvent(client, 'turn');
    conn.welcome('u1', { turn: creds(1, 90 * 86_400), heartbeatMs: 1_000_000_000 }); // the idle watch stays out of the way of the day
    await got;
    expect(timers.delays).toContain(86_400_000);
    timers.advance(86_399_999);
    expect(conn.received.filter((f) => f.type === 'turn')).toEqual([]);
    timers.advance(1);
    await conn.next('turn');
  });

  it('asks for none when the welcome carries none, and turnCredentials() says TURN_UNAVAILABLE', async () => {
    const timers = new ManualTimers();
    const client = testClient({ url: server.url, timers });
    const conn = await server.nextConnection();
    conn.welcome('u1');
    await client.ready();
    expect(client.turn).toBeNull();
    const asked = client.turnCredentials().catch((e: unknown) => e);
    conn.error((await conn.next('turn')).id, 'TURN_UNAVAILABLE');
    expect(await asked).toMatchObject({ code: 'TURN_UNAVAILABLE', retryable: false });
    expect(timers.delays.length).toBeLessThanOrEqual(1); // no renewal scheduled (at most the idle watch)
  });
});
