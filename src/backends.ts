import type { Logger } from 'pino';
import { AmqpBus } from './bus/amqp.ts';
import type { ExpiringChannels } from './bus/amqp-topology.ts';
import type { Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory.ts';
import type { Config } from './config.ts';
import { amqpBusMetrics } from './observability/bus-metrics.ts';
import type { NodeMetrics } from './observability/metrics.ts';
import { MemoryStore } from './store/memory.ts';
import { RedisStore } from './store/redis.ts';
import type { Store } from './store/store.ts';

/**
 * Picks the Bus and Store the config names: RabbitMQ when RABBITMQ_URL is set (one URL, or a
 * comma-separated list of a cluster's nodes), Redis when REDIS_URL is set (through Sentinel when
 * REDIS_SENTINELS is), in-memory otherwise (a single node; nothing is shared between processes).
 */
export function createBackends(config: Config, logger: Logger, metrics: NodeMetrics): { bus: Bus; store: Store } {
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
  if (!config.RABBITMQ_URL || !config.REDIS_URL) {
    logger.info({ bus: config.RABBITMQ_URL ? 'rabbitmq' : 'memory', store: config.REDIS_URL ? 'redis' : 'memory' }, 'backends');
  }
  return { bus, store };
}

/** A user channel carries direct signals only, each with `SIGNAL_TTL_MS`: its queue can expire them. */
export function userChannelsExpire(ttlMs: number): ExpiringChannels {
  return { ttlMs, matches: (channel) => channel.startsWith('user:') };
}
