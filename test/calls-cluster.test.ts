/**
 * The call scenarios (test/support/call-scenarios.ts) on three in-process nodes over the real
 * backends: RabbitMQ (both topologies), Redis for the store and the call state, PostgreSQL for
 * the call history. Each cluster has its own exchange and key prefix on the suite's servers.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { AmqpBus } from '../src/bus/amqp.ts';
import { RedisCallStore } from '../src/calls/redis-call-store.ts';
import { PostgresRecords } from '../src/records/postgres.ts';
import { RedisStore } from '../src/store/redis.ts';
import type { ClusterOptions } from './support/cluster.ts';
import { describeCallScenarios, figures } from './support/call-scenarios.ts';

function realBackends(topology: 'routed' | 'fanout'): () => ClusterOptions {
  return () => {
    const run = randomUUID().slice(0, 8);
    const prefix = `t-${run}:`;
    return {
      makeStore: () => new RedisStore({ url: inject('redisUrl'), prefix }),
      makeCalls: () => new RedisCallStore({ url: inject('redisUrl'), prefix }),
      makeRecords: () => new PostgresRecords({ url: inject('databaseUrl'), poolSize: 2 }),
      makeBus: (i) => new AmqpBus({ url: inject('rabbitmqUrl'), topology, exchange: `tether.test.${topology}.${run}`, durableExchange: false, nodeId: `node-${i}` }),
    };
  };
}

describeCallScenarios('RabbitMQ routed + Redis + PostgreSQL', realBackends('routed'));
describeCallScenarios('RabbitMQ fanout + Redis + PostgreSQL', realBackends('fanout'));
afterAll(() => process.stdout.write(`call figures, RabbitMQ + Redis + PostgreSQL (ms): ${JSON.stringify(figures)}\n`));
