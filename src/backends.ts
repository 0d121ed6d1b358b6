import type { Logger } from 'pino';
import { AmqpBus } from './bus/amqp.ts';
import type { ExpiringChannels } from './bus/amqp-topology.ts';
import type { CallStore } from './calls/call-store.ts';
import { MemoryCallStore } from './calls/memory-call-store.ts';
import { RedisCallStore } from './calls/redis-call-store.ts';
import type { Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory.ts';
import type { Config } from './config.ts';
import { amqpBusMetrics } from './observability/bus-metrics.ts';
import type { NodeMetrics } from './observability/metrics.ts';
import { MemoryRecords } from './records/memory.ts';
import { PostgresRecords } from './records/postgres.ts';
import type { Records } from './records/records.ts';
import type { SafetyStore } from './safety/safety-store.ts';
import { MemorySafetyStore } from './store/memory-safety.ts';
import { MemoryStore } from './store/memory.ts';
import { RedisSafetyStore } from './store/redis-safety.ts';
import { RedisStore } from './store/redis.ts';
import type { Store } from './store/store.ts';

/**
 * Picks the Bus, Store and Records the config names: RabbitMQ when RABBITMQ_URL is set (one URL,
 * or a comma-separated list of a cluster's nodes), Redis when REDIS_URL is set (through Sentinel
 * when REDIS_SENTINELS is), PostgreSQL when DATABASE_URL is set; in-memory otherwise (a single
 * node; nothing is shared between processes).
 */
export function createBackends(
  config: Config,
  logger: Logger,
  metrics: NodeMetrics,
): { bus: Bus; store: Store; records: Records; calls: CallStore; safetyStore: SafetyStore } {
  const store = config.REDIS_URL
    ? new RedisStore({
        url: config.REDIS_URL,
        prefix: config.REDIS_PREFIX,
        logger: logger.child({ part: 'store' }),
        ...(config.REDIS_SENTINELS.length > 0 && {
          sentinel: {
            addresses: config.REDIS_SENTINELS,
            master: config.REDIS_SENTINEL_MASTER,
            password: config.REDIS_SENTINEL_PASSWORD,
          },
        }),
      })
    : new MemoryStore();
  // calls and the safety state live beside the store, in the same Redis
  const sentinel =
    config.REDIS_SENTINELS.length > 0
      ? { addresses: config.REDIS_SENTINELS, master: config.REDIS_SENTINEL_MASTER, password: config.REDIS_SENTINEL_PASSWORD }
      : undefined;
  const calls = config.REDIS_URL
    ? new RedisCallStore({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX, ...(sentinel && { sentinel }) })
    : new MemoryCallStore();
  const safetyStore = config.REDIS_URL
    ? new RedisSafetyStore({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX, ...(sentinel && { sentinel }) })
    : new MemorySafetyStore();
  const bus = config.RABBITMQ_URL
    ? new AmqpBus({
        url: config.RABBITMQ_URL.split(',').map((url) => url.trim()).filter(Boolean),
        topology: config.BUS_TOPOLOGY,
        exchange: config.BUS_EXCHANGE,
        expiringChannels: userChannelsExpire(config.SIGNAL_TTL_MS),
        coalesce: config.BUS_COALESCE,
        nodeId: config.NODE_ID,
        metrics: amqpBusMetrics(metrics.registry),
        logger: logger.child({ part: 'bus' }),
      })
    : new MemoryBus(undefined, logger.child({ part: 'bus' }));
  const records = config.DATABASE_URL
    ? new PostgresRecords({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, logger: logger.child({ part: 'records' }) })
    : new MemoryRecords();
  if (!config.RABBITMQ_URL || !config.REDIS_URL || !config.DATABASE_URL) {
    logger.info(
      { bus: config.RABBITMQ_URL ? 'rabbitmq' : 'memory', store: config.REDIS_URL ? 'redis' : 'memory', records: config.DATABASE_URL ? 'postgres' : 'memory' },
      'backends',
    );
  }
  return { bus, store, records, calls, safetyStore };
}

/** A user channel carries direct signals, call events and alerts, each with `SIGNAL_TTL_MS`: its queue can expire them. */
export function userChannelsExpire(ttlMs: number): ExpiringChannels {
  return { ttlMs, matches: (channel) => channel.startsWith('user:') };
}
