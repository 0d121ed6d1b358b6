/**
 * `scripts/node24 loadtest/harness/broker-cost.ts [--rate 5000] [--seconds 4] [--rounds 3]`
 *
 * What RabbitMQ spends per message under each way a node can consume and expire: the relay's
 * broker path alone (raw amqplib, the benchmark's 295-byte frame, 50 routing keys, a confirm
 * channel with `mandatory` and a messageId), one private broker, each variant in turn, alternating
 * the order every round. Measures the broker's CPU time (/proc) per message. Variants: consumer
 * acknowledgements with a prefetch of 1 000 and a per-message expiration (the bus before it moved
 * to noAck); noAck with a per-message expiration; noAck with a queue-level `x-message-ttl`; noAck
 * and no TTL at all (the floor). Loopback only, bounded in time.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type ConsumeMessage, connect } from 'amqplib';
import { startRabbitMq } from '../../test/support/rabbitmq.ts';
import { signalFrame } from './lib/payload.ts';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
  },
});
const rate = Number(values.rate);
const total = rate * Number(values.seconds);
const LANES = 50;

interface Variant {
  name: string;
  noAck: boolean;
  expiration: boolean;
  queueTtl: boolean;
}
const variants: Variant[] = [
  { name: 'acks, prefetch 1000, per-message expiration', noAck: false, expiration: true, queueTtl: false },
  { name: 'noAck, per-message expiration', noAck: true, expiration: true, queueTtl: false },
  { name: 'noAck, queue x-message-ttl', noAck: true, expiration: false, queueTtl: true },
  { name: 'noAck, no TTL', noAck: true, expiration: false, queueTtl: false },
];

const rabbit = await startRabbitMq({ name: 'broker-cost' });
const beam = readdirSync('/proc').find((p) => {
  try {
    const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
    return /^\d+$/.test(p) && cmd.includes('beam.smp') && cmd.includes('broker-cost');
  } catch {
    return false;
  }
});
if (!beam) throw new Error('cannot find the private broker process');
const cpuTicks = (): number => {
  const stat = readFileSync(`/proc/${beam}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
};

async function measure(v: Variant): Promise<number> {
  const [pubConn, subConn] = await Promise.all([connect(rabbit.url), connect(rabbit.url)]);
  try {
    const pub = await pubConn.createConfirmChannel();
    const sub = await subConn.createChannel();
    const exchange = `cost.${Math.random().toString(36).slice(2, 8)}`;
    await sub.assertExchange(exchange, 'direct', { durable: false, autoDelete: true });
    const { queue } = await sub.assertQueue('', { exclusive: true, durable: false, autoDelete: true, ...(v.queueTtl ? { arguments: { 'x-message-ttl': 10_000 } } : {}) });
    const keys = Array.from({ length: LANES }, (_, i) => `user:rr-${i}`);
    await Promise.all(keys.map((key) => sub.bindQueue(queue, exchange, key)));
    if (!v.noAck) await sub.prefetch(1000);
    let received = 0;
    let unacked: ConsumeMessage | undefined;
    await sub.consume(
      queue,
      (message) => {
        if (!message) return;
        received++;
        if (v.noAck) return;
        if (unacked === undefined) {
          queueMicrotask(() => {
            sub.ack(unacked!, true);
            unacked = undefined;
          });
        }
        unacked = message;
      },
      { noAck: v.noAck },
    );
    const before = cpuTicks();
    const start = performance.now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000));
        for (; sent < due; sent++) {
          const lane = sent % LANES;
          pub.publish(exchange, keys[lane]!, Buffer.from(signalFrame(sent, `rr-${lane}`)), {
            mandatory: true,
            messageId: String(sent),
            contentType: 'application/json',
            ...(v.expiration ? { expiration: '10000' } : {}),
          });
        }
        if (sent >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    const deadline = performance.now() + 10_000;
    while (received < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5)); // polling our own counter
    if (received < total) throw new Error(`${v.name}: ${received} of ${total} arrived`);
    return ((cpuTicks() - before) * 10_000) / total;
  } finally {
    await Promise.allSettled([pubConn.close(), subConn.close()]);
  }
}

const results = new Map<string, number[]>(variants.map((v) => [v.name, []]));
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
      const us = await measure(v);
      results.get(v.name)!.push(us);
      console.log(`round ${round + 1}, ${v.name}: ${us.toFixed(1)} µs of RabbitMQ CPU per message`);
    }
  }
} finally {
  await rabbit.stop();
}
console.log(`\nmedians at ${rate}/s:`);
for (const [name, list] of results) console.log(`  ${name}: ${[...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!.toFixed(1)} µs`);
