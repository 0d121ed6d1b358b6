/**
 * Stands in for the Store's presence in fanout tests: a fanout exchange cannot tell whether anyone
 * receives a channel, so `AmqpBus` takes an `isReachable` callback, which production backs with
 * presence. `track(bus)` wraps a bus so every subscription confirmed on it is recorded here,
 * exactly where the session layer records presence in production.
 *
 * To extend: mirror any new presence rule (e.g. per-user session counts) in `add` / `remove`.
 */
import type { Bus, BusState, PublishOptions } from '../../src/bus/bus.ts';
import type { UnnumberedDelivery } from '../../src/protocol/index.ts';

export class ChannelPresence {
  private readonly counts = new Map<string, number>();

  readonly isReachable = async (channel: string): Promise<boolean> => (this.counts.get(channel) ?? 0) > 0;

  track(bus: Bus): Bus {
    return new TrackedBus(bus, this);
  }

  add(channel: string): void {
    this.counts.set(channel, (this.counts.get(channel) ?? 0) + 1);
  }

  remove(channel: string): void {
    const count = (this.counts.get(channel) ?? 0) - 1;
    if (count > 0) this.counts.set(channel, count);
    else this.counts.delete(channel);
  }
}

class TrackedBus implements Bus {
  private readonly inner: Bus;
  private readonly presence: ChannelPresence;
  private readonly channels = new Set<string>();

  constructor(inner: Bus, presence: ChannelPresence) {
    this.inner = inner;
    this.presence = presence;
  }

  get state(): BusState {
    return this.inner.state;
  }

  start(): Promise<void> {
    return this.inner.start();
  }

  async subscribe(channel: string): Promise<void> {
    await this.inner.subscribe(channel);
    if (!this.channels.has(channel)) this.presence.add(channel);
    this.channels.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    if (this.channels.delete(channel)) this.presence.remove(channel);
    await this.inner.unsubscribe(channel);
  }

  publish(channel: string, message: UnnumberedDelivery, options: PublishOptions): Promise<void> {
    return this.inner.publish(channel, message, options);
  }

  onMessage(handler: (channel: string, message: UnnumberedDelivery) => void): void {
    this.inner.onMessage(handler);
  }

  onState(listener: (state: BusState) => void): void {
    this.inner.onState(listener);
  }

  async close(): Promise<void> {
    for (const channel of this.channels) this.presence.remove(channel);
    this.channels.clear();
    await this.inner.close();
  }
}
