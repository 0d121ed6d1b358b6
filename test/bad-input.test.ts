import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Cluster, startCluster } from './support/cluster.ts';
import type { TestClient } from './support/client.ts';

/** After each bad input: the same connection still works, and so does the node for others. */
async function stillUp(cluster: Cluster, client: TestClient): Promise<void> {
  expect(await client.request({ type: 'ping' })).toMatchObject({ type: 'ack', result: { ts: expect.any(Number) } });
  const other = await cluster.connect(0, { sub: `other-${Math.random().toString(36).slice(2)}` });
  await other.ok({ type: 'ping' });
}

describe('bad input is answered with a documented code; the connection and node stay up', () => {
  let cluster: Cluster;
  let carol: TestClient;
  beforeEach(async () => {
    cluster = await startCluster(1, { config: { MAX_FRAME_BYTES: 4096, RATE_PER_SECOND: 5, RATE_BURST: 20, MAX_SUBSCRIPTIONS: 3 } });
    carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'], rooms: ['r*'] });
  });
  afterEach(() => cluster.stop());

  const cases: Array<[string, string, object]> = [
    ['malformed JSON', '{"type": "ping", "id": ', { id: null, code: 'BAD_JSON' }],
    ['a JSON array', '[1,2]', { id: null, code: 'BAD_FRAME' }],
    ['an unknown type', '{"type":"teleport","id":"u1"}', { id: 'u1', code: 'UNKNOWN_TYPE' }],
    ['a missing type', '{"id":"u2"}', { id: 'u2', code: 'UNKNOWN_TYPE' }],
    ['wrong field types', '{"type":"subscribe","id":"w1","channel":42}', { id: 'w1', code: 'BAD_FRAME' }],
    ['a bad channel name', '{"type":"subscribe","id":"w2","channel":"user:a:b"}', { id: 'w2', code: 'BAD_FRAME' }],
    ['an extra field', '{"type":"ping","id":"w3","extra":1}', { id: 'w3', code: 'BAD_FRAME' }],
    ['a missing id', '{"type":"ping"}', { id: null, code: 'BAD_FRAME' }],
    [
      'an attempt to set from',
      JSON.stringify({ type: 'signal', id: 'f1', to: 'user:pat', callId: 'c', from: { userId: 'pat' }, signal: { kind: 'ringing' } }),
      { id: 'f1', code: 'FROM_NOT_ALLOWED', retryable: false },
    ],
  ];
  for (const [name, text, expected] of cases) {
    it(`answers ${name}`, async () => {
      carol.sendRaw(text);
      expect(await carol.next('error')).toMatchObject({ type: 'error', retryable: false, ...expected });
      await stillUp(cluster, carol);
    });
  }

  it('answers a binary frame', async () => {
    carol.sendRaw(Buffer.from([1, 2, 3]));
    expect(await carol.next('error')).toMatchObject({ id: null, code: 'BAD_FRAME' });
    await stillUp(cluster, carol);
  });

  it('answers an oversized frame under its id', async () => {
    carol.sendRaw(JSON.stringify({ type: 'ping', id: 'big', pad: 'x'.repeat(5000) }));
    expect(await carol.next('error')).toMatchObject({ id: 'big', code: 'FRAME_TOO_LARGE', retryable: false });
    await stillUp(cluster, carol);
  });

  it('closes with 1009 past the hard frame cap, and the node stays up', async () => {
    carol.sendRaw('x'.repeat(2 * 1024 * 1024));
    expect((await carol.closed).code).toBe(1009);
    const other = await cluster.connect(0, { sub: 'dan' });
    await other.ok({ type: 'ping' });
  });

  it('answers a flood past the rate limit with RATE_LIMITED and recovers', async () => {
    for (let i = 0; i < 30; i++) carol.send({ type: 'ping', id: `p${i}` });
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => carol.answer(`p${i}`)));
    const limited = answers.filter((a) => a.type === 'error');
    expect(answers.filter((a) => a.type === 'ack')).toHaveLength(20);
    expect(limited).toHaveLength(10);
    expect(limited[0]).toMatchObject({ code: 'RATE_LIMITED', retryable: true, details: { retryAfterMs: expect.any(Number) } });
    const retryAfter = Number(limited[0]?.type === 'error' && limited[0].details?.retryAfterMs);
    await new Promise((resolve) => setTimeout(resolve, retryAfter)); // waiting out the advertised back-off is the behaviour under test
    await stillUp(cluster, carol);
  });

  it('refuses a location stream the token does not grant', async () => {
    expect(await carol.request({ type: 'subscribe', channel: 'location:stranger' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await carol.request({ type: 'subscribe', channel: 'user:pat' })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await carol.request({ type: 'subscribe', channel: 'room:other' })).toMatchObject({ code: 'FORBIDDEN' });
    await stillUp(cluster, carol);
  });

  it('refuses signaling a stranger and a room not joined', async () => {
    const stranger = await cluster.connect(0, { sub: 'stranger' });
    const toStranger = await carol.request({ type: 'signal', to: 'user:stranger', callId: 'c', signal: { kind: 'ringing' } });
    expect(toStranger).toMatchObject({ code: 'FORBIDDEN' });
    const toRoom = await carol.request({ type: 'signal', to: 'room:r1', callId: 'c', signal: { kind: 'ringing' } });
    expect(toRoom).toMatchObject({ code: 'NOT_SUBSCRIBED' });
    expect(await stranger.request({ type: 'signal', to: 'user:carol', callId: 'c', signal: { kind: 'ringing' } })).toMatchObject({ code: 'FORBIDDEN' });
    await stranger.ok({ type: 'ping' });
    expect(stranger.frames).toEqual([]);
    await stillUp(cluster, carol);
  });

  it('enforces the subscription limit and unsubscribe rules', async () => {
    await carol.ok({ type: 'subscribe', channel: 'room:r1' });
    await carol.ok({ type: 'subscribe', channel: 'room:r2' });
    expect(await carol.request({ type: 'subscribe', channel: 'room:r3' })).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    await carol.ok({ type: 'subscribe', channel: 'room:r2' }); // already subscribed: idempotent
    expect(await carol.request({ type: 'unsubscribe', channel: 'room:r3' })).toMatchObject({ code: 'NOT_SUBSCRIBED' });
    expect(await carol.request({ type: 'unsubscribe', channel: 'user:carol' })).toMatchObject({ code: 'FORBIDDEN' });
    await carol.ok({ type: 'unsubscribe', channel: 'room:r2' });
    await carol.ok({ type: 'subscribe', channel: 'room:r3' });
  });
});
