import { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Message, connect } from 'amqplib';
import type { Socket } from 'node:net';
import type { AmqpBusMetrics } from './amqp-metrics.ts';
import { type NodeQueues, declareTopology, expiresInQueue, queueFor, type TopologyConfig } from './amqp-topology.ts';
import { BusError } from './bus.ts';

export interface SessionConfig {
  /** broker URL, heartbeat already set */
  url: string;
  topology: TopologyConfig;
  /** channels on the consume connection that carry binds and unbinds, in parallel */
  bindChannels: number;
  /** ms a TCP connect + AMQP handshake may take */
  connectTimeoutMs: number;
  /** shown in the broker's connection list, suffixed with the role */
  connectionName: string;
  metrics: AmqpBusMetrics;
}

export interface SessionEvents {
  /** the session died after it was opened; called at most once, never after `close()` */
  lost(error: Error): void;
  /** the broker blocked (`true`) or unblocked (`false`) the publish connection */
  blocked(blocked: boolean): void;
  delivery(channel: string, content: Buffer): void;
}

interface Pending {
  resolve(): void;
  reject(error: BusError): void;
  /** performance.now() when handed to the broker */
  sentAt: number;
}

/**
 * One generation of broker connectivity: a publish connection with a confirm channel, and a
 * consume connection holding this node's exclusive queues (see amqp-topology.ts). An error or
 * close on either connection or channel ends the whole session: every unconfirmed publish rejects
 * with UNAVAILABLE and `lost` fires; the bus then opens a new session, with new queues.
 *
 * Deliveries are consumed with `noAck`: the queues are this node's own and die with its connection,
 * so an acknowledgement could never cause a redelivery; delivery is at most once either way. What
 * the broker pushes is bounded by TCP flow control instead of a prefetch: the node reads its
 * consume socket only as fast as its event loop turns, and once the socket buffers are full the
 * broker's writer blocks and its queue stops handing it messages (RabbitMQ's credit flow), so a
 * backlog waits in the queue, where a signal's TTL still applies. What is already in the socket
 * buffers (at most a few MB) is delivered however long it took; a prefetch of 1 000 bounded that
 * part to 1 000 messages, and cost the broker an acknowledgement per message.
 *
 * Binds and unbinds travel on `bindChannels` channels of the consume connection (an exclusive
 * queue belongs to the connection, not a channel), each channel answering one request at a time:
 * a reconnect storm's binds go out several at once instead of one round trip after another.
 * @internal
 */
