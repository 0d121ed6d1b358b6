import type { Logger } from 'pino';
import type { Bus } from './bus/bus.ts';
import { MemoryBus } from './bus/memory.ts';
import type { Config } from './config.ts';
import type { Store } from './store/store.ts';
import { MemoryStore } from './store/memory.ts';

/** Picks the Bus and Store the config names: RabbitMQ / Redis when their URLs are set, else in-memory. */
export function createBackends(config: Config, logger: Logger): { bus: Bus; store: Store } {
  if (config.RABBITMQ_URL || config.REDIS_URL) {
    logger.warn('RABBITMQ_URL / REDIS_URL are not wired yet; using in-memory backends');
  }
  return { bus: new MemoryBus(), store: new MemoryStore() };
}
