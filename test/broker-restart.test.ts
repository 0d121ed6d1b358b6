/**
 * RabbitMQ restarted under traffic, with nodes and clients staying up: every request is answered
 * (delivered, or an error saying why), readiness is off while the bus is down, and once the
 * nodes have reconnected and re-bound, the same connections and new ones call again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userChannelsExpire } from '../src/backends.ts';
import { AmqpBus } from '../src/bus/amqp.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import { type RabbitMqInstance, startRabbitMq } from './support/rabbitmq.ts';
import { reaches } from './support/state.ts';

describe('RabbitMQ restart in the middle of traffic', () => {
  let rabbit: RabbitMqInstance;
  let cluster: Cluster;
  beforeAll(async () => {
    rabbit = await startRabbitMq({ name: 'node-restart' });
    cluster = await startCluster(2, {
      // the traffic loop sends as fast as answers come back, and answers come back fast while the bus is down
      config: { RATE_PER_SECOND: 100_000, RATE_BURST: 100_000 },
      makeBus: (i) => new AmqpBus({ url: rabbit.url, nodeId: `node-${i}`, durableExchange: false, expiringChannels: userChannelsExpire(10_000), backoff: { baseMs: 50, capMs: 500 } }),
    });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
    await rabbit?.stop();
  });

  it('answers every request, turns readiness off, and recovers bindings without restarting a node', async () => {
    const carol = await cluster.connect(0, { sub: 'carol', role: 'caregiver', patients: ['pat'] });
    const pat = await cluster.connect(1, { sub: 'pat', role: 'patient', contacts: ['carol'] });
    const [bus0, bus1] = cluster.nodes.map((n) => n.bus);

    let stop = false;
    const answers: Array<{ type: string; code?: string }> = [];
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        answers.push(await carol.request({ type: 'signal', to: 'user:pat', callId: 'c', signal: { kind: 'ringing' } }));
      }
    })();
    await pat.next('signal');

    const down = Promise.all([reaches(bus0!, 'down'), reaches(bus1!, 'down')]);
    await rabbit.down('graceful');
    await down;
    const readiness = await fetch(`${cluster.http(0)}/readyz`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ ready: false, bus: 'down' });
    expect(await carol.request({ type: 'signal', to: 'user:pat', callId: 'c', signal: { kind: 'ringing' } })).toMatchObject({
      type: 'error',
      code: 'BUS_UNAVAILABLE',
      retryable: true,
    });

    const up = Promise.all([reaches(bus0!, 'up'), reaches(bus1!, 'up')]);
    await rabbit.up();
    await up;
    stop = true;
    await traffic;
    expect((await fetch(`${cluster.http(0)}/readyz`)).status).toBe(200);

    // every request got exactly one answer; failures only say the bus was away or the peer re-binding
    expect(answers.length).toBeGreaterThan(1);
    const codes = new Set(answers.filter((a) => a.type === 'error').map((a) => a.code));
    for (const code of codes) expect(['BUS_UNAVAILABLE', 'PEER_UNAVAILABLE']).toContain(code);

    // the same sockets work again: pat's user channel was re-bound on its node
    await carol.ok({ type: 'signal', to: 'user:pat', callId: 'after', signal: { kind: 'hangup' } });
    expect(await pat.next('signal', (s) => s.callId === 'after')).toMatchObject({ signal: { kind: 'hangup' } });
    // and new connections on both nodes call each other
    const dan = await cluster.connect(0, { sub: 'dan', contacts: ['eve'] });
    const eve = await cluster.connect(1, { sub: 'eve' });
    await dan.ok({ type: 'signal', to: 'user:eve', callId: 'new', signal: { kind: 'invite', media: 'audio' } });
    expect(await eve.next('signal')).toMatchObject({ callId: 'new', from: { userId: 'dan' } });
  }, 90_000);
});