export class AmqpSession {
  /** unconfirmed publishes by messageId */
  private readonly pending = new Map<string, Pending>();
  private readonly connections: ChannelModel[] = [];
  private publishChannel: ConfirmChannel | undefined;
  /** the publish connection's socket, corked while a batch of publishes gathers */
  private publishSocket: Socket | undefined;
  private corked = false;
  /** binds and unbinds: the channel a routing key hashes to, so one key's changes stay in order */
  private bindChannels: Channel[] = [];
  private queues: NodeQueues = { main: '' };
  private seq = 0;
  private opened = false;
  private dead = false;
  private closing: Promise<void> = Promise.resolve();
  private readonly idPrefix = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2, 8)}.`;
  private readonly config: SessionConfig;
  private readonly events: SessionEvents;
  isBlocked = false;

  private constructor(config: SessionConfig, events: SessionEvents) {
    this.config = config;
    this.events = events;
  }

  /** Connects, declares the topology, binds `channels` and starts consuming; rejects on any failure. */
  static async open(config: SessionConfig, channels: Iterable<string>, events: SessionEvents): Promise<AmqpSession> {
    const session = new AmqpSession(config, events);
    try {
      await session.setup(channels);
      if (session.dead) throw new BusError('UNAVAILABLE', 'connection lost while opening');
    } catch (error) {
      session.end(error instanceof Error ? error : new Error(String(error)));
      await session.closeConnections();
      throw error;
    }
    session.opened = true;
    return session;
  }

  get alive(): boolean {
    return !this.dead;
  }

  get unconfirmed(): number {
    return this.pending.size;
  }

  /** Resolves on the broker's confirm; rejects UNROUTABLE on a mandatory return, UNAVAILABLE on nack or loss. */
  publish(channel: string, content: Buffer, options: { mandatory: boolean; ttlMs?: number }): Promise<void> {
    return new Promise((resolve, reject) => {
      const messageId = this.idPrefix + (++this.seq).toString(36);
      this.pending.set(messageId, { resolve, reject, sentAt: performance.now() });
      try {
        this.publishChannel!.publish(
          this.config.topology.exchange,
          channel,
          content,
          {
            mandatory: options.mandatory,
            messageId,
            contentType: 'application/json',
            ...(options.ttlMs === undefined || expiresInQueue(this.config.topology, channel, options.ttlMs)
              ? {}
              : { expiration: String(Math.max(0, Math.round(options.ttlMs))) }),
          },
          (error: unknown) => this.confirmed(messageId, error),
        );
        this.corkUntilNextTurn();
        this.config.metrics.published();
      } catch (error) {
        this.pending.delete(messageId);
        this.config.metrics.unavailable();
        reject(new BusError('UNAVAILABLE', 'publish failed', { cause: error }));
      }
    });
  }

  /**
   * Two nested setImmediates: amqplib moves published frames to the socket from a setImmediate
   * of its own, queued after this one may be, so the socket is uncorked one turn later, after it.
   */
  private corkUntilNextTurn(): void {
    const socket = this.publishSocket;
    if (this.corked || !socket) return;
    this.corked = true;
    socket.cork();
    setImmediate(() =>
      setImmediate(() => {
        this.corked = false;
        socket.uncork();
      }),
    );
  }

  /** Resolves once the broker confirms the binding of `channel` to this node's queue. */
  async bind(channel: string): Promise<void> {
    await this.bindChannelOf(channel).bindQueue(queueFor(this.queues, this.config.topology, channel), this.config.topology.exchange, channel);
  }

  async unbind(channel: string): Promise<void> {
    await this.bindChannelOf(channel).unbindQueue(queueFor(this.queues, this.config.topology, channel), this.config.topology.exchange, channel);
  }

  private bindChannelOf(channel: string): Channel {
    let hash = 0;
    for (let i = 0; i < channel.length; i++) hash = (Math.imul(hash, 31) + channel.charCodeAt(i)) | 0;
    return this.bindChannels[(hash >>> 0) % this.bindChannels.length]!;
  }

  /** Ends the session without reporting `lost`; unconfirmed publishes reject with UNAVAILABLE. */
  async close(): Promise<void> {
    this.opened = false;
    this.end(new Error('bus closed'));
    await this.closeConnections();
  }

  private async setup(channels: Iterable<string>): Promise<void> {
    const [publishConnection, consumeConnection] = await Promise.all([this.connect('publish'), this.connect('consume')]);
    publishConnection.on('blocked', () => this.setBlocked(true));
    publishConnection.on('unblocked', () => this.setBlocked(false));
    const publish = await publishConnection.createConfirmChannel();
    this.watch(publish, 'publish channel');
    publish.on('return', (message: Message) => this.returned(message));
    this.publishChannel = publish;
    this.publishSocket = socketOf(publishConnection);
    const consume = await consumeConnection.createChannel();
    this.watch(consume, 'consume channel');
    this.bindChannels = await Promise.all(
      Array.from({ length: Math.max(1, this.config.bindChannels) }, async (_, i) => {
        const channel = await consumeConnection.createChannel();
        this.watch(channel, `bind channel ${i}`);
        return channel;
      }),
    );
    this.queues = await declareTopology(this.bindChannels, this.config.topology, channels);
    for (const queue of [this.queues.main, this.queues.expiring]) {
      if (queue !== undefined) await consume.consume(queue, (message) => this.deliver(message), { noAck: true });
    }
  }

  private async connect(role: 'publish' | 'consume'): Promise<ChannelModel> {
    const connection = await connect(this.config.url, {
      timeout: this.config.connectTimeoutMs,
      noDelay: true,
      clientProperties: { connection_name: `${this.config.connectionName} ${role}` },
    });
    this.connections.push(connection);
    this.watch(connection, `${role} connection`);
    if (this.dead) void this.closeConnections();
    return connection;
  }

  private watch(emitter: ChannelModel | Channel, what: string): void {
    emitter.on('error', (error: Error) => this.end(error));
    emitter.on('close', (error?: Error) => this.end(error ?? new Error(`${what} closed`)));
  }

  private deliver(message: ConsumeMessage | null): void {
    if (message === null) {
      this.end(new Error('the broker cancelled the consumer'));
      return;
    }
    if (this.dead) return;
    this.events.delivery(message.fields.routingKey, message.content);
  }

  private returned(message: Message): void {
    const entry = this.pending.get(String(message.properties.messageId));
    if (!entry) return;
    this.pending.delete(String(message.properties.messageId));
    this.config.metrics.returned();
    entry.reject(new BusError('UNROUTABLE', `no subscriber for ${message.fields.routingKey}`));
  }

  private confirmed(messageId: string, error: unknown): void {
    const entry = this.pending.get(messageId);
    if (!entry) return;
    this.pending.delete(messageId);
    if (error) {
      this.config.metrics.unavailable();
      entry.reject(new BusError('UNAVAILABLE', 'the broker did not confirm the message', { cause: error }));
      return;
    }
    this.config.metrics.confirmed((performance.now() - entry.sentAt) / 1000);
    entry.resolve();
  }

  private setBlocked(blocked: boolean): void {
    this.isBlocked = blocked;
    if (this.opened && !this.dead) this.events.blocked(blocked);
  }

  private end(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    for (const entry of this.pending.values()) {
      this.config.metrics.unavailable();
      entry.reject(new BusError('UNAVAILABLE', `broker connection lost before confirm: ${error.message}`, { cause: error }));
    }
    this.pending.clear();
    void this.closeConnections();
    if (this.opened) this.events.lost(error);
  }

  /** Resolves once every connection this session opened, so far, is closed. */
  private closeConnections(): Promise<void> {
    const connections = this.connections.splice(0);
    const now = Promise.all(connections.map((connection) => Promise.resolve().then(() => connection.close()).catch(() => {})));
    const before = this.closing;
    this.closing = Promise.all([before, now]).then(() => {});
    return this.closing;
  }
}

/** amqplib's socket under a connection (not in its typings); undefined if that ever changes. */
function socketOf(model: ChannelModel): Socket | undefined {
  const stream: unknown = (model.connection as { stream?: unknown }).stream;
  return stream !== null && typeof stream === 'object' && 'cork' in stream && 'uncork' in stream ? (stream as Socket) : undefined;
}
