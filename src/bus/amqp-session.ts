import { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Message, connect } from 'amqplib';
import type { Socket } from 'node:net';
import { type Batch, type Frame, PublishBatches } from './amqp-batches.ts';
import type { AmqpBusMetrics } from './amqp-metrics.ts';
import { type NodeQueues, declareTopology, expiresInQueue, queueFor, type TopologyConfig } from './amqp-topology.ts';
import { BusError } from './bus.ts';
import { joinEnvelopes } from './envelope.ts';

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
  /** publishes to one channel in one turn travel as one broker message (amqp-batches.ts) */
  coalesce: boolean;
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
  frames: Frame[];
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
  /** unconfirmed broker messages by messageId */
  private readonly pending = new Map<string, Pending>();
  /** frames in `pending` */
  private pendingFrames = 0;
  private readonly batches: PublishBatches;
  private readonly connections: ChannelModel[] = [];
  private publishChannel: ConfirmChannel | undefined;
  /** the publish connection's socket, corked while a turn's broker messages are written */
  private publishSocket: Socket | undefined;
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
    this.batches = new PublishBatches((batches) => this.sendBatches(batches), config.coalesce);
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

  /** publishes not yet confirmed or refused, gathered ones included */
  get unconfirmed(): number {
    return this.pendingFrames + this.batches.waiting;
  }

  /**
   * Publishes `text` (an encoded envelope) at the end of this turn, with the other publishes of the
   * turn to `channel` (see amqp-batches.ts). Resolves on the broker's confirm of its message;
   * rejects UNROUTABLE on a mandatory return, UNAVAILABLE on nack or loss.
   */
  publish(channel: string, text: string, options: { mandatory: boolean; ttlMs?: number }): Promise<void> {
    return this.batches.add(channel, text, options.mandatory, options.ttlMs);
  }

  /**
   * A turn's broker messages, written to the corked socket. amqplib moves frames to the socket from
   * a setImmediate of its own, queued in a nextTick after these publishes; the uncork is queued
   * after it, so the turn's messages leave in one write.
   */
  private sendBatches(batches: Batch[]): void {
    if (this.dead) {
      for (const batch of batches) this.refuse(batch.frames, new Error('connection lost'));
      return;
    }
    const socket = this.publishSocket;
    socket?.cork();
    for (const batch of batches) this.sendBatch(batch);
    if (socket) process.nextTick(() => setImmediate(() => socket.uncork()));
  }

  private sendBatch({ channel, mandatory, ttlMs, frames }: Batch): void {
    const messageId = this.idPrefix + (++this.seq).toString(36);
    const body = Buffer.from(joinEnvelopes(frames.map((f) => f.text)));
    this.pending.set(messageId, { frames, sentAt: performance.now() });
    this.pendingFrames += frames.length;
    try {
      this.publishChannel!.publish(
        this.config.topology.exchange,
        channel,
        body,
        {
          mandatory,
          messageId,
          contentType: 'application/json',
          ...(ttlMs === undefined || expiresInQueue(this.config.topology, channel, ttlMs) ? {} : { expiration: String(Math.max(0, Math.round(ttlMs))) }),
        },
        (error: unknown) => this.confirmed(messageId, error),
      );
      this.config.metrics.published(frames.length);
    } catch (error) {
      this.settled(messageId);
      this.refuse(frames, error);
    }
  }

  private refuse(frames: Frame[], cause: unknown): void {
    for (const frame of frames) {
      this.config.metrics.unavailable();
      frame.reject(new BusError('UNAVAILABLE', 'publish failed', { cause }));
    }
  }

  /** Takes a broker message out of `pending`; its frames, or undefined if it was settled already. */
  private settled(messageId: string): Frame[] | undefined {
    const entry = this.pending.get(messageId);
    if (!entry) return undefined;
    this.pending.delete(messageId);
    this.pendingFrames -= entry.frames.length;
    return entry.frames;
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
    const frames = this.settled(String(message.properties.messageId));
    if (!frames) return;
    this.config.metrics.returned(frames.length);
    const error = new BusError('UNROUTABLE', `no subscriber for ${message.fields.routingKey}`);
    for (const frame of frames) frame.reject(error);
  }

  private confirmed(messageId: string, error: unknown): void {
    const entry = this.pending.get(messageId);
    const frames = this.settled(messageId);
    if (!entry || !frames) return;
    if (error) {
      for (const frame of frames) {
        this.config.metrics.unavailable();
        frame.reject(new BusError('UNAVAILABLE', 'the broker did not confirm the message', { cause: error }));
      }
      return;
    }
    this.config.metrics.confirmed((performance.now() - entry.sentAt) / 1000);
    for (const frame of frames) frame.resolve();
  }

  private setBlocked(blocked: boolean): void {
    this.isBlocked = blocked;
    if (this.opened && !this.dead) this.events.blocked(blocked);
  }

  private end(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    const lost = new BusError('UNAVAILABLE', `broker connection lost before confirm: ${error.message}`, { cause: error });
    for (const entry of this.pending.values()) {
      for (const frame of entry.frames) {
        this.config.metrics.unavailable();
        frame.reject(lost);
      }
    }
    this.pending.clear();
    this.pendingFrames = 0;
    for (let n = this.batches.waiting; n > 0; n--) this.config.metrics.unavailable();
    this.batches.fail(lost);
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
