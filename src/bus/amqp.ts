import { CancellableDelay, fullJitterDelay } from './amqp-backoff.ts';
import { type AmqpBusMetrics, noopAmqpBusMetrics } from './amqp-metrics.ts';
import { AmqpSession, type SessionConfig } from './amqp-session.ts';
import type { AmqpTopology, ExpiringChannels } from './amqp-topology.ts';
import { type Bus, BusError, type BusState, type PublishOptions } from './bus.ts';
import { type BusLogger, silentBusLogger } from './bus-logger.ts';
import { type BusMessage, decodeEnvelopes, encodeEnvelope } from './envelope.ts';

export interface AmqpBusOptions {
  /**
   * amqp://user:pass@host:port/vhost; a `heartbeat` query parameter overrides `heartbeatSeconds`.
   * Several URLs (the nodes of one RabbitMQ cluster): the bus connects to the first that answers,
   * and after a failed attempt or a lost connection tries the next one, round robin, with the
   * same backoff.
   */
  url: string | readonly string[];
  /** default `routed`; every node of a cluster must use the same topology and exchange */
  topology?: AmqpTopology;
  /** default `tether.routed` / `tether.fanout` */
  exchange?: string;
  /** default true: the exchange survives a broker restart */
  durableExchange?: boolean;
  /**
   * routed: channels whose every message is published with `ttlMs` (Tether: `user:` channels),
   * bound to a second queue that expires them with a queue-level TTL (see amqp-topology.ts)
   */
  expiringChannels?: ExpiringChannels;
  /** AMQP channels carrying binds and unbinds in parallel, default 8 */
  bindChannels?: number;
  /**
   * default true: the publishes of one event-loop turn to one channel (a burst of trickled ICE to
   * one peer) travel as one broker message (amqp-batches.ts); every node must read batches, so a
   * cluster updating from a version before them runs with false until every node is updated
   */
  coalesce?: boolean;
  /** AMQP heartbeat, seconds, default 10: how soon a silently dead broker is noticed */
  heartbeatSeconds?: number;
  /** ms a connect + handshake may take, default 5000 */
  connectTimeoutMs?: number;
  /** ms `start()` keeps retrying before it gives up and closes the bus, default 30000 */
  startTimeoutMs?: number;
  /** reconnect backoff, full jitter: ms, default base 100, cap 5000 */
  backoff?: { baseMs?: number; capMs?: number };
  /** unconfirmed publishes beyond which `publish` fails fast with UNAVAILABLE, default 10000 */
  maxUnconfirmed?: number;
  /** names this node's broker connections, default `tether` */
  nodeId?: string;
  metrics?: AmqpBusMetrics;
  logger?: BusLogger;
}

/**
 * The Bus over RabbitMQ (contract in bus.ts; topologies in amqp-topology.ts).
 *
 * Publishing uses a confirm channel on its own connection: the publishes of one event-loop turn are
 * sent together at its end, those to one channel as one broker message (amqp-batches.ts), and
 * each settles on its broker message's confirm (pipelined, never `waitForConfirms`); every broker
 * message carries a messageId so a `basic.return`, which the broker sends before that message's
 * confirm, rejects exactly its publishes with UNROUTABLE. `ttlMs` becomes the per-message `expiration`, or in
 * routed, on `expiringChannels`, the TTL of the queue those channels are bound to.
 *
 * Consuming: `noAck` on the node's own exclusive queues, bounded by TCP flow control (see
 * amqp-session.ts); delivery is at most once. Incoming bytes are parsed and checked here;
 * anything malformed is logged, counted and dropped.
 *
 * Fanout and `mandatory`: every queue matches a fanout exchange, so a return only means no node
 * is connected; whether a user has a session anywhere is the core's question to the Store.
 *
 * States: `connecting` until `start()` succeeds; `up`, or `blocked` while the broker's resource
 * alarm blocks the publish connection; `down` after a broker loss, while it reconnects with
 * full-jitter backoff, re-declares the topology, opens new exclusive queues and re-binds every
 * channel still subscribed, then `up`; `closed` after `close()`. Only `up` accepts publishes, and
 * `up` or `blocked` subscribes: otherwise they reject at once with UNAVAILABLE, and a rejected
 * subscribe leaves the channel unsubscribed.
 */
