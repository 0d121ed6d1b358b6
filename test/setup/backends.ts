/**
 * Vitest global setup: makes a RabbitMQ and a Redis available to every test file, through
 * `inject('rabbitmqUrl')` / `inject('redisUrl')`. When RABBITMQ_URL / REDIS_URL are set they are
 * used as they are; otherwise private instances are started from the installed Debian binaries
 * (test/support/rabbitmq.ts, test/support/redis.ts) and stopped at the end. A missing binary fails
 * the run with instructions; suites are never skipped.
 */
import type { TestProject } from 'vitest/node';
import { startRabbitMq } from '../support/rabbitmq.ts';
import { startRedis } from '../support/redis.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [rabbit, redis] = await Promise.all([
    process.env.RABBITMQ_URL ? null : startRabbitMq({ name: 'shared' }),
    process.env.REDIS_URL ? null : startRedis({ name: 'shared' }),
  ]);
  project.provide('rabbitmqUrl', process.env.RABBITMQ_URL ?? rabbit!.url);
  project.provide('redisUrl', process.env.REDIS_URL ?? redis!.url);
  return async () => {
    await Promise.all([rabbit?.stop(), redis?.stop()]);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    rabbitmqUrl: string;
    redisUrl: string;
  }
}
