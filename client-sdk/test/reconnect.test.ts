import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES, ConnectionClosedError, type TetherError } from '../src/index.ts';
import { nextEvent, stateIs } from './support/events.ts';
import { FakeServer } from './support/fake-server.ts';
import { ManualTimers } from './support/manual-timers.ts';
import { closeAll, testClient } from './support/sdk.ts';

describe('reconnecting by close code', () => {
  const servers: FakeServer[] = [];
  const start = async (...args: Parameters<typeof FakeServer.start>) => {
    const server = await FakeServer.start(...args);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    closeAll();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('reconnects after a drain (1012) and reports each state with its cause', async () => {
    const server = await start();
    const client = testClient({ url: server.url });
    const states: string[] = [];
    client.on('state', (s) => states.push(`${s.previous}->${s.state}${s.closeCode ? ` ${s.closeCode}` : ''}`));
    const first = await server.nextConnection();
    await stateIs(client, 'open');
    const reopened = nextEvent(client, 'welcome');
    first.close(CLOSE_CODES.SERVICE_RESTART, 'server restarting; reconnect');
    const second = await server.nextConnection();
    expect((await reopened).sessionId).toBe(second.sessionId);
    expect(states).toEqual(['connecting->open', 'open->reconnecting 1012', 'reconnecting->open']);
    expect(client.welcome?.sessionId).toBe(second.sessionId);
  });

  it('fetches a fresh token for every attempt, so a 4003 (token expired) is followed by a new token', async () => {
    const server = await start();
    let issued = 0;
    const client = testClient({ url: server.url, getToken: async () => `token-${++issued}` });
    const first = await server.nextConnection();
    expect(first.token).toBe('token-1');
    await stateIs(client, 'open');
    first.close(CLOSE_CODES.TOKEN_EXPIRED, 'token expired');
    const second = await server.nextConnection();
    expect(second.token).toBe('token-2');
    await nextEvent(client, 'state', (s) => s.state === 'open');
  });

  it('appends the token to a URL that already has a query, encoded', async () => {
    const server = await start();
    testClient({ url: `${server.url}?v=1`, token: 'a b&c' });
    expect((await server.nextConnection()).token).toBe('a b&c');
  });

  it('keeps retrying with backoff when getToken fails, reporting TOKEN_UNAVAILABLE', async () => {
    const server = await start();
    let calls = 0;
    const client = testClient({
      url: server.url,
      getToken: async () => {
        if (++calls === 1) throw new Error('offline');
        return 'fresh';
      },
    });
    const error = await nextEvent(client, 'error');
    expect(error).toMatchObject({ code: 'TOKEN_UNAVAILABLE', retryable: true });
    expect((await server.nextConnection()).token).toBe('fresh');
    await stateIs(client, 'open');
  });

  it('stops for good on a terminal close code (4500-4999) and rejects pending requests', async () => {
    const server = await start();
    const client = testClient({ url: server.url });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    const pending = client.ping().catch((e: TetherError) => e);
    await conn.next('ping');
    const closed = nextEvent(client, 'state', (s) => s.state === 'closed');
    conn.close(4500, 'flooding'); // any code in 4500-4999 is terminal (shouldReconnect)
    expect(await closed).toMatchObject({ previous: 'open', closeCode: 4500, reason: 'closed with 4500: flooding' });
    const error = await pending;
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ closeCode: 4500, retryable: false });
    expect(server.connections).toHaveLength(1);
  });

  it('stops for good when the upgrade is refused with 401 twice in a row (once could be an expired token), saying so', async () => {
    const server = await start();
    server.refusals.push(401, 401);
    const tokens: string[] = [];
    const client = testClient({ url: server.url, getToken: async () => `t${tokens.push('asked')}` });
    const closed = await nextEvent(client, 'state', (s) => s.state === 'closed');
    expect(closed).toMatchObject({ previous: 'reconnecting', httpStatus: 401, reason: 'upgrade refused with HTTP 401' });
    await expect(client.ready()).rejects.toMatchObject({ name: 'ConnectionClosedError', httpStatus: 401 });
    await expect(client.ping()).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(server.connections).toHaveLength(0);
    expect(tokens).toHaveLength(2);
  });

  it('asks for a fresh token and connects when one upgrade is refused with 401 (an expired token)', async () => {
    const server = await start();
    server.refusals.push(401);
    let asked = 0;
    const client = testClient({ url: server.url, getToken: async () => `token-${++asked}` });
    const connection = await server.nextConnection();
    expect(connection.query.get('token')).toBe('token-2');
    await client.ready();
  });

  it('tries the next URL of a list on every attempt', async () => {
    const [a, b] = [await start(), await start()];
    const client = testClient({ url: [a.url, b.url] });
    const first = await a.nextConnection();
    await stateIs(client, 'open');
    first.close(CLOSE_CODES.SERVICE_RESTART);
    await b.nextConnection();
    await nextEvent(client, 'state', (s) => s.state === 'open');
  });

  it('passes the lifetime attempt number to a URL function', async () => {
    const server = await start();
    const asked: number[] = [];
    const client = testClient({ url: (attempt) => (asked.push(attempt), server.url) });
    const first = await server.nextConnection();
    await stateIs(client, 'open');
    first.close(CLOSE_CODES.SERVICE_RESTART);
    await server.nextConnection();
    expect(asked).toEqual([0, 1]);
  });

  it('abandons an attempt with no welcome within connectTimeoutMs and tries again', async () => {
    const server = await start({ autoWelcome: false });
    const timers = new ManualTimers();
    const client = testClient({ url: server.url, timers, connectTimeoutMs: 5_000 });
    const first = await server.nextConnection();
    const retried = nextEvent(client, 'state', (s) => s.state === 'reconnecting');
    timers.advance(5_000);
    expect((await retried).reason).toBe('no welcome within 5000 ms');
    await first.closed;
    const second = await server.nextConnection();
    second.welcome();
    await stateIs(client, 'open');
  });

  it('probes a silent link with a ping after two heartbeats; an answer keeps it', async () => {
    const server = await start({ heartbeatMs: 1_000 });
    const timers = new ManualTimers();
    const client = testClient({ url: server.url, timers, requestTimeoutMs: 3_000 });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    timers.advance(2_000); // two heartbeats without a frame
    conn.ack((await conn.next('ping')).id, { ts: 1 });
    conn.deliverSignal('user:u1', 'barrier'); // handled in order: once seen, the ack was too
    await nextEvent(client, 'signal');
    timers.advance(3_000);
    expect(client.state).toBe('open');
    expect(server.connections).toHaveLength(1);
  });

  it('reconnects when the probe of a silent link goes unanswered', async () => {
    const server = await start({ heartbeatMs: 1_000 });
    const timers = new ManualTimers();
    const client = testClient({ url: server.url, timers, requestTimeoutMs: 3_000 });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    timers.advance(2_000);
    await conn.next('ping');
    const dropped = nextEvent(client, 'state', (s) => s.state === 'reconnecting');
    timers.advance(3_000);
    expect((await dropped).reason).toBe('no frame from the server within 3000 ms');
    await server.nextConnection();
    await nextEvent(client, 'state', (s) => s.state === 'open');
  });
});
