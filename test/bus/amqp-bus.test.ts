import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { type ChannelModel, type ConsumeMessage, connect } from 'amqplib';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AmqpBus, type AmqpBusOptions } from '../../src/bus/amqp.ts';
import { type AmqpTopology, declareTopology } from '../../src/bus/amqp-topology.ts';
import { channel, delivery, Inbox } from '../contract/bus-contract.ts';
import { recordingLogger, recordingMetrics } from './recorders.ts';

describe.each(['routed', 'fanout'] satisfies AmqpTopology[])('AmqpBus (%s)', (topology) => {
  const url = inject('rabbitmqUrl');
  let exchange: string;
  let raw: ChannelModel;
  const buses: AmqpBus[] = [];

  const bus = async (extra: Partial<AmqpBusOptions> = {}): Promise<AmqpBus> => {
    const created = new AmqpBus({ url, topology, exchange, durableExchange: false, ...extra });
    buses.push(created);
    await created.start();
    return created;
  };

  beforeEach(async () => {
    exchange = `tether.test.${topology}.${randomUUID()}`;
    raw = await connect(url);
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
    const ch = await raw.createChannel();
    await ch.deleteExchange(exchange);
    await raw.close();
  });

  it('discards bytes that are not a valid message, logs them, and keeps delivering', async () => {
    const logger = recordingLogger();
    const metrics = recordingMetrics();
    const receiver = await bus({ logger, metrics });
    const sender = await bus();
    const inbox = new Inbox(receiver);
    const ch = channel('user');
    await receiver.subscribe(ch);
    const pub = await raw.createConfirmChannel();
    pub.publish(exchange, ch, Buffer.from('{not json'));
    pub.publish(exchange, ch, Buffer.from(JSON.stringify({ d: { ...delivery(ch, 1).delivery, ts: 'yesterday' } })));
    await pub.waitForConfirms();
    await sender.publish(ch, delivery(ch, 2), { mandatory: true });
    await inbox.until(() => inbox.count(ch) === 1, 'the valid message');
    expect(inbox.messages(ch)).toEqual([delivery(ch, 2).delivery]);
    expect(metrics.counts.malformed).toBe(2);
    expect(logger.entries.filter((e) => e.level === 'warn')).toHaveLength(2);
    expect(receiver.state).toBe('up');
  });

  it('discards what a rogue publisher puts on a channel, a batch\'s bad envelopes alone, and delivers the rest', async () => {
    const metrics = recordingMetrics();
    const receiver = await bus({ metrics });
    const inbox = new Inbox(receiver);
    const ch = channel('user');
    await receiver.subscribe(ch);
    const good = (n: number): object => ({ o: n, d: delivery(ch, n).delivery });
    const d = delivery(ch, 0).delivery;
    // a call event has no sender when the server ends the call
    const call = { type: 'call', channel: ch, ts: 1, callId: 'c1', event: 'ended', kind: 'call', media: 'audio', caller: d.from, callee: 'pat', reason: 'missed', durationMs: 0 };
    const rogue: unknown[] = [
      [1, 2],
      { d: { ...d, channel: channel('user') } }, // for another channel than it came on
      { d: { ...d, seq: 7 } }, // a field the delivery does not have
      { d, extra: true },
      { o: -1, d },
      { d: { ...d, from: { ...d.from, admin: true } } },
      { d: { ...d, type: 'signal', callId: 'c', signal: { kind: 'offer', sdp: 'v=0', script: 'x' } } },
      { d: JSON.parse('{"__proto__":{"polluted":true}}') as object },
      { d: { ...call, callId: 7 } }, // a call event checked by the protocol's schema
    ];
    const pub = await raw.createConfirmChannel();
    for (const body of rogue) pub.publish(exchange, ch, Buffer.from(JSON.stringify(body)));
    pub.publish(exchange, ch, Buffer.from(JSON.stringify([good(1), { d: { ...d, ts: 'now' } }, good(2), { d: call }])));
    await pub.waitForConfirms();
    await inbox.until(() => inbox.count(ch) === 3, 'the three good envelopes of the batch');
    expect(inbox.envelopes(ch)).toEqual([
      { offset: 1, delivery: delivery(ch, 1).delivery },
      { offset: 2, delivery: delivery(ch, 2).delivery },
      { delivery: call },
    ]);
    // [1, 2] is two bad envelopes
    expect(metrics.counts.malformed).toBe(rogue.length + 2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(receiver.state).toBe('up');
  });

  it('sends one turn\'s publishes to one channel as one broker message, in order, other channels and options apart', async () => {
    const metrics = recordingMetrics();
    const sender = await bus({ metrics });
    const [one, two] = [channel('user'), channel('user')];
    const tap = await raw.createChannel();
    const { queue } = await tap.assertQueue('', { exclusive: true });
    for (const ch of topology === 'routed' ? [one, two] : ['']) await tap.bindQueue(queue, exchange, ch);
    const got: ConsumeMessage[] = [];
    const all = Promise.withResolvers<void>();
    void tap.consume(queue, (message) => message && got.push(message) === 4 && all.resolve(), { noAck: true });
    await Promise.all([
      sender.publish(one, delivery(one, 1), { mandatory: false }),
      sender.publish(two, delivery(two, 2), { mandatory: false }),
      sender.publish(one, delivery(one, 3), { mandatory: false }),
      sender.publish(one, delivery(one, 4), { mandatory: false, ttlMs: 4000 }),
      sender.publish(one, delivery(one, 5), { mandatory: false, ttlMs: 4000 }),
      sender.publish(one, delivery(one, 6), { mandatory: false }),
    ]);
    await all.promise;
    const bodies = got.map((m) => [m.fields.routingKey, JSON.parse(m.content.toString()) as unknown]);
    const env = (ch: string, n: number): unknown => ({ d: delivery(ch, n).delivery });
    expect(bodies).toEqual([
      [one, [env(one, 1), env(one, 3)]],
      [two, env(two, 2)],
      [one, [env(one, 4), env(one, 5)]],
      [one, env(one, 6)],
    ]);
    expect(metrics.counts.published).toBe(6);
  });

  it('with coalesce off, sends every publish as a broker message of its own', async () => {
    const sender = await bus({ coalesce: false });
    const ch = channel('user');
    const tap = await raw.createChannel();
    const { queue } = await tap.assertQueue('', { exclusive: true });
    await tap.bindQueue(queue, exchange, topology === 'routed' ? ch : '');
    const got: ConsumeMessage[] = [];
    const all = Promise.withResolvers<void>();
    void tap.consume(queue, (message) => message && got.push(message) === 3 && all.resolve(), { noAck: true });
    await Promise.all([1, 2, 3].map((n) => sender.publish(ch, delivery(ch, n), { mandatory: false })));
    await all.promise;
    expect(got.map((m) => JSON.parse(m.content.toString()) as unknown)).toEqual([1, 2, 3].map((n) => ({ d: delivery(ch, n).delivery })));
  });

  it('keeps delivering when the handler throws, and logs it', async () => {
    const logger = recordingLogger();
    const receiver = await bus({ logger });
    const ch = channel('room');
    await receiver.subscribe(ch);
    const seen: number[] = [];
    const second = new Promise<void>((resolve) => {
      receiver.onMessage((_, message) => {
        seen.push(message.delivery.ts);
        if (message.delivery.ts === 1) throw new Error('handler bug');
        resolve();
      });
    });
    await receiver.publish(ch, delivery(ch, 1), { mandatory: true });
    await receiver.publish(ch, delivery(ch, 2), { mandatory: true });
    await second;
    expect(seen).toEqual([1, 2]);
    expect(logger.entries.map((e) => e.level)).toEqual(['error']);
  });

  it('sends JSON with a messageId and the TTL as per-message expiration', async () => {
    const sender = await bus();
    const ch = channel('location');
    const tap = await raw.createChannel();
    const { queue } = await tap.assertQueue('', { exclusive: true });
    await tap.bindQueue(queue, exchange, topology === 'routed' ? ch : '');
    const got = new Promise<ConsumeMessage>((resolve) => {
      void tap.consume(queue, (message) => message && resolve(message), { noAck: true });
    });
    await sender.publish(ch, delivery(ch, 1), { mandatory: false, ttlMs: 4000 });
    const message = await got;
    expect(message.fields.routingKey).toBe(ch);
    expect(message.properties.expiration).toBe('4000');
    expect(message.properties.contentType).toBe('application/json');
    expect(message.properties.messageId).toEqual(expect.any(String));
    expect(JSON.parse(message.content.toString())).toEqual({ d: delivery(ch, 1).delivery });
  });

  it('leaves the expiry of an expiring channel\'s messages to its queue in routed, and keeps any other TTL per message', async () => {
    const sender = await bus({ expiringChannels: { ttlMs: 4000, matches: (c) => c.startsWith('user:') } });
    const user = channel('user');
    const tap = await raw.createChannel();
    const { queue } = await tap.assertQueue('', { exclusive: true });
    await tap.bindQueue(queue, exchange, topology === 'routed' ? user : '');
    const got: ConsumeMessage[] = [];
    const both = new Promise<void>((resolve) => {
      void tap.consume(queue, (message) => message && got.push(message) === 2 && resolve(), { noAck: true });
    });
    await sender.publish(user, delivery(user, 1), { mandatory: false, ttlMs: 4000 });
    await sender.publish(user, delivery(user, 2), { mandatory: false, ttlMs: 3000 });
    await both;
    expect(got.map((m) => m.properties.expiration)).toEqual(topology === 'routed' ? [undefined, '3000'] : ['4000', '3000']);
  });

  it('reports publishes, confirms, returns, channels and deliveries to its metrics', async () => {
    const metrics = recordingMetrics();
    const node = await bus({ metrics });
    const ch = channel('user');
    await node.subscribe(ch);
    const arrived = new Promise<void>((resolve) => node.onMessage(() => resolve()));
    await node.publish(ch, delivery(ch, 1), { mandatory: true });
    await arrived;
    // nobody binds this one: routed returns it; fanout routes it to every node (this one included)
    await node.publish(channel('user'), delivery(ch, 2), { mandatory: true }).catch(() => {});
    await node.unsubscribe(ch);
    expect(metrics.counts).toMatchObject({ published: 2, returned: topology === 'routed' ? 1 : 0, delivered: 1, unavailable: 0 });
    expect(metrics.confirmSeconds.length).toBeGreaterThanOrEqual(1);
    expect(metrics.confirmSeconds.every((s) => s >= 0 && s < 5)).toBe(true);
    expect(metrics.channelCounts).toEqual([1, 0]);
  });

  it('gives up start() after startTimeoutMs against a dead port, closed and UNAVAILABLE', async () => {
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    server.close();
    await once(server, 'close');
    const dead = new AmqpBus({ url: `amqp://127.0.0.1:${port}`, topology, exchange, startTimeoutMs: 300 });
    const started = performance.now();
    await expect(dead.start()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(dead.state).toBe('closed');
    await expect(dead.publish(channel('user'), delivery('user:x', 1), { mandatory: false })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });
});

describe('declareTopology (routed)', () => {
  it('declares a queue for expiring channels that drops a message waiting longer than their TTL', async () => {
    const raw = await connect(inject('rabbitmqUrl'));
    const exchange = `tether.test.routed.${randomUUID()}`;
    try {
      const ch = await raw.createChannel();
      const config = { kind: 'routed' as const, exchange, durable: false, expiring: { ttlMs: 50, matches: (c: string) => c.startsWith('user:') } };
      const user = channel('user');
      const room = channel('room');
      // declared but not consumed: what is published waits in the queues
      const queues = await declareTopology([ch], config, [user, room]);
      const pub = await raw.createConfirmChannel();
      pub.publish(exchange, user, Buffer.from('{"waits":"too long"}'));
      pub.publish(exchange, room, Buffer.from('{"no":"ttl"}'));
      await pub.waitForConfirms();
      const deadline = Date.now() + 5000;
      // polling the broker's count: the queue's own timer drops the expired message
      while ((await ch.checkQueue(queues.expiring!)).messageCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect((await ch.checkQueue(queues.expiring!)).messageCount).toBe(0);
      expect((await ch.checkQueue(queues.main)).messageCount).toBe(1);
      await ch.deleteExchange(exchange);
    } finally {
      await raw.close();
    }
  });
});
