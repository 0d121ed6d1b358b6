/**
 * Baseline (ceiling): amqplib publish-to-consume through the benchmark's RabbitMQ, set up as a
 * Tether node uses it (src/bus/amqp-session.ts): a confirm channel on its own connection,
 * pipelined publishes to a direct exchange with `mandatory`, a messageId and an expiration; a
 * consumer on a second connection with an exclusive queue, prefetch 1000 and one `multiple` ack per
 * socket read. The same bytes as the relay, the same offered rates; a nack or return is a failure.
 * No WebSocket and no node: what the broker path alone sustains here.
 */
import { type ConsumeMessage, connect } from 'amqplib';
import type { Infra } from '../lib/infra.ts';
import { Recorder, type RunningSystem } from '../lib/open-loop.ts';
import { signalFrame } from '../lib/payload.ts';

export async function startAmqpCeiling(infra: Infra, lanes: number): Promise<RunningSystem> {
  const [pubConn, subConn] = await Promise.all([connect(infra.rabbitmqUrl), connect(infra.rabbitmqUrl)]);
  const stop = async (): Promise<void> => void (await Promise.allSettled([pubConn.close(), subConn.close()]));
  try {
    const exchange = `bench.ceiling.${Math.random().toString(36).slice(2, 7)}`;
    const pub = await pubConn.createConfirmChannel();
    const sub = await subConn.createChannel();
    await sub.assertExchange(exchange, 'direct', { durable: false, autoDelete: true });
    const { queue } = await sub.assertQueue('', { exclusive: true, durable: false, autoDelete: true });
    const keys = Array.from({ length: lanes }, (_, i) => `user:rr-${i}`);
    await Promise.all(keys.map((key) => sub.bindQueue(queue, exchange, key)));
    await sub.prefetch(1000);
    const probe = new Recorder();
    let last: ConsumeMessage | undefined;
    await sub.consume(queue, (message) => {
      if (!message) return;
      probe.delivered(Number((JSON.parse(message.content.toString()) as { callId: string }).callId));
      if (last === undefined) {
        queueMicrotask(() => {
          sub.ack(last!, true);
          last = undefined;
        });
      }
      last = message;
    });
    pub.on('return', () => probe.failed('returned'));
    let id = 0;
    const send = (lane: number, seq: number): void => {
      const body = Buffer.from(signalFrame(seq, `rr-${lane}`));
      const properties = { mandatory: true, messageId: String(++id), expiration: '10000', contentType: 'application/json' };
      pub.publish(exchange, keys[lane]!, body, properties, (error: unknown) => {
        if (error) probe.failed('nack');
      });
    };
    return { name: 'amqplib', target: { lanes, send, close: async () => {} }, probe, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
