/**
 * AmqpBus under broker failure, against a private RabbitMQ that this file stops, kills and
 * restarts without disturbing the broker other files share.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { userChannelsExpire } from '../../src/backends.ts';
import { AmqpBus } from '../../src/bus/amqp.ts';
import type { AmqpTopology } from '../../src/bus/amqp-topology.ts';
import { type Bus, BusError, type BusState } from '../../src/bus/bus.ts';
import { startRabbitMq, type RabbitMqInstance } from '../support/rabbitmq.ts';
import { channel, delivery, Inbox } from '../contract/bus-contract.ts';

/** ms a publish may stay unsettled through a broker restart before the test calls it hung */
const SETTLE_BOUND_MS = 20_000;
/** ms for a test that restarts the broker, which alone takes 4-8 s on a loaded machine */
const RESTART_TEST_MS = 60_000;

let broker: RabbitMqInstance;
beforeAll(async () => {
  broker = await startRabbitMq({ name: 'bus-failures' });
});
afterAll(async () => {
  await broker?.stop();
});

describe.each(['routed', 'fanout'] satisfies AmqpTopology[])('AmqpBus (%s) when RabbitMQ fails', (topology) => {
  const buses: AmqpBus[] = [];
  const exchange = `tether.failures.${topology}.${randomUUID()}`;

  const node = async (): Promise<{ bus: AmqpBus; states: StateLog; inbox: Inbox }> => {
    const bus = new AmqpBus({ url: broker.url, topology, exchange, expiringChannels: userChannelsExpire(10_000), backoff: { baseMs: 50, capMs: 500 } });
    buses.push(bus);
    const states = new StateLog(bus);
    const inbox = new Inbox(bus);
    await bus.start();
    return { bus, states, inbox };
  };

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
    await broker.up();
  });

  it.each(['graceful', 'kill'] as const)(
    'settles every publish through a %s restart (2000 in flight at the fault), goes down and up, restores bindings',
    async (how) => {
      const a = await node();
      const b = await node();
      const ch = channel('user');
      await a.bus.subscribe(ch);

      const outcomes: Array<Promise<Outcome>> = [];
      let sending = true;
      let n = 0;
      // batches of 20 pipelined publishes; while b is not up, wait for it rather than spin on refusals
      const traffic = (async () => {
        while (sending) {
          const batch = Array.from({ length: 20 }, () => settle(b.bus.publish(ch, delivery(ch, ++n, 'b'), { mandatory: true })));
          outcomes.push(...batch);
          await Promise.all(batch);
          if (b.bus.state !== 'up' && sending) await b.states.until('up', b.states.count('up'));
        }
      })();
      await a.inbox.until(() => a.inbox.count(ch) >= 100, 'traffic before the restart');
      const burst = Array.from({ length: 2000 }, () => settle(b.bus.publish(ch, delivery(ch, ++n, 'b'), { mandatory: true })));
      outcomes.push(...burst);

      await broker.down(how);
      await Promise.all([a.states.until('down'), b.states.until('down')]);
      await broker.up();
      await Promise.all([a.states.until('up', 1), b.states.until('up', 1)]);
      const beforeMarker = a.inbox.count(ch);
      await a.inbox.until(() => a.inbox.count(ch) > beforeMarker, 'traffic after the restart');
      sending = false;
      await traffic;

      const settled = await Promise.all(outcomes);
      expect(settled.filter((o) => o === 'hung')).toHaveLength(0);
      const failures = settled.filter((o) => o !== 'resolved');
      // UNROUTABLE is honest too: b may be back up before a has re-bound the channel
      for (const failure of failures) expect(['UNAVAILABLE', 'UNROUTABLE']).toContain((failure as BusError).code);
      // a crash always catches some of the burst unconfirmed; a graceful stop may confirm it all first
      if (how === 'kill') expect((await Promise.all(burst)).some((o) => o !== 'resolved')).toBe(true);
      expect(a.states.states).toEqual(['up', 'down', 'up']);
      expect(b.states.states).toEqual(['up', 'down', 'up']);
      const received = a.inbox.messages(ch).map((m) => m.ts);
      expect(received).toEqual([...received].sort((x, y) => x - y));
      expect(new Set(received).size).toBe(received.length);

      const marker = delivery(ch, 1_000_000, 'b');
      await b.bus.publish(ch, marker, { mandatory: true });
      await a.inbox.until(() => a.inbox.messages(ch).at(-1)?.ts === marker.delivery.ts, 'the marker on the re-bound channel');
    },
    RESTART_TEST_MS,
  );

  it('fails fast with UNAVAILABLE while down, keeps no failed subscription, recovers by itself', async () => {
    const a = await node();
    const b = await node();
    const kept = channel('user');
    const refused = channel('user');
    await a.bus.subscribe(kept);
    await broker.down('kill');
    await a.states.until('down');

    const started = performance.now();
    const publish = await settle(b.bus.publish(kept, delivery(kept, 1), { mandatory: true }));
    const subscribe = await settle(a.bus.subscribe(refused));
    expect(performance.now() - started).toBeLessThan(50);
    expect(publish).toMatchObject({ code: 'UNAVAILABLE' });
    expect(subscribe).toMatchObject({ code: 'UNAVAILABLE' });

    await broker.up();
    await Promise.all([a.states.until('up', 1), b.states.until('up', 1)]);
    await b.bus.publish(kept, delivery(kept, 2), { mandatory: true });
    await b.bus.publish(refused, delivery(refused, 3), { mandatory: false });
    await a.inbox.until(() => a.inbox.count(kept) === 1, 'the message on the channel subscribed before');
    await b.bus.publish(kept, delivery(kept, 4), { mandatory: true });
    await a.inbox.until(() => a.inbox.count(kept) === 2, 'a marker after the refused channel’s message');
    expect(a.inbox.count(refused)).toBe(0);
  }, RESTART_TEST_MS);
});

