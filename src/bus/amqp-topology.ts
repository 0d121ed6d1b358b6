import type { Channel } from 'amqplib';

/**
 * `routed`: a direct exchange, routing key = channel name, one binding per channel this node
 * receives; a message reaches only the nodes that bound its channel, and `mandatory` detects a
 * channel nobody receives. `fanout`: a fanout exchange with every node's queue bound once; each
 * node filters by its own channels, so subscribing needs no broker round trip.
 */
export type AmqpTopology = 'routed' | 'fanout';

/**
 * Channels every message of which is published with the same TTL (Tether's `user:` channels: direct
 * signals, call events and alerts, all with `SIGNAL_TTL_MS`). In `routed` they are bound to a second queue of the node's, whose
 * queue-level `x-message-ttl` expires them, and are published without a per-message expiration,
 * which costs the broker more per message. A message published on such a channel with another TTL
 * keeps its own expiration, and the shorter of the two applies.
 */
export interface ExpiringChannels {
  /** ms, the queue's `x-message-ttl` */
  ttlMs: number;
  matches(channel: string): boolean;
}

export interface TopologyConfig {
  kind: AmqpTopology;
  exchange: string;
  /** whether the exchange survives a broker restart; every node must declare it the same way */
  durable: boolean;
  /** routed only */
  expiring?: ExpiringChannels | undefined;
}

/** The queues a node consumes: `main`, and in routed with `expiring` set, one for those channels. */
export interface NodeQueues {
  main: string;
  expiring?: string;
}

/** The queue `channel` is bound to. */
export function queueFor(queues: NodeQueues, config: TopologyConfig, channel: string): string {
  return queues.expiring !== undefined && config.expiring!.matches(channel) ? queues.expiring : queues.main;
}

/**
 * Declares the exchange and this node's server-named exclusive queues (deleted by the broker when
 * the consume connection closes; RabbitMQ 4 refuses transient non-exclusive queues; queue
 * arguments are the declaring connection's own, so a node may change them at any restart), then
 * binds `channels` (routed, spread over the given AMQP channels, each to its queue) or the main
 * queue once (fanout). Resolves with the queue names once every bind is confirmed.
 */
export async function declareTopology(chs: readonly Channel[], config: TopologyConfig, channels: Iterable<string>): Promise<NodeQueues> {
  const ch = chs[0]!;
  await ch.assertExchange(config.exchange, config.kind === 'routed' ? 'direct' : 'fanout', {
    durable: config.durable,
    autoDelete: false,
  });
  const own = { exclusive: true, durable: false, autoDelete: true };
  const queues: NodeQueues = { main: (await ch.assertQueue('', own)).queue };
  if (config.kind === 'fanout') {
    await ch.bindQueue(queues.main, config.exchange, '');
    return queues;
  }
  if (config.expiring) {
    queues.expiring = (await ch.assertQueue('', { ...own, arguments: { 'x-message-ttl': Math.max(0, Math.round(config.expiring.ttlMs)) } })).queue;
  }
  await Promise.all(Array.from(channels, (channel, i) => chs[i % chs.length]!.bindQueue(queueFor(queues, config, channel), config.exchange, channel)));
  return queues;
}

/** Whether a message on `channel` with `ttlMs` may leave its expiry to its queue. */
export function expiresInQueue(config: TopologyConfig, channel: string, ttlMs: number | undefined): boolean {
  return config.kind === 'routed' && config.expiring !== undefined && ttlMs === config.expiring.ttlMs && config.expiring.matches(channel);
}
