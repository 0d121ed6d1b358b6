import type { Channel } from 'amqplib';

/**
 * `routed`: a direct exchange, routing key = channel name, one binding per channel this node
 * receives; a message reaches only the nodes that bound its channel, and `mandatory` detects a
 * channel nobody receives. `fanout`: a fanout exchange with every node's queue bound once; each
 * node filters by its own channels, so subscribing needs no broker round trip.
 */
export type AmqpTopology = 'routed' | 'fanout';

export interface TopologyConfig {
  kind: AmqpTopology;
  exchange: string;
  /** whether the exchange survives a broker restart; every node must declare it the same way */
  durable: boolean;
}

/**
 * Declares the exchange and this node's server-named exclusive queue (deleted by the broker when
 * the consume connection closes; RabbitMQ 4 refuses transient non-exclusive queues), then binds
 * `channels` (routed, spread over the given AMQP channels) or the queue once (fanout). Resolves
 * with the queue name once every bind is confirmed.
 */
export async function declareTopology(chs: readonly Channel[], config: TopologyConfig, channels: Iterable<string>): Promise<string> {
  const ch = chs[0]!;
  await ch.assertExchange(config.exchange, config.kind === 'routed' ? 'direct' : 'fanout', {
    durable: config.durable,
    autoDelete: false,
  });
  const { queue } = await ch.assertQueue('', { exclusive: true, durable: false, autoDelete: true });
  if (config.kind === 'fanout') await ch.bindQueue(queue, config.exchange, '');
  else await Promise.all(Array.from(channels, (channel, i) => chs[i % chs.length]!.bindQueue(queue, config.exchange, channel)));
  return queue;
}
