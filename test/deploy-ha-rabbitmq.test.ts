/**
 * No single broker: three Tether nodes on a three-node RabbitMQ cluster, each node given the
 * cluster's URLs in a different order (so each is connected to a different broker). One broker
 * is killed (SIGKILL) under counted traffic between users on all three nodes. The node that was
 * on it fails over to a survivor, re-declares its queue and re-binds; every message is accounted
 * for: delivered, or its sender told (an error, or `queued` for resume); the only others are the
 * at-most-once window docs/operations.md describes (acked by the broker, lost with the dead
 * broker's queue), which the test counts and bounds to messages in flight at the kill.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRabbitMqCluster, type RabbitMqCluster } from '../scripts/ha/rabbitmq-cluster.ts';
import { AmqpBus } from '../src/bus/amqp.ts';
import { RedisStore } from '../src/store/redis.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import type { TestClient } from './support/client.ts';
import { reaches } from './support/state.ts';

const rotate = <T>(list: readonly T[], by: number): T[] => [...list.slice(by), ...list.slice(0, by)];

describe('RabbitMQ cluster failover', () => {
  let rabbit: RabbitMqCluster;
  let cluster: Cluster;
  beforeAll(async () => {
    rabbit = await startRabbitMqCluster({ name: 'failover' });
    const urls = rabbit.nodes.map((n) => n.url);
    const run = randomBytes(4).toString('hex');
    cluster = await startCluster(3, {
      config: { RATE_PER_SECOND: 100_000, RATE_BURST: 100_000 },
      makeBus: (i) =>
        new AmqpBus({ url: rotate(urls, i), nodeId: `node-${i}`, exchange: `ha-${run}`, backoff: { baseMs: 50, capMs: 500 } }),
      makeStore: () => new RedisStore({ url: inject('redisUrl'), prefix: `ha-${run}:` }),
    });
  }, 150_000);
  afterAll(async () => {
    await cluster?.stop();
    await rabbit?.stop();
  }, 60_000);

  it('fails over to a surviving broker under traffic; every message is delivered or its sender told', async ({ annotate }) => {
    // sender i on node i calls receiver i+1 on node i+1: traffic crosses every pair of nodes
    const receivers: TestClient[] = [];
    const senders: TestClient[] = [];
    for (let i = 0; i < 3; i++) receivers.push(await cluster.connect(i, { sub: `rx${i}` }));
    for (let i = 0; i < 3; i++) senders.push(await cluster.connect(i, { sub: `tx${i}`, contacts: [`rx${(i + 1) % 3}`] }));

    type Outcome = { id: string; to: number; answer: 'ack' | 'queued' | string; sentAt: number; answeredAt: number };
    const outcomes: Outcome[] = [];
    let stop = false;
    const loops = senders.map(async (sender, i) => {
      const to = (i + 1) % 3;
      for (let n = 0; !stop; n++) {
        const id = `m${i}-${n}`;
        const sentAt = performance.now();
        const answer = await sender.request({ type: 'signal', to: `user:rx${to}`, callId: id, signal: { kind: 'ringing' } });
        const kind = answer.type === 'error' ? answer.code : answer.result && 'queued' in answer.result ? 'queued' : 'ack';
        outcomes.push({ id, to, answer: kind, sentAt, answeredAt: performance.now() });
      }
    });
    // traffic is flowing on every path before the kill
    const first = await Promise.all(receivers.map((r) => r.next('signal')));
    while (outcomes.length < 300) await senders[0]!.request({ type: 'ping' });

    const bus0 = cluster.nodes[0]!.bus as AmqpBus;
    const down = reaches(bus0, 'down');
    const killedAt = performance.now();
    await rabbit.kill(0);
    await down;
    await reaches(bus0, 'up');
    const failoverMs = performance.now() - killedAt;
    // keep sending a while on the new topology, then stop and let answers settle
    const before = outcomes.length;
    while (outcomes.length < before + 300) await senders[0]!.request({ type: 'ping' });
    stop = true;
    await Promise.all(loops);
    // ordering is per sender per channel: once a last marker arrives, everything before it has
    for (const [i, sender] of senders.entries()) {
      await sender.ok({ type: 'signal', to: `user:rx${(i + 1) % 3}`, callId: `end-${i}`, signal: { kind: 'hangup' } });
      await receivers[(i + 1) % 3]!.next('signal', (s) => s.callId === `end-${i}`);
    }

    const delivered = new Set([
      ...first.map((f) => f.callId),
      ...receivers.flatMap((r) => r.frames.flatMap((f) => (f.type === 'signal' ? [f.callId] : []))),
    ]);
    const told = outcomes.filter((o) => o.answer !== 'ack');
    const lost = outcomes.filter((o) => o.answer === 'ack' && !delivered.has(o.id));
    for (const o of told) expect(['queued', 'BUS_UNAVAILABLE', 'PEER_UNAVAILABLE']).toContain(o.answer);
    // lost only in the window: acked by the broker before the kill, in the dead broker's queue
    for (const o of lost) {
      expect(o.to).toBe(0);
      expect(o.answeredAt).toBeLessThan(killedAt + 1000);
    }
    await annotate(
      `rabbitmq failover: ${outcomes.length} messages, ${outcomes.length - told.length - lost.length} delivered, ` +
        `${told.length} told (${Object.entries(Object.groupBy(told, (o) => o.answer)).map(([k, v]) => `${v!.length} ${k}`).join(', ')}), ` +
        `${lost.length} lost in the at-most-once window; ` +
        `node back up on a survivor after ${Math.round(failoverMs)} ms`,
    );
    expect(outcomes.length).toBeGreaterThan(500);
    expect(lost.length).toBeLessThan(50);

    // calls go on (the markers above crossed every pair, the failed-over node included), and a
    // new connection on that node calls too
    const late = await cluster.connect(0, { sub: 'late', contacts: ['rx2'] });
    await late.ok({ type: 'signal', to: 'user:rx2', callId: 'late', signal: { kind: 'invite', media: 'audio' } });
    expect(await receivers[2]!.next('signal', (s) => s.callId === 'late')).toMatchObject({ from: { userId: 'late' } });
  }, 120_000);
});
