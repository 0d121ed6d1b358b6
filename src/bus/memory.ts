import { type Bus, BusError, type BusState, type PublishOptions } from './bus.ts';
import { type BusLogger, silentBusLogger } from './bus-logger.ts';
import { decodeEnvelopes, encodeEnvelope, type BusMessage } from './envelope.ts';

/**
 * An in-process broker that several `MemoryBus` nodes can share: the embedded default for a
 * single node, and the three-nodes-in-one-process test cluster. Messages are copied through
 * JSON, as a network bus would, so no node shares objects with another.
 */
export class MemoryBroker {
  private readonly bindings = new Map<string, Set<MemoryBus>>();

  bind(channel: string, bus: MemoryBus): void {
    let buses = this.bindings.get(channel);
    if (!buses) this.bindings.set(channel, (buses = new Set()));
    buses.add(bus);
  }

  unbind(channel: string, bus: MemoryBus): void {
    const buses = this.bindings.get(channel);
    if (!buses) return;
    buses.delete(bus);
    if (buses.size === 0) this.bindings.delete(channel);
  }

  /** Channels bound by at least one node (for tests' leak checks). */
  boundChannels(): string[] {
    return [...this.bindings.keys()];
  }

  /** Returns how many nodes the message was routed to. */
  route(channel: string, payload: string): number {
    const buses = this.bindings.get(channel);
    if (!buses) return 0;
    for (const bus of buses) bus.enqueue(channel, payload);
    return buses.size;
  }
}

export class MemoryBus implements Bus {
  state: BusState = 'connecting';
  private readonly broker: MemoryBroker;
  private readonly channels = new Set<string>();
  private handler: (channel: string, message: BusMessage) => void = () => {};
  private readonly listeners: Array<(state: BusState) => void> = [];
  /** FIFO of deliveries not yet handed to the handler; drained on a macrotask so delivery is async */
  private readonly inbox: Array<[string, string]> = [];
  private draining = false;

  private readonly logger: BusLogger;

  /** `logger` hears of a message handler that throws (as the amqp bus reports it) */
  constructor(broker: MemoryBroker = new MemoryBroker(), logger: BusLogger = silentBusLogger) {
    this.broker = broker;
    this.logger = logger;
  }

  async start(): Promise<void> {
    this.setState('up');
  }

  async subscribe(channel: string): Promise<void> {
    this.assertUp();
    this.channels.add(channel);
    this.broker.bind(channel, this);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
    this.broker.unbind(channel, this);
  }

  publish(channel: string, message: BusMessage, options: PublishOptions): Promise<void> {
    try {
      this.assertUp();
    } catch (error) {
      return Promise.reject(error);
    }
    const routed = this.broker.route(channel, encodeEnvelope(message));
    if (routed === 0 && options.mandatory) {
      return Promise.reject(new BusError('UNROUTABLE', `no subscriber for ${channel}`));
    }
    return Promise.resolve();
  }

  onMessage(handler: (channel: string, message: BusMessage) => void): void {
    this.handler = handler;
  }

  onState(listener: (state: BusState) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    for (const channel of this.channels) this.broker.unbind(channel, this);
    this.channels.clear();
    this.setState('closed');
  }

  /** @internal called by the broker */
  enqueue(channel: string, payload: string): void {
    this.inbox.push([channel, payload]);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.draining = false;
    for (const [channel, payload] of this.inbox.splice(0)) {
      if (!this.channels.has(channel)) continue;
      let messages: BusMessage[];
      try {
        messages = decodeEnvelopes(payload, channel).messages;
      } catch {
        continue;
      }
      for (const message of messages) {
        try {
          this.handler(channel, message);
        } catch (error) {
          // as the amqp bus: a throwing handler is reported, and the rest of the inbox still delivered
          this.logger.error({ err: error, channel }, 'bus message handler threw');
        }
      }
    }
  }

  /** @internal channels this bus receives (for tests' leak checks) */
  boundHere(): string[] {
    return [...this.channels];
  }

  /**
   * @internal for outage tests, as a lost broker connection: while down every call is refused,
   * this node's bindings are gone (so messages to its channels are unroutable) and what it had
   * received but not yet handed over is lost with its queue; back up, every channel is bound again.
   */
  simulateOutage(down: boolean): void {
    for (const channel of this.channels) {
      if (down) this.broker.unbind(channel, this);
      else this.broker.bind(channel, this);
    }
    if (down) this.inbox.length = 0;
    this.setState(down ? 'down' : 'up');
  }

  /**
   * @internal for outage tests: the first half of coming back, as the amqp bus does it: every
   * channel is bound again and messages flow, but the state is still `down` until
   * `simulateOutage(false)`.
   */
  simulateRebind(): void {
    for (const channel of this.channels) this.broker.bind(channel, this);
  }

  private assertUp(): void {
    if (this.state !== 'up') throw new BusError('UNAVAILABLE', `bus is ${this.state}`);
  }

  private setState(state: BusState): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
