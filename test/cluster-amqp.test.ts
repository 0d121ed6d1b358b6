import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { userChannelsExpire } from '../src/backends.ts';
import { AmqpBus } from '../src/bus/amqp.ts';
import { RedisStore } from '../src/store/redis.ts';
import type { Store } from '../src/store/store.ts';
import type { ClusterOptions } from './support/cluster.ts';
import { describeClusterScenarios } from './support/cluster-scenarios.ts';

/** Three nodes on one real RabbitMQ and one real Redis, namespaced per cluster so files can share them. */
function realBackends(topology: 'routed' | 'fanout'): () => ClusterOptions {
  return () => {
    const run = randomUUID().slice(0, 8);
    const stores: Store[] = [];
    return {
      makeStore: (i) => (stores[i] = new RedisStore({ url: inject('redisUrl'), prefix: `t-${run}:` })),
      makeBus: (i) =>
        new AmqpBus({
          url: inject('rabbitmqUrl'),
          topology,
          exchange: `tether.test.${topology}.${run}`,
          durableExchange: false,
          expiringChannels: userChannelsExpire(10_000),
          nodeId: `node-${i}`,
        }),
    };
  };
}

describeClusterScenarios('RabbitMQ routed + Redis', realBackends('routed'));
describeClusterScenarios('RabbitMQ fanout + Redis', realBackends('fanout'), { unroutable: false });
