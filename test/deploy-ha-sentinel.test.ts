/**
 * No single store: a node configured with REDIS_SENTINELS follows a Sentinel failover. The
 * primary is SIGKILLed while a caregiver's session is live; the store goes down, the Sentinels
 * promote the replica, and the same node (no restart) reconnects to the new primary, writes there
 * and answers store requests again.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisSentinelSetup, startRedisSentinel } from '../scripts/ha/redis-sentinel.ts';
import { createBackends } from '../src/backends.ts';
import { configWith } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { NodeMetrics } from '../src/observability/metrics.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import { reaches } from './support/state.ts';

describe('Redis Sentinel failover', () => {
  let redis: RedisSentinelSetup;
  let cluster: Cluster;
  const prefix = `sentinel-${randomBytes(4).toString('hex')}:`;
  beforeAll(async () => {
    redis = await startRedisSentinel();
    // the store is built from the same settings an operator gives, through createBackends
    const config = configWith({
      NODE_ENV: 'development',
      REDIS_URL: 'redis://ignored-host:6379',
      REDIS_SENTINELS: redis.sentinels.join(','),
      REDIS_SENTINEL_MASTER: redis.master,
      REDIS_PREFIX: prefix,
      LOG_LEVEL: 'silent',
    });
    const { store } = createBackends(config, createLogger({ level: 'silent', nodeId: 'n' }), new NodeMetrics());
    cluster = await startCluster(1, { makeStore: () => store });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await redis?.stop();
  });

  it('follows the promoted replica without a restart', async ({ annotate }) => {
    const store = cluster.nodes[0]!.store;
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'], rooms: ['r1', 'r2'] });
    await carol.ok({ type: 'subscribe', channel: 'room:r1' });

    const down = reaches(store, 'down');
    const killedAt = performance.now();
    const old = await redis.killPrimary();
    await down;
    // meanwhile a room subscription holds for live relay, without a roster (the store is away)
    expect(await carol.ok({ type: 'subscribe', channel: 'room:r2' })).toEqual({ channel: 'room:r2' });
    await reaches(store, 'up');
    const failoverMs = performance.now() - killedAt;
    const now = await redis.primary();
    expect(now).not.toBe(old);

    // the same connection gets rosters again, written to and read from the new primary
    await carol.ok({ type: 'unsubscribe', channel: 'room:r2' });
    expect(await carol.ok({ type: 'subscribe', channel: 'room:r2' })).toMatchObject({
      channel: 'room:r2',
      members: [expect.objectContaining({ userId: 'carol' })],
    });
    const direct = new Redis({ port: now, host: '127.0.0.1' });
    try {
      expect(await direct.hexists(`${prefix}room:r2:members`, carol.welcome.sessionId)).toBe(1);
      expect(String(await direct.info('replication'))).toContain('role:master');
    } finally {
      direct.disconnect();
    }
    await annotate(`sentinel failover: store up on the new primary ${Math.round(failoverMs)} ms after the primary was killed`);
  }, 60_000);
});