export class AmqpBus implements Bus {
  state: BusState = 'connecting';
  private session: AmqpSession | undefined;
  /** channels this node receives; re-bound on every new session */
  private readonly channels = new Set<string>();
  private handler: (channel: string, message: BusMessage) => void = () => {};
  private readonly listeners: Array<(state: BusState) => void> = [];
  private readonly delay = new CancellableDelay();
  private readonly config: SessionConfig;
  /** broker URLs with the heartbeat set; `urlIndex` is the one the next attempt uses */
  private readonly urls: string[];
  private urlIndex = 0;
  private readonly options: AmqpBusOptions;
  private readonly metrics: AmqpBusMetrics;
  private readonly logger: BusLogger;

  constructor(options: AmqpBusOptions) {
    this.options = options;
    this.metrics = options.metrics ?? noopAmqpBusMetrics;
    this.logger = options.logger ?? silentBusLogger;
    const kind = options.topology ?? 'routed';
    this.urls = (typeof options.url === 'string' ? [options.url] : [...options.url]).map((raw) => {
      const url = new URL(raw);
      if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(options.heartbeatSeconds ?? 10));
      return url.toString();
    });
    if (this.urls.length === 0) throw new Error('AmqpBus needs at least one URL');
    this.config = {
      url: this.urls[0]!,
      topology: { kind, exchange: options.exchange ?? `tether.${kind}`, durable: options.durableExchange ?? true, expiring: options.expiringChannels },
      bindChannels: options.bindChannels ?? 8,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      connectionName: options.nodeId ?? 'tether',
      coalesce: options.coalesce ?? true,
      metrics: this.metrics,
    };
  }

  /** Resolves once up; rejects with UNAVAILABLE, leaving the bus closed, if `startTimeoutMs` passes first. */
  async start(): Promise<void> {
    if (this.state !== 'connecting') throw new Error(`AmqpBus.start() called while ${this.state}`);
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 30_000);
    try {
      await this.connect(deadline);
    } catch (error) {
      await this.close();
      throw new BusError('UNAVAILABLE', `could not connect to RabbitMQ: ${(error as Error).message}`, { cause: error });
    }
  }

  async subscribe(channel: string): Promise<void> {
    const session = this.session;
    if (!session || (this.state !== 'up' && this.state !== 'blocked')) {
      throw new BusError('UNAVAILABLE', `bus is ${this.state}`);
    }
    const had = this.channels.has(channel);
    this.channels.add(channel);
    if (this.config.topology.kind === 'routed') {
      try {
        await session.bind(channel);
      } catch (error) {
        if (!had) this.channels.delete(channel);
        throw new BusError('UNAVAILABLE', `could not bind ${channel}`, { cause: error });
      }
    }
    this.metrics.channels(this.channels.size);
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.channels.delete(channel)) return;
    this.metrics.channels(this.channels.size);
    const session = this.session;
    if (this.config.topology.kind !== 'routed' || !session?.alive) return;
    await session.unbind(channel).catch((error: unknown) => {
      this.logger.warn({ err: error, channel }, 'unbind failed; the binding dies with the queue');
    });
  }

  publish(channel: string, message: BusMessage, options: PublishOptions): Promise<void> {
    const session = this.session;
    if (!session || this.state !== 'up') return this.refuse(`bus is ${this.state}`);
    if (session.unconfirmed >= (this.options.maxUnconfirmed ?? 10_000)) return this.refuse('too many unconfirmed publishes');
    return session.publish(channel, encodeEnvelope(message), options);
  }

  onMessage(handler: (channel: string, message: BusMessage) => void): void {
    this.handler = handler;
  }

  onState(listener: (state: BusState) => void): void {
    this.listeners.push(listener);
  }

  /** Closes both connections; no reconnect follows, unconfirmed publishes reject with UNAVAILABLE. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('closed');
    this.delay.cancel();
    const session = this.session;
    this.session = undefined;
    await session?.close();
  }

  /** Opens sessions until one is up; retries with backoff until `deadline` (ms epoch) or close. */
  private async connect(deadline = Infinity): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.state === 'closed') throw new BusError('UNAVAILABLE', 'bus closed');
      const snapshot = [...this.channels];
      const url = this.urls[this.urlIndex % this.urls.length]!;
      try {
        const session = await AmqpSession.open({ ...this.config, url }, snapshot, {
          lost: (error) => this.lost(session, error),
          blocked: (blocked) => this.blocked(session, blocked),
          delivery: (channel, content) => this.deliver(channel, content),
        });
        if (this.isClosed() || !session.alive) {
          await session.close();
          throw new BusError('UNAVAILABLE', 'connection lost right after opening');
        }
        this.session = session;
        for (const channel of snapshot) {
          if (!this.channels.has(channel)) void session.unbind(channel).catch(() => {});
        }
        this.setState(session.isBlocked ? 'blocked' : 'up');
        return;
      } catch (error) {
        if (this.isClosed()) throw error;
        this.urlIndex++;
        const wait = fullJitterDelay(attempt, {
          baseMs: this.options.backoff?.baseMs ?? 100,
          capMs: this.options.backoff?.capMs ?? 5000,
        });
        if (Date.now() + wait >= deadline) throw error;
        this.logger.warn({ err: error, attempt, broker: brokerAddress(url), retryInMs: Math.round(wait) }, 'RabbitMQ connect failed');
        await this.delay.wait(wait);
      }
    }
  }

  private lost(session: AmqpSession, error: Error): void {
    if (session !== this.session || this.state === 'closed') return;
    this.session = undefined;
    // that broker is likely gone: the first reconnect attempt goes to the next one
    this.urlIndex++;
    this.logger.warn({ err: error }, 'RabbitMQ connection lost; reconnecting');
    this.metrics.disconnected();
    this.setState('down');
    this.connect().then(
      () => {
        this.logger.info({ channels: this.channels.size, broker: brokerAddress(this.urls[this.urlIndex % this.urls.length]!) }, 'RabbitMQ reconnected');
        this.metrics.reconnected();
      },
      () => {},
    );
  }

  private blocked(session: AmqpSession, blocked: boolean): void {
    if (session !== this.session) return;
    if (blocked && this.state === 'up') this.setState('blocked');
    if (!blocked && this.state === 'blocked') this.setState('up');
  }

  private refuse(reason: string): Promise<never> {
    this.metrics.unavailable();
    return Promise.reject(new BusError('UNAVAILABLE', reason));
  }

  /** The consumer edge: bytes become checked messages here (envelope.ts); the rest is logged and dropped. */
  private deliver(channel: string, content: Buffer): void {
    if (!this.channels.has(channel)) return;
    let messages: BusMessage[];
    try {
      const decoded = decodeEnvelopes(content.toString('utf8'), channel);
      messages = decoded.messages;
      if (decoded.rejected > 0) {
        this.metrics.malformed(decoded.rejected);
        this.logger.warn({ channel, rejected: decoded.rejected, bytes: content.length }, 'discarded malformed bus messages');
      }
    } catch (error) {
      this.metrics.malformed(1);
      this.logger.warn({ err: error, channel, bytes: content.length }, 'discarded a malformed bus message');
      return;
    }
    if (messages.length === 0) return;
    this.metrics.delivered(messages.length);
    for (const message of messages) {
      try {
        this.handler(channel, message);
      } catch (error) {
        this.logger.error({ err: error, channel }, 'bus message handler threw');
      }
    }
  }

  /** a method, not a field read, so TypeScript does not carry a narrowing across awaits */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private setState(state: BusState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}

/** `host:port` of a broker URL, for logs: never the credentials */
function brokerAddress(url: string): string {
  const { hostname, port, protocol } = new URL(url);
  return `${hostname}:${port || (protocol === 'amqps:' ? '5671' : '5672')}`;
}
