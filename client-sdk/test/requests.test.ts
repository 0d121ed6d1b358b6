import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, RequestError, TimeoutError, type TetherError } from '../src/index.ts';
import { nextEvent, stateIs } from './support/events.ts';
import { type FakeConnection, FakeServer } from './support/fake-server.ts';
import { ManualTimers } from './support/manual-timers.ts';
import { closeAll, testClient } from './support/sdk.ts';

describe('requests: ids, answers, timeouts and retries with the same id', () => {
  let server: FakeServer;
  beforeEach(async () => (server = await FakeServer.start()));
  afterEach(async () => {
    closeAll();
    await server.close();
  });

  it('gives every request its own id and resolves each with its own ack', async () => {
    const client = testClient({ url: server.url });
    const conn = await server.nextConnection();
    const pings = [client.ping(), client.ping(), client.ping()];
    const frames = [await conn.next('ping'), await conn.next('ping'), await conn.next('ping')];
    expect(new Set(frames.map((f) => f.id)).size).toBe(3);
    // answered out of order: each promise gets its own answer
    for (const [i, frame] of frames.entries()) conn.ack(frame.id, { ts: 100 + i });
    expect((await Promise.all(pings)).map((p) => p.ts)).toEqual([100, 101, 102]);
    expect(client.queued).toBe(0);
  });

  it('rejects with a RequestError carrying the server code, retryable flag, details and the request', async () => {
    const client = testClient({ url: server.url });
    const conn = await server.nextConnection();
    const sent = client.signal('user:pat', 'call-1', { kind: 'invite' });
    const frame = await conn.next('signal');
    expect(frame.signal).toEqual({ kind: 'invite', media: 'audio' }); // schema default applied before sending
    conn.error(frame.id, 'PEER_UNAVAILABLE', { retryable: true, details: { userId: 'pat' } });
    const error = (await sent.catch((e: unknown) => e)) as RequestError;
    expect(error).toBeInstanceOf(RequestError);
    expect(error).toMatchObject({ code: 'PEER_UNAVAILABLE', retryable: true, requestId: frame.id, details: { userId: 'pat' } });
    expect(error.request).toEqual({ type: 'signal', id: frame.id, to: 'user:pat' });
  });

  it('refuses an invalid request locally, without sending it', async () => {
    const client = testClient({ url: server.url });
    const conn = await server.nextConnection();
    await stateIs(client, 'open');
    const error = await client.publishLocation({ lat: 200, lng: 0, accuracy: 1, timestamp: 1 }).catch((e: TetherError) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    const ping = client.ping();
    conn.ack((await conn.next('ping')).id, { ts: 1 });
    await ping;
    expect(conn.received.map((f) => f.type)).toEqual(['ping']);
  });

  it('emits connection-level error frames (id null) as error events', async () => {
    const client = testClient({ url: server.url });
    const conn = await server.nextConnection();
    const emitted = nextEvent(client, 'error');
    conn.error(null, 'BAD_JSON');
    expect(await emitted).toMatchObject({ name: 'RequestError', code: 'BAD_JSON', requestId: null });
  });

  describe('with manual timers', () => {
    let timers: ManualTimers;
    beforeEach(() => (timers = new ManualTimers()));

    /** A client that is open on `conn`, with `requestTimeoutMs` 1 000 and `maxAttempts` 3. */
    async function open(): Promise<{ client: ReturnType<typeof testClient>; conn: FakeConnection }> {
      const client = testClient({ url: server.url, timers, requestTimeoutMs: 1_000, maxAttempts: 3 });
      const conn = await server.nextConnection();
      await stateIs(client, 'open');
      return { client, conn };
    }

    it('re-sends a timed-out request with the same id on a link that is alive, and takes the first answer', async () => {
      const { client, conn } = await open();
      const pong = client.ping();
      const first = await conn.next('ping');
      conn.deliverSignal('user:u1', 'other'); // traffic: the link is alive, only this answer is late
      await nextEvent(client, 'signal');
      timers.advance(1_000);
      const second = await conn.next('ping');
      expect(second.id).toBe(first.id);
      conn.ack(first.id, { ts: 7 });
      conn.ack(first.id, { ts: 7 }); // the server answers a repeated id again; the SDK ignores the extra
      expect((await pong).ts).toBe(7);
      expect(client.state).toBe('open');
    });

    it('drops a silent link, reconnects and re-sends the same id on the new connection', async () => {
      const { client, conn } = await open();
      const pong = client.ping();
      const first = await conn.next('ping');
      const dropped = nextEvent(client, 'state', (s) => s.state === 'reconnecting');
      timers.advance(1_000); // no frame at all during the attempt: the link is presumed dead; reconnect at +0 ms
      expect((await dropped).reason).toBe('no frame from the server within 1000 ms');
      await conn.closed;
      const next = await server.nextConnection();
      const again = await next.next('ping');
      expect(again.id).toBe(first.id);
      next.ack(again.id, { ts: 9 });
      expect((await pong).ts).toBe(9);
    });

    it('rejects with a TimeoutError after maxAttempts, every attempt with the same id', async () => {
      const { client, conn } = await open();
      const outcome = client.ping().catch((e: unknown) => e);
      const ids: string[] = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        ids.push((await conn.next('ping')).id);
        conn.deliverSignal('user:u1', `keepalive-${attempt}`, attempt);
        await nextEvent(client, 'signal');
        timers.advance(1_000);
      }
      const error = (await outcome) as TimeoutError;
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ code: 'TIMEOUT', retryable: true, attempts: 3, requestId: ids[0] });
      expect(new Set(ids).size).toBe(1);
    });

    it('re-sends a RATE_LIMITED request with the same id after retryAfterMs', async () => {
      const { client, conn } = await open();
      const pong = client.ping();
      const first = await conn.next('ping');
      conn.error(first.id, 'RATE_LIMITED', { retryable: true, details: { retryAfterMs: 250 } });
      conn.deliverSignal('user:u1', 'barrier'); // frames are handled in order: once this one is seen, so was the error
      await nextEvent(client, 'signal');
      expect(timers.delays).toContain(250);
      timers.advance(250);
      const second = await conn.next('ping');
      expect(second.id).toBe(first.id);
      conn.ack(second.id, { ts: 3 });
      expect((await pong).ts).toBe(3);
    });
  });
});
