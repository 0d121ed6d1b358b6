/**
 * Vitest global setup: makes a RabbitMQ, a Redis and a PostgreSQL available to every test file,
 * through `inject('rabbitmqUrl')` / `inject('redisUrl')` / `inject('databaseUrl')`. When
 * RABBITMQ_URL / REDIS_URL / DATABASE_URL are set they are used as they are; otherwise private
 * instances are started from the installed Debian binaries (test/support/rabbitmq.ts,
 * test/support/redis.ts, scripts/services/postgres.ts) and stopped at the end. A missing binary
 * fails the run with instructions; suites are never skipped.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../scripts/services/postgres.ts';
import { startRabbitMq } from '../support/rabbitmq.ts';
import { startRedis } from '../support/redis.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = await Promise.allSettled([
    process.env.RABBITMQ_URL ? null : startRabbitMq({ name: 'shared' }),
    process.env.REDIS_URL ? null : startRedis({ name: 'shared' }),
    process.env.DATABASE_URL ? null : startPostgres({ name: 'shared' }),
  ] as const);
  const [rabbit, redis, database] = started.map((s) => (s.status === 'fulfilled' ? s.value : null)) as [
    Awaited<ReturnType<typeof startRabbitMq>> | null,
    Awaited<ReturnType<typeof startRedis>> | null,
    Awaited<ReturnType<typeof startPostgres>> | null,
  ];
  const stop = async (): Promise<void> => {
    await Promise.all([rabbit?.stop(), redis?.stop(), database?.stop()]);
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    // one service is missing: stop the others, and fail the run saying how to get it
    await stop();
    throw failed.reason;
  }
  project.provide('rabbitmqUrl', process.env.RABBITMQ_URL ?? rabbit!.url);
  project.provide('redisUrl', process.env.REDIS_URL ?? redis!.url);
  project.provide('databaseUrl', process.env.DATABASE_URL ?? database!.url);
  return stop;
}

declare module 'vitest' {
  export interface ProvidedContext {
    rabbitmqUrl: string;
    redisUrl: string;
    databaseUrl: string;
  }
}
