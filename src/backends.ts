import type { Logger } from 'pino';
import { AmqpBus } from './bus/amqp.ts';
import type { Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory.ts';
import type { Config } from './config.ts';
import { amqpBusMetrics } from './observability/bus-metrics.ts';
import type { NodeMetrics } from './observability/metrics.ts';
import { MemoryStore } from './store/memory.ts';
import { RedisStore } from './store/redis.ts';
import type { Store } from './store/store.ts';

/**
 * Picks the Bus and Store the config names: RabbitMQ when RABBITMQ_URL is set, Redis when
 * REDIS_URL is set, in-memory otherwise (a single node; nothing is shared between processes).
 */
export function createBackends(config: Config, logger: Logger, metrics: NodeMetrics): { bus: Bus; store: Store } {
  const store = config.REDIS_URL
    ? new RedisStore({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX, logger: logger.child({ part: 'store' }) })
    : new MemoryStore();
  const bus = config.RABBITMQ_URL
    ? new AmqpBus({
        url: config.RABBITMQ_URL,
        topology: config.BUS_TOPOLOGY,
        exchange: config.BUS_EXCHANGE,
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
