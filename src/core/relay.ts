import { type Bus, BusError, type BusMessage, type PublishOptions } from '../bus/bus.ts';
import type { SessionDelivery, UnnumberedDelivery } from '../protocol/index.ts';

/**
 * A local receiver of channel messages (a session). Known by identity: its `id` may change while
 * it is subscribed (a resume adopts the resumed session's id), and is read only to skip the sender.
 */
export interface Subscriber {
  readonly id: string;
  /** `offset`: a direct message's offset (see src/bus/envelope.ts) */
  deliver(message: SessionDelivery, offset?: number): void;
}

/** Told when this node starts or stops needing a channel, and of each message relayed on it. */
export interface ChannelObserver {
  channelAdded(channel: string): void;
  channelRemoved(channel: string): void;
  relayed(channel: string, message: UnnumberedDelivery): void;
}

/**
 * This node's subscriptions: which local sessions listen to which channel. It keeps the Bus
 * subscribed to the channels that have at least one local subscriber, and hands each incoming
 * message to every local subscriber except the session that sent it.
 *
 * Bus subscribe and unsubscribe calls for one channel are issued strictly in sequence, so a
 * leave followed at once by a join can never end with the channel unbound. `remove` takes the
 * subscriber out at once (nothing more is delivered to it).
 *
 * A channel whose last subscriber left stays bound for `unbindDelayMs` (idle): a session that
 * comes back to this node within it (a client whose network blinked, a reconnect storm) needs no
 * broker round trip to bind again. Messages on an idle channel reach nobody here; direct
 * messages are owed to their sessions in the Store all the same (src/store/direct-inbox.ts).
 */
export class Relay {
  private readonly channels = new Map<string, ChannelEntry>();
  /** idle channels still bound, and when to unbind them (ms) */
  private readonly idle = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;
  private readonly unbindDelayMs: number;
  /** last bus operation issued per channel; the next one waits for it */
  private readonly ops = new Map<string, Promise<void>>();
  private readonly bus: Bus;
  private readonly observers: ChannelObserver[] = [];

  /** how many times the bus went down: a step that spans a change may have missed messages */
  outages = 0;

  constructor(bus: Bus, unbindDelayMs = 0) {
    this.bus = bus;
    this.unbindDelayMs = unbindDelayMs;
    bus.onMessage((channel, message) => this.dispatch(channel, message));
    bus.onState((state) => {
      if (state === 'down') this.outages++;
    });
  }

  /** True while subscribes can be made live (`up`, or `blocked`: binds still work). */
  get usable(): boolean {
    return this.bus.state === 'up' || this.bus.state === 'blocked';
  }

  observe(observer: ChannelObserver): void {
    this.observers.push(observer);
  }

  /**
   * Resolves once `subscriber` receives every message published to `channel` anywhere. Rejects
   * with UNAVAILABLE, leaving it out, when the bus is not up (even for a channel already bound here).
   */
  async add(channel: string, subscriber: Subscriber): Promise<void> {
    let entry = this.channels.get(channel);
    if (entry && !this.usable) {
      throw new BusError('UNAVAILABLE', `bus is ${this.bus.state}`);
    }
    if (!entry && this.idle.delete(channel)) {
      if (!this.usable) {
        this.idle.set(channel, Date.now());
        throw new BusError('UNAVAILABLE', `bus is ${this.bus.state}`);
      }
      // still bound (or bound again by the bus's own reconnect): live at once
      entry = { subscribers: subscriber, live: undefined };
      this.channels.set(channel, entry);
      for (const o of this.observers) o.channelAdded(channel);
    } else if (!entry) {
      const live = this.enqueue(channel, () => this.bus.subscribe(channel));
      const created: ChannelEntry = { subscribers: subscriber, live };
      // a live channel's entry keeps no promise (memory per idle connection)
      live.then(() => (created.live = undefined), () => {});
      entry = created;
      this.channels.set(channel, entry);
      for (const o of this.observers) o.channelAdded(channel);
    } else {
      addSubscriber(entry, subscriber);
    }
    try {
      await entry.live;
    } catch (error) {
      this.remove(channel, subscriber).catch(() => {});
      throw error;
    }
  }