describe('AmqpBus (routed) and broker signals', () => {
  it('goes blocked under a resource alarm, fails new publishes fast, confirms the held one after', async () => {
    const bus = new AmqpBus({ url: broker.url, exchange: `tether.failures.alarm.${randomUUID()}` });
    const states = new StateLog(bus);
    const ch = channel('user');
    try {
      await bus.start();
      await bus.subscribe(ch);
      await broker.ctl('set_vm_memory_high_watermark', '0.0000001');
      // the broker blocks a connection at its first publish once the alarm is in effect
      const blocked = states.until('blocked').then(() => 'blocked' as const);
      let held: Promise<void>;
      let n = 0;
      do held = bus.publish(ch, delivery(ch, ++n), { mandatory: true });
      while ((await Promise.race([held.then(() => 'confirmed' as const), blocked])) === 'confirmed');

      const started = performance.now();
      const refused = await settle(bus.publish(ch, delivery(ch, ++n), { mandatory: true }));
      expect(performance.now() - started).toBeLessThan(50);
      expect(refused).toMatchObject({ code: 'UNAVAILABLE' });

      await broker.ctl('set_vm_memory_high_watermark', '0.4');
      await states.until('up', 1);
      expect(await settle(held)).toBe('resolved');
      expect(states.states).toEqual(['up', 'blocked', 'up']);
      await expect(bus.publish(ch, delivery(ch, ++n), { mandatory: true })).resolves.toBeUndefined();
    } finally {
      await broker.ctl('set_vm_memory_high_watermark', '0.4');
      await bus.close();
    }
  }, RESTART_TEST_MS);


  it('rejects an unroutable mandatory message with UNROUTABLE in well under a second', async () => {
    const bus = new AmqpBus({ url: broker.url, exchange: `tether.failures.returns.${randomUUID()}` });
    try {
      await bus.start();
      const started = performance.now();
      const outcome = await settle(bus.publish(channel('user'), delivery('user:nobody', 1), { mandatory: true }));
      const elapsed = performance.now() - started;
      expect(outcome).toMatchObject({ code: 'UNROUTABLE' });
      expect(elapsed).toBeLessThan(1000);
    } finally {
      await bus.close();
    }
  });
});

type Outcome = 'resolved' | 'hung' | BusError;

/** Resolves with how `op` settled, or `hung` if it did not within SETTLE_BOUND_MS. */
function settle(op: Promise<void>): Promise<Outcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('hung'), SETTLE_BOUND_MS);
    op.then(
      () => resolve('resolved'),
      (error: unknown) => resolve(error instanceof BusError ? error : new BusError('UNAVAILABLE', `not a BusError: ${String(error)}`)),
    ).finally(() => clearTimeout(timer));
  });
}

/** Every state a bus reported (its `connecting` → `up` start included), waitable. */
class StateLog {
  readonly states: BusState[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(bus: Bus) {
    bus.onState((state) => {
      this.states.push(state);
      for (const waiter of this.waiters) waiter();
    });
  }

  count(state: BusState): number {
    return this.states.filter((s) => s === state).length;
  }

  /** Resolves once `state` has been reported more than `seen` times; rejects after `ms`. */
  until(state: BusState, seen = 0, ms = 30_000): Promise<void> {
    const reached = (): boolean => this.count(state) > seen;
    if (reached()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!reached()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${ms} ms waiting for state ${state}; saw ${this.states.join(' → ')}`));
      }, ms);
      this.waiters.add(check);
    });
  }
}
