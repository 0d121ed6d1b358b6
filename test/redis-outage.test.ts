/**
 * Redis stopped and restarted under traffic: signaling keeps relaying; presence, history and
 * stored positions answer STORE_UNAVAILABLE; readiness stays on (Redis is not required to relay);
 * when Redis is back, empty, nodes register their sessions again and state features work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSafetyStore } from '../src/store/redis-safety.ts';
import { RedisStore } from '../src/store/redis.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import { type RedisInstance, startRedis } from './support/redis.ts';
import { reaches } from './support/state.ts';

const fix = (n: number) => ({ lat: 1, lng: 2, accuracy: 3, timestamp: 1_790_000_000_000 + n });

describe('Redis outage under traffic', () => {
  let redis: RedisInstance;
  let cluster: Cluster;
  beforeAll(async () => {
    redis = await startRedis({ name: 'node-outage' });
    // the safety state lives in the same Redis, as in a deployment
    cluster = await startCluster(2, {
      makeStore: () => new RedisStore({ url: redis.url, reconnectMaxMs: 200 }),
      makeSafetyStore: () => new RedisSafetyStore({ url: redis.url }),
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
  });

  it('keeps signaling, answers state requests with STORE_UNAVAILABLE, and recovers by itself', async () => {
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'], rooms: ['care-*'] });
    const pat = await cluster.connect(1, { sub: 'pat', role: 'patient', contacts: ['carol'], rooms: ['care-*'] });
    await carol.ok({ type: 'subscribe', channel: 'location:pat' });
    await carol.ok({ type: 'subscribe', channel: 'room:care-1' });
    await pat.ok({ type: 'subscribe', channel: 'room:care-1' });

    const stores = cluster.nodes.map((n) => n.store);
    const down = Promise.all(stores.map((s) => reaches(s, 'down')));
    await redis.stop();
    await down;

    await carol.ok({ type: 'signal', to: 'user:pat', callId: 'c', signal: { kind: 'invite', media: 'audio' } });
    expect(await pat.next('signal')).toMatchObject({ signal: { kind: 'invite' } });
    await pat.ok({ type: 'signal', to: 'room:care-1', callId: 'c', signal: { kind: 'accept' } });
    expect(await carol.next('signal')).toMatchObject({ channel: 'room:care-1' });
    // the position is relayed live, and the patient is told it was not kept
    expect(await pat.request({ type: 'location', position: fix(1) })).toMatchObject({ type: 'error', code: 'STORE_UNAVAILABLE', retryable: true });
    expect((await carol.next('location')).position).toEqual(fix(1));
    for (const request of [{ type: 'lookup', userId: 'pat' }, { type: 'history', channel: 'location:pat' }] as const) {
      expect(await carol.request(request)).toMatchObject({ type: 'error', code: 'STORE_UNAVAILABLE', retryable: true });
    }
    expect((await fetch(`${cluster.http(0)}/readyz`)).status).toBe(200);
    const late = await cluster.connect(0, { sub: 'dan', role: 'caregiver', patients: ['pat'] });
    expect(late.welcome.resume).toBeNull();
    // a watcher can still start watching: the ack leaves out what only the store knows
    expect(await late.ok({ type: 'subscribe', channel: 'location:pat' })).toEqual({ channel: 'location:pat' });
    await pat.request({ type: 'location', position: fix(3) });
    expect((await late.next('location')).position).toEqual(fix(3));

    await redis.start();
    await Promise.all(stores.map((s) => reaches(s, 'up')));
    // each node registered its sessions again by itself, on the store's return
    await Promise.all(cluster.nodes.map((n) => n.presence.lastRestore));
    // and its safety store reconnected (its own connection, on its own backoff): positions are weighed again
    await expect.poll(() => Promise.all(cluster.nodes.map((n) => n.safetyStore.openAlerts().then(() => true, () => false))), { timeout: 10_000 }).toEqual([true, true]);

    expect(await carol.ok({ type: 'lookup', userId: 'pat' })).toEqual({ userId: 'pat', online: true, sessions: 1 });
    await pat.ok({ type: 'location', position: fix(2) });
    expect(await carol.ok({ type: 'history', channel: 'location:pat' })).toMatchObject({ positions: [{ position: fix(2) }] });
    const roster = await carol.ok({ type: 'subscribe', channel: 'room:care-1' });
    expect(roster && 'members' in roster && roster.members?.map((m) => m.userId).sort()).toEqual(['carol', 'pat']);
  }, 60_000);
});
