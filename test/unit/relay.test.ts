import { describe, expect, it } from 'vitest';
import type { Bus, BusMessage, BusState, PublishOptions } from '../../src/bus/bus.ts';
import { MemoryBroker, MemoryBus } from '../../src/bus/memory.ts';
import { Relay, type Subscriber } from '../../src/core/relay.ts';
import type { SessionDelivery } from '../../src/protocol/index.ts';

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
  publish = (c: string, m: BusMessage, o: PublishOptions) => this.inner.publish(c, m, o);
  onMessage = (h: (c: string, m: BusMessage) => void) => this.inner.onMessage(h);
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
    await bus.publish('room:x', { delivery: message }, { mandatory: true });
    expect(await arrival).toEqual(message);
  });

  it('delivers to every local subscriber but the sender, as subscribers come and go', async () => {
    const bus = new RecordingBus();
    await bus.start();
    const relay = new Relay(bus);
    const [a, b, c] = [subscriber('a'), subscriber('b'), subscriber('c')];
    const from = (sessionId: string) => ({ userId: 'u', role: 'r', sessionId });
    const message = (n: number, sender: string) => ({ type: 'presence', channel: 'room:x', event: 'joined', ts: n, from: from(sender) }) as const;
    // the memory bus hands deliveries over in publish order, so once a probe published after
    // the message has arrived, the message has been dispatched
    let probed!: () => void;
    await relay.add('room:probe', { id: 'probe', deliver: () => probed() });
    const round = async (n: number, sender: string): Promise<void> => {
      const arrived = new Promise<void>((resolve) => (probed = resolve));
      await bus.publish('room:x', { delivery: message(n, sender) }, { mandatory: true });
      await bus.publish('room:probe', { delivery: { ...message(n, sender), channel: 'room:probe' } }, { mandatory: true });
      await arrived;
      relay.deliverLocal('room:x', message(n, sender));
    };
    await relay.add('room:x', a);
    await round(1, 'a'); // the sender's own relayed copy is skipped; a local delivery is not
    await relay.add('room:x', b);
    await relay.remove('room:x', subscriber('b')); // another object with b's id: not b's removal
    await round(2, 'z');
    await relay.remove('room:x', a);
    await relay.add('room:x', c);
    await round(3, 'c');
    expect(a.got.map((m) => m.ts)).toEqual([1, 2, 2]);
    expect(b.got.map((m) => m.ts)).toEqual([2, 2, 3, 3]);
    expect(c.got.map((m) => m.ts)).toEqual([3]);
    await relay.remove('room:x', b);
    expect(bus.calls).not.toContain('unsub room:x');
    await relay.remove('room:x', c);
    expect(bus.calls).toEqual(['sub room:probe', 'sub room:x', 'unsub room:x']);
  });
});

describe('Relay and the bus state', () => {
  it('refuses to add a subscriber to a channel already bound here while the bus is down, and leaves it out', async () => {
    const broker = new MemoryBroker();
    const bus = new MemoryBus(broker);
    await bus.start();
    const relay = new Relay(bus);
    const [first, second] = [subscriber('first'), subscriber('second')];
    await relay.add('user:u', first);
    // the same node's bus goes down (a MemoryBus closed stands for it: it refuses everything)
    await bus.close();
    await expect(relay.add('user:u', second)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    relay.deliverLocal('user:u', { type: 'presence', channel: 'user:u', event: 'joined', ts: 1, from: { userId: 'u', role: 'r', sessionId: 's' } });
    expect(second.got).toEqual([]);
    expect(first.got).toHaveLength(1);
  });
});