  /**
   * Stops delivering `channel` to `subscriber`; when nobody local is left the channel goes idle,
   * and is unbound `unbindDelayMs` later unless someone here subscribes again.
   */
  async remove(channel: string, subscriber: Subscriber): Promise<void> {
    const entry = this.channels.get(channel);
    if (!entry || removeSubscriber(entry, subscriber) !== 0) return;
    this.channels.delete(channel);
    for (const o of this.observers) o.channelRemoved(channel);
    // one still binding is unbound at once: nobody was ever told it is live
    if (this.unbindDelayMs <= 0 || entry.live !== undefined) {
      await this.enqueue(channel, () => this.bus.unsubscribe(channel));
      return;
    }
    this.idle.set(channel, Date.now() + this.unbindDelayMs);
    this.sweeper ??= setInterval(() => this.sweep(Date.now()), Math.max(100, this.unbindDelayMs / 2)).unref();
  }

  /** Unbinds every idle channel now (shutdown, tests); resolves when the bus has. */
  async unbindIdle(): Promise<void> {
    await this.sweep(Infinity);
  }

  /** Channels bound here with nobody local subscribed, waiting to be unbound. */
  get idleCount(): number {
    return this.idle.size;
  }

  private sweep(now: number): Promise<unknown> {
    const due = [...this.idle].filter(([, at]) => at <= now).map(([channel]) => channel);
    for (const channel of due) this.idle.delete(channel);
    if (this.idle.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
    return Promise.all(due.map((channel) => this.enqueue(channel, () => this.bus.unsubscribe(channel)).catch(() => {})));
  }

  publish(channel: string, message: BusMessage, options: PublishOptions): Promise<void> {
    return this.bus.publish(channel, message, options);
  }

  /** Hands a message made on this node (not relayed) to every local subscriber of `channel`. */
  deliverLocal(channel: string, message: SessionDelivery): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    if (entry.subscribers instanceof Set) for (const subscriber of entry.subscribers) subscriber.deliver(message);
    else entry.subscribers.deliver(message);
  }

  /** Channels with local subscribers. */
  get channelCount(): number {
    return this.channels.size;
  }

  /** Subscribers first, observers after: an observer that throws costs nobody a message. */
  private dispatch(channel: string, { delivery, offset }: BusMessage): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    // a server-made event (a call's ring timeout) has no sender to skip
    const sender = delivery.from?.sessionId;
    if (entry.subscribers instanceof Set) {
      for (const subscriber of entry.subscribers) if (subscriber.id !== sender) subscriber.deliver(delivery, offset);
    } else if (entry.subscribers.id !== sender) {
      entry.subscribers.deliver(delivery, offset);
    }
    for (const o of this.observers) o.relayed(channel, delivery);
  }

  private enqueue(channel: string, op: () => Promise<void>): Promise<void> {
    const previous = this.ops.get(channel) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(op);
    this.ops.set(channel, next);
    const forget = (): void => {
      if (this.ops.get(channel) === next) this.ops.delete(channel);
    };
    next.then(forget, forget);
    return next;
  }
}

interface ChannelEntry {
  /**
   * The only subscriber, or, once there were two, a Set. Most channels have one subscriber per
   * node (a user's own channel), and a Set costs about 200 bytes.
   */
  subscribers: Subscriber | Set<Subscriber>;
  /** settles when the bus subscription is live; undefined once it is */
  live: Promise<void> | undefined;
}

function addSubscriber(entry: ChannelEntry, subscriber: Subscriber): void {
  if (entry.subscribers instanceof Set) entry.subscribers.add(subscriber);
  else if (entry.subscribers !== subscriber) entry.subscribers = new Set([entry.subscribers, subscriber]);
}

/** Removes `subscriber`: how many are left, or -1 if it was not one of this entry's. */
function removeSubscriber(entry: ChannelEntry, subscriber: Subscriber): number {
  if (!(entry.subscribers instanceof Set)) return entry.subscribers === subscriber ? 0 : -1;
  if (!entry.subscribers.delete(subscriber)) return -1;
  return entry.subscribers.size;
}
