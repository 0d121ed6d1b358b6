/**
 * The Bus contract (src/bus/bus.ts), written once and run against every implementation:
 * `describeBusContract('amqp routed', factory)`. The factory returns at least three started buses
 * over one backing broker, standing for three nodes, so every "anywhere in the cluster" promise is
 * checked across nodes. Channel names are fresh per test, so a shared broker needs no reset.
 *
 * To extend: add an `it` per promise of the interface's doc comment. Wait on deliveries with
 * `Inbox.until` (it resolves on the delivery event, bounded so a loss fails with a clear message),
 * and prove a non-delivery with a later marker that travels the same path and does arrive.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Bus, BusError, type BusMessage, type BusState } from '../../src/bus/bus.ts';
import type { UnnumberedDelivery } from '../../src/protocol/index.ts';

export interface BusCluster {
  /** at least three, started, over the same broker */
  buses: Bus[];
  close(): Promise<void>;
}

export interface BusTraits {
  /** a mandatory publish knows whether any node subscribes the channel (routed); false: only whether any node is connected (fanout) */
  mandatoryKnowsSubscribers: boolean;
}

export function describeBusContract(name: string, traits: BusTraits, makeCluster: () => Promise<BusCluster>): void {
  describe(`Bus contract: ${name}`, () => {
    let cluster: BusCluster;
    let inboxes: Inbox[];
    let a: Bus;
    let b: Bus;
    let c: Bus;
    let inA: Inbox;
    let inC: Inbox;

    beforeEach(async () => {
      cluster = await makeCluster();
      expect(cluster.buses.length).toBeGreaterThanOrEqual(3);
      inboxes = cluster.buses.map((bus) => new Inbox(bus));
      [a, b, c] = cluster.buses as [Bus, Bus, Bus];
      [inA, , inC] = inboxes as [Inbox, Inbox, Inbox];
    });
    afterEach(async () => {
      await cluster.close();
    });

    it('starts up', () => {
      for (const bus of cluster.buses) expect(bus.state).toBe('up');
    });

    it('delivers a message published from another node right after subscribe resolves, every time', async () => {
      const { buses } = cluster;
      const expected: Array<[Inbox, string]> = [];
      for (let i = 0; i < 200; i++) {
        const sub = i % buses.length;
        const pub = (sub + 1 + (Math.floor(i / buses.length) % (buses.length - 1))) % buses.length;
        const ch = channel('user');
        await buses[sub]!.subscribe(ch);
        await buses[pub]!.publish(ch, delivery(ch, i), { mandatory: true });
        expected.push([inboxes[sub]!, ch]);
      }
      await Promise.all(expected.map(([inbox, ch]) => inbox.until(() => inbox.count(ch) === 1, `a message on ${ch}`)));
      const lost = expected.filter(([inbox, ch]) => inbox.count(ch) !== 1);
      expect(lost).toEqual([]);
    });

    it('delivers to every subscribed node, the publishing node included, and the message is intact', async () => {
      const ch = channel('room');
      await Promise.all([a.subscribe(ch), b.subscribe(ch), c.subscribe(ch)]);
      const sent = delivery(ch, 1);
      await b.publish(ch, sent, { mandatory: true });
      for (const inbox of inboxes.slice(0, 3)) {
        await inbox.until(() => inbox.count(ch) === 1, `the message on ${ch}`);
        expect(inbox.messages(ch)).toEqual([sent.delivery]);
      }
    });

    it('answers a mandatory publish to a channel nobody subscribes quickly: UNROUTABLE where the bus routes by channel', async () => {
      const started = performance.now();
      const outcome = await b.publish(channel('user'), delivery('user:nobody', 1), { mandatory: true }).catch((e: unknown) => e);
      if (traits.mandatoryKnowsSubscribers) {
        expect(outcome).toBeInstanceOf(BusError);
        expect((outcome as BusError).code).toBe('UNROUTABLE');
      } else {
        // fanout: every connected node receives everything, so the broker routes it
        expect(outcome).toBeUndefined();
      }
      expect(performance.now() - started).toBeLessThan(1000);
    });

    it('carries a direct message\'s offset with it, and no offset when there is none', async () => {
      const ch = channel('user');
      await a.subscribe(ch);
      await b.publish(ch, { ...delivery(ch, 1), offset: 1_764_000_000_000_123 }, { mandatory: true });
      await b.publish(ch, delivery(ch, 2), { mandatory: true });
      await inA.until(() => inA.count(ch) === 2, 'both messages');
      expect(inA.envelopes(ch).map((m) => m.offset)).toEqual([1_764_000_000_000_123, undefined]);
    });

    it('resolves a non-mandatory publish to a channel nobody subscribes', async () => {
      await expect(b.publish(channel('room'), delivery('room:empty', 1), { mandatory: false })).resolves.toBeUndefined();
    });

    it('stops delivering a channel after unsubscribe, while other channels and nodes keep theirs', async () => {
      const gone = channel('room');
      const marker = channel('room');
      await Promise.all([a.subscribe(gone), a.subscribe(marker), c.subscribe(gone)]);
      await b.publish(gone, delivery(gone, 1), { mandatory: true });
      await inA.until(() => inA.count(gone) === 1, 'the first message');
      await a.unsubscribe(gone);
      await b.publish(gone, delivery(gone, 2), { mandatory: true });
      await b.publish(marker, delivery(marker, 3), { mandatory: true });
      await inA.until(() => inA.count(marker) === 1, 'the marker');
      await inC.until(() => inC.count(gone) === 2, 'both messages on the node still subscribed');
      expect(inA.messages(gone).map((m) => m.ts)).toEqual([1]);
    });

    it('reports UNROUTABLE once the last subscriber has unsubscribed, where the bus routes by channel', async () => {
      const ch = channel('user');
      await a.subscribe(ch);
      await b.publish(ch, delivery(ch, 1), { mandatory: true });
      await a.unsubscribe(ch);
      const outcome = b.publish(ch, delivery(ch, 2), { mandatory: true });
      if (traits.mandatoryKnowsSubscribers) await expect(outcome).rejects.toMatchObject({ code: 'UNROUTABLE' });
      else await expect(outcome).resolves.toBeUndefined();
    });

    it('delivers again after unsubscribe and subscribe', async () => {
      const ch = channel('room');
      await a.subscribe(ch);
      await a.unsubscribe(ch);
      await a.subscribe(ch);
      await b.publish(ch, delivery(ch, 7), { mandatory: true });
      await inA.until(() => inA.count(ch) === 1, 'the message after re-subscribing');
      expect(inA.messages(ch).map((m) => m.ts)).toEqual([7]);
    });

    it('keeps each publisher’s order on a channel (500 pipelined messages from each of two nodes)', async () => {
      const ch = channel('location');
      await a.subscribe(ch);
      const sends: Array<Promise<void>> = [];
      for (let i = 1; i <= 500; i++) {
        sends.push(b.publish(ch, delivery(ch, i, 'b'), { mandatory: true }));
        sends.push(c.publish(ch, delivery(ch, i, 'c'), { mandatory: true }));
      }
      await Promise.all(sends);
      await inA.until(() => inA.count(ch) === 1000, '1000 messages');
      const from = (user: string): number[] => inA.messages(ch).filter((m) => m.from?.userId === user).map((m) => m.ts);
      const inOrder = Array.from({ length: 500 }, (_, i) => i + 1);
      expect(from('b')).toEqual(inOrder);
      expect(from('c')).toEqual(inOrder);
    });

    it('delivers a burst of publishes to one channel in one turn as that many messages, in order, each with its offset, each publish settling', async () => {
      const ch = channel('user');
      await a.subscribe(ch);
      const sent = Array.from({ length: 25 }, (_, i) => ({ ...delivery(ch, i + 1), offset: 1_764_000_000_000_000 + i }));
      const settled = await Promise.allSettled(sent.map((m) => b.publish(ch, m, { mandatory: true, ttlMs: 10_000 })));
      expect(settled.map((s) => s.status)).toEqual(new Array(25).fill('fulfilled'));
      await inA.until(() => inA.count(ch) === 25, '25 messages');
      expect(inA.envelopes(ch)).toEqual(sent);
    });

    it('answers every publish of a mandatory burst to a channel nobody subscribes: UNROUTABLE where the bus routes by channel', async () => {
      const ch = channel('user');
      const outcomes = await Promise.all(
        [1, 2, 3].map((n) => b.publish(ch, delivery(ch, n), { mandatory: true, ttlMs: 10_000 }).then(() => 'ok', (e: unknown) => (e as BusError).code)),
      );
      expect(outcomes).toEqual(traits.mandatoryKnowsSubscribers ? ['UNROUTABLE', 'UNROUTABLE', 'UNROUTABLE'] : ['ok', 'ok', 'ok']);
    });

    it('keeps each publisher’s order on a channel when a burst mixes options (mandatory, TTL)', async () => {
      const ch = channel('room');
      await a.subscribe(ch);
      const options = [{ mandatory: false }, { mandatory: false, ttlMs: 10_000 }, { mandatory: false, ttlMs: 10_000 }, { mandatory: true }, { mandatory: false }];
      await Promise.all(options.map((o, i) => b.publish(ch, delivery(ch, i + 1), o)));
      await inA.until(() => inA.count(ch) === 5, '5 messages');
      expect(inA.messages(ch).map((m) => m.ts)).toEqual([1, 2, 3, 4, 5]);
    });

    it('keeps many channels apart', async () => {
      const channels = Array.from({ length: 100 }, () => channel('room'));
      await Promise.all(channels.map((ch) => a.subscribe(ch)));
      await Promise.all(channels.slice(0, 50).map((ch) => c.subscribe(ch)));
      await Promise.all(channels.map((ch, i) => b.publish(ch, delivery(ch, i), { mandatory: true })));
      await inA.until(() => channels.every((ch) => inA.count(ch) === 1), 'one message on each of 100 channels');
      await inC.until(() => channels.slice(0, 50).every((ch) => inC.count(ch) === 1), 'one message on each of 50');
      channels.forEach((ch, i) => expect(inA.messages(ch)).toEqual([delivery(ch, i).delivery]));
      expect(channels.slice(50).map((ch) => inC.count(ch))).toEqual(new Array(50).fill(0));
    });

    it('never hands an invalid message to the handler, and keeps running', async () => {
      const ch = channel('user');
      await a.subscribe(ch);
      const invalid = { delivery: { ...delivery(ch, 1).delivery, type: 'nonsense' } } as unknown as BusMessage;
      await b.publish(ch, invalid, { mandatory: false }).catch(() => {});
      await b.publish(ch, delivery(ch, 2), { mandatory: true });
      await inA.until(() => inA.count(ch) >= 1, 'the valid message');
      expect(inA.messages(ch).map((m) => m.ts)).toEqual([2]);
      expect(a.state).toBe('up');
    });

    it('refuses publish and subscribe with UNAVAILABLE after close, and reports closed', async () => {
      const states: BusState[] = [];
      a.onState((state) => states.push(state));
      await a.close();
      expect(a.state).toBe('closed');
      expect(states).toEqual(['closed']);
      await expect(a.publish(channel('user'), delivery('user:x', 1), { mandatory: false })).rejects.toMatchObject({
        code: 'UNAVAILABLE',
      });
      await expect(a.subscribe(channel('user'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    });

    it('stops delivering to a closed node; the others carry on', async () => {
      const ch = channel('room');
      await Promise.all([a.subscribe(ch), c.subscribe(ch)]);
      await a.close();
      await b.publish(ch, delivery(ch, 1), { mandatory: true });
      await inC.until(() => inC.count(ch) === 1, 'the message on the open node');
      expect(inA.count(ch)).toBe(0);
    });
  });
}

const run = randomUUID().slice(0, 8);
let serial = 0;

/** A fresh, valid channel name of `kind`. */
export function channel(kind: 'user' | 'room' | 'location'): string {
  return `${kind}:t-${run}-${++serial}`;
}

/** A valid relayed message; `ts` carries `n` so tests can check which one arrived, and in what order. */
export function delivery(ch: string, n: number, userId = 'alice'): BusMessage & { delivery: UnnumberedDelivery } {
  return {
    delivery: {
      type: 'location',
      channel: ch,
      from: { userId, role: 'patient', sessionId: `session-${userId}` },
      ts: n,
      position: { lat: 48.1, lng: 11.5, accuracy: 5, timestamp: 1_700_000_000_000 + n },
    },
  };
}

/** Everything one bus delivered, by channel, with a way to wait for a condition on it. */
export class Inbox {
  private readonly byChannel = new Map<string, BusMessage[]>();
  private readonly waiters = new Set<() => void>();

  constructor(bus: Bus) {
    bus.onMessage((ch, message) => {
      let list = this.byChannel.get(ch);
      if (!list) this.byChannel.set(ch, (list = []));
      list.push(message);
      for (const waiter of this.waiters) waiter();
    });
  }

  /** what arrived on `ch`, as published */
  envelopes(ch: string): BusMessage[] {
    return this.byChannel.get(ch) ?? [];
  }

  /** the deliveries that arrived on `ch` */
  messages(ch: string): UnnumberedDelivery[] {
    return this.envelopes(ch).map((m) => m.delivery);
  }

  count(ch: string): number {
    return this.messages(ch).length;
  }

  /** Resolves when `done()` holds after a delivery; rejects naming `what` if `ms` pass first. */
  until(done: () => boolean, what: string, ms = 10_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      this.waiters.add(check);
    });
  }
}
