/**
 * Calls when something they depend on fails: a webhook endpoint that is down or never answers,
 * Redis (the call state) stopped, PostgreSQL (the history) crashed. Real servers: private Redis
 * and PostgreSQL instances per test (so stopping them disturbs no other file), plain HTTP
 * endpoints on port 0. Ring windows are short; waits are on frames, or polls with a deadline for
 * what only another process shows.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { type PostgresInstance, startPostgres } from '../scripts/services/postgres.ts';
import { AmqpBus } from '../src/bus/amqp.ts';
import { RedisCallStore } from '../src/calls/redis-call-store.ts';
import type { CallDelivery, CallResult, CallsResult } from '../src/protocol/index.ts';
import { PostgresRecords } from '../src/records/postgres.ts';
import { RedisStore } from '../src/store/redis.ts';
import { type Cluster, startCluster } from './support/cluster.ts';
import { type RedisInstance, startRedis } from './support/redis.ts';

const carolId = { sub: 'carol', role: 'caregiver', patients: ['pat'] };
const patId = { sub: 'pat', role: 'patient', contacts: ['carol'] };
const event = (client: Awaited<ReturnType<Cluster['connect']>>, callId: string, name: CallDelivery['event']) =>
  client.next('call', (f) => f.callId === callId && f.event === name) as Promise<CallDelivery>;

async function until<T>(what: string, read: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50)); // polling state only another component shows
  }
}

describe('calls when what they depend on fails', () => {
  const cleanup: Array<() => Promise<unknown> | void> = [];
  afterEach(async () => {
    for (const done of cleanup.splice(0).reverse()) await done();
  });

  async function webhookCluster(answer: 'refuse connections' | 'never answer'): Promise<Cluster> {
    const server = createServer(() => {
      // never answers: the node's attempt times out
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    if (answer === 'refuse connections') {
      server.close();
      await once(server, 'close');
    } else {
      cleanup.push(() => {
        server.closeAllConnections();
        server.close();
      });
    }
    const cluster = await startCluster(2, {
      config: { CALL_RING_TIMEOUT_MS: 500, WEBHOOK_URL: url, WEBHOOK_SECRET: 'secret-secret-secret', WEBHOOK_TIMEOUT_MS: 300, WEBHOOK_MAX_ATTEMPTS: 2 },
    });
    cleanup.push(() => cluster.stop());
    return cluster;
  }

  const webhookOutcomes = async (cluster: Cluster, outcome: string): Promise<number> => {
    let total = 0;
    for (const node of cluster.nodes) {
      const metric = await node.metrics.webhooks.get();
      total += metric.values.filter((v) => v.labels.outcome === outcome).reduce((n, v) => n + v.value, 0);
    }
    return total;
  };

  for (const fault of ['refuse connections', 'never answer'] as const) {
    it(`rings and misses on time when the webhook endpoint is down or slow (${fault}), and gives the webhook up`, async () => {
      const cluster = await webhookCluster(fault);
      const carol = await cluster.connect(0, carolId);
      const started = performance.now();
      const invite = (await carol.ok({ type: 'invite', to: 'pat' })) as CallResult;
      const ackMs = performance.now() - started;
      process.stdout.write(`calls faults: invite to a sleeping callee answered in ${Math.round(ackMs)} ms with the webhook endpoint set to ${fault}\n`);
      expect(invite).toMatchObject({ devices: 0, woken: true, state: 'ringing' });
      expect(ackMs).toBeLessThan(300);
      expect(await event(carol, invite.callId, 'ended')).toMatchObject({ reason: 'missed' });
      // two attempts each for call.invite and call.missed, then given up: nothing queued for ever
      await until('webhook events given up', async () => ((await webhookOutcomes(cluster, 'failed')) >= 2 ? true : undefined));
      expect(await webhookOutcomes(cluster, 'delivered')).toBe(0);
    });
  }

  it('answers STORE_UNAVAILABLE while Redis is down, and calls work again once it is back', async () => {
    const redis: RedisInstance = await startRedis({ name: 'calls-outage' });
    cleanup.push(() => redis.stop());
    const run = Math.random().toString(36).slice(2, 8);
    const cluster = await startCluster(2, {
      makeStore: () => new RedisStore({ url: redis.url, prefix: `t-${run}:` }),
      makeCalls: () => new RedisCallStore({ url: redis.url, prefix: `t-${run}:` }),
      makeBus: (i) => new AmqpBus({ url: inject('rabbitmqUrl'), topology: 'routed', exchange: `tether.test.calls.${run}`, durableExchange: false, nodeId: `node-${i}` }),
    });
    cleanup.push(() => cluster.stop());
    const carol = await cluster.connect(0, carolId);
    const pat = await cluster.connect(1, patId);
    const first = (await carol.ok({ type: 'invite', to: 'pat' })) as CallResult;
    await event(pat, first.callId, 'invite');

    await redis.stop();
    const refused = await carol.request({ type: 'invite', to: 'pat' });
    expect(refused).toMatchObject({ type: 'error', code: 'STORE_UNAVAILABLE', retryable: true });
    expect(await pat.request({ type: 'accept', callId: first.callId })).toMatchObject({ type: 'error', code: 'STORE_UNAVAILABLE' });

    await redis.start();
    // a fresh Redis: the old call is gone; a new one works from start to end
    const again = await until('invite accepted after Redis returned', async () => {
      const answer = await carol.request({ type: 'invite', to: 'pat' });
      return answer.type === 'ack' ? (answer.result as CallResult) : undefined;
    });
    await event(pat, again.callId, 'invite');
    // each node reconnects by itself, with backoff: pat's may come back a moment after carol's
    const accepted = await until('accept after Redis returned', async () => {
      const answer = await pat.request({ type: 'accept', callId: again.callId });
      if (answer.type === 'error') expect(answer).toMatchObject({ code: 'STORE_UNAVAILABLE' });
      return answer.type === 'ack' ? answer.result : undefined;
    });
    expect(accepted).toMatchObject({ state: 'accepted' });
    await event(carol, again.callId, 'accepted');
  });

  it('keeps the history of calls that end while PostgreSQL is down, and writes it once it is back', async () => {
    const database: PostgresInstance = await startPostgres({ name: 'calls-history' });
    cleanup.push(() => database.stop());
    const cluster = await startCluster(1, { config: { CALL_RING_TIMEOUT_MS: 300 }, makeRecords: () => new PostgresRecords({ url: database.url, poolSize: 2, connectTimeoutMs: 1_000 }) });
    cleanup.push(() => cluster.stop());
    const carol = await cluster.connect(0, carolId);
    await cluster.connect(0, patId);

    await database.kill();
    const { callId } = (await carol.ok({ type: 'invite', to: 'pat' })) as CallResult;
    expect(await event(carol, callId, 'ended')).toMatchObject({ reason: 'missed' });
    expect(await carol.request({ type: 'calls' })).toMatchObject({ type: 'error', code: 'RECORDS_UNAVAILABLE', retryable: true });

    await database.start();
    const entry = await until('the held history entry written', async () => {
      const answer = await carol.request({ type: 'calls' });
      return answer.type === 'ack' ? (answer.result as CallsResult).calls.find((c) => c.callId === callId) : undefined;
    }, 20_000);
    expect(entry).toMatchObject({ callId, reason: 'missed', direction: 'outgoing', peer: 'pat' });
  });
});
