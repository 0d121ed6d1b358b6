/**
 * RedisStore specifics beyond the Store contract: key layout, expiries, and records it cannot
 * read. A plain ioredis client looks at the keys directly.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisStore } from '../../src/store/redis.ts';

describe('RedisStore keys', () => {
  const warnings: unknown[][] = [];
  const logger = { info: () => {}, warn: (...args: unknown[]) => void warnings.push(args) };
  const ns = `test:${randomUUID()}:`;
  let raw: Redis;
  let store: RedisStore;

  beforeAll(async () => {
    raw = new Redis(inject('redisUrl'), { lazyConnect: true });
    await raw.connect();
    store = new RedisStore({ url: inject('redisUrl'), prefix: ns, logger, roomTtlMs: 60_000, positionTtlMs: 120_000 });
    await store.start();
  });
  afterAll(async () => {
    await store?.close();
    raw?.disconnect();
  });

  it('puts every key under the prefix, each with an expiry', async () => {
    const room = `r-${randomUUID()}`;
    const patient = `p-${randomUUID()}`;
    await store.joinRoom(room, { userId: 'u', role: 'patient', sessionId: 's1' });
    await store.setLastPosition(patient, {
      position: { lat: 1, lng: 2, accuracy: 3, timestamp: 1 },
      from: { userId: patient, role: 'patient', sessionId: 's2' },
      ts: 2,
    });
    const roomKey = `${ns}room:${room}:members`;
    const positionKey = `${ns}loc:${patient}:last`;
    expect((await raw.keys(`${ns}*`)).sort()).toEqual([positionKey, roomKey].sort());
    const roomTtl = await raw.pttl(roomKey);
    expect(roomTtl).toBeGreaterThan(50_000);
    expect(roomTtl).toBeLessThanOrEqual(60_000);
    const positionTtl = await raw.pttl(positionKey);
    expect(positionTtl).toBeGreaterThan(110_000);
    expect(positionTtl).toBeLessThanOrEqual(120_000);
  });

  it('refreshes a roster expiry on join and deletes an emptied roster', async () => {
    const room = `r-${randomUUID()}`;
    const key = `${ns}room:${room}:members`;
    await store.joinRoom(room, { userId: 'u', role: 'patient', sessionId: 's1' });
    await raw.pexpire(key, 5_000);
    await store.joinRoom(room, { userId: 'v', role: 'caregiver', sessionId: 's2' });
    expect(await raw.pttl(key)).toBeGreaterThan(50_000);
    await store.leaveRoom(room, 's1');
    await store.leaveRoom(room, 's2');
    expect(await raw.exists(key)).toBe(0);
  });

  it('leaves out and logs a roster entry it cannot read', async () => {
    const room = `r-${randomUUID()}`;
    const member = { userId: 'u', role: 'patient', sessionId: 's1' };
    await raw.hset(`${ns}room:${room}:members`, 'bad-json', '{', 'bad-shape', '{"userId":1}');
    expect(await store.joinRoom(room, member)).toEqual([member]);
    expect(warnings.map((args) => (args[0] as { sessionId: string }).sessionId).sort()).toEqual(['bad-json', 'bad-shape']);
  });

  it('rejects an unreadable last position with StoreError', async () => {
    const patient = `p-${randomUUID()}`;
    await raw.set(`${ns}loc:${patient}:last`, '{"position":{}}', 'PX', 60_000);
    await expect(store.lastPosition(patient)).rejects.toMatchObject({ name: 'StoreError', code: 'UNAVAILABLE' });
  });
});
