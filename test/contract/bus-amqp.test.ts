import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import { inject } from 'vitest';
import { AmqpBus, type AmqpBusOptions } from '../../src/bus/amqp.ts';
import type { AmqpTopology } from '../../src/bus/amqp-topology.ts';
import type { Bus } from '../../src/bus/bus.ts';
import { describeBusContract } from './bus-contract.ts';

for (const topology of ['routed', 'fanout'] as const satisfies AmqpTopology[]) {
  describeBusContract(`amqp ${topology}`, { mandatoryKnowsSubscribers: topology === 'routed' }, async () => {
    const url = inject('rabbitmqUrl');
    // one exchange per cluster, so files and tests sharing the broker never see each other's traffic
    const exchange = `tether.test.${topology}.${randomUUID()}`;
    // user channels on a queue of their own with a queue-level TTL, as a node sets it up (src/backends.ts)
    const expiringChannels = { ttlMs: 10_000, matches: (channel: string) => channel.startsWith('user:') };
    const options: AmqpBusOptions = { url, topology, exchange, durableExchange: false, expiringChannels };
    const buses: Bus[] = [0, 1, 2].map((i) => new AmqpBus({ ...options, nodeId: `contract-${topology}-${i}` }));
    await Promise.all(buses.map((bus) => bus.start()));
    return {
      buses,
      async close() {
        await Promise.all(buses.map((bus) => bus.close()));
        await deleteExchange(url, exchange);
      },
    };
  });
}

async function deleteExchange(url: string, exchange: string): Promise<void> {
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    await channel.deleteExchange(exchange);
  } finally {
    await connection.close();
  }
}
