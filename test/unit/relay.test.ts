import { describe, expect, it } from 'vitest';
import type { Bus, BusState, PublishOptions } from '../../src/bus/bus.ts';
import { MemoryBroker, MemoryBus } from '../../src/bus/memory.ts';
import { Relay, type Subscriber } from '../../src/core/relay.ts';
import type { SessionDelivery, UnnumberedDelivery } from '../../src/protocol/index.ts';

/** Records the order of bus calls, delegating to a real MemoryBus. */
class RecordingBus implements Bus {
  readonly calls: string[] = [];
  readonly inner = new MemoryBus(new MemoryBroker());
  get state(): BusState {
    return this.inner.state;
  }
  start = () => this.inner.start();
  subscribe = async (c: string) => {
    this.calls.push(`sub ${c}`);
    await this.inner.subscribe(c);
  };
  unsubscribe = async (c: string) => {
    this.calls.push(`unsub ${c}`);
    await this.inner.unsubscribe(c);
  };
  publish = (c: string, m: UnnumberedDelivery, o: PublishOptions) => this.inner.publish(c, m, o);
  onMessage = (h: (c: string, m: UnnumberedDelivery) => void) => this.inner.onMessage(h);
  onState = (l: (s: BusState) => void) => this.inner.onState(l);
  close = () => this.inner.close();
}

const subscriber = (id: string, got: SessionDelivery[] = []): Subscriber & { got: SessionDelivery[] } => ({ id, got, deliver: (m) => got.push(m) });

describe('Relay', () => {
  it('binds a channel once per node and unbinds after the last local subscriber', async () => {
    const bus = new RecordingBus();
    await bus.start();
    const relay = new Relay(bus);
    const [a, b] = [subscriber('a'), subscriber('b')];
    await Promise.all([relay.add('room:x', a), relay.add('room:x', b)]);
    await relay.remove('room:x', a);
    expect(bus.calls).toEqual(['sub room:x']);
    await relay.remove('room:x', b);
    expect(bus.calls).toEqual(['sub room:x', 'unsub room:x']);
  });

  it('never ends unbound when a leave is followed at once by a join', async () => {
    const bus = new RecordingBus();
    await bus.start();
    const relay = new Relay(bus);
    const a = subscriber('a');
    let delivered!: (m: SessionDelivery) => void;
    const arrival = new Promise<SessionDelivery>((resolve) => (delivered = resolve));
    const b: Subscriber = { id: 'b', deliver: (m) => delivered(m) };
    await relay.add('room:x', a);
    const leaving = relay.remove('room:x', a);
    await relay.add('room:x', b);
    await leaving;
    expect(bus.calls).toEqual(['sub room:x', 'unsub room:x', 'sub room:x']);
    const message = { type: 'presence', channel: 'room:x', event: 'joined', ts: 1, from: { userId: 'u', role: 'r', sessionId: 's' } } as const;
    await bus.publish('room:x', message, { mandatory: true });
    expect(await arrival).toEqual(message);
  });
});
