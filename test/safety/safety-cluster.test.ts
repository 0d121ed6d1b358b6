/**
 * The safety scenarios on real backends: three in-process nodes on the suite's RabbitMQ (routed),
 * Redis and PostgreSQL, namespaced per cluster. Plus what only real backends can show: two nodes
 * evaluating one patient at once commit one transition; an announcement a node could not make
 * (its bus failed right after it committed) is made by another node after the lease.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { AmqpBus } from '../../src/bus/amqp.ts';
import { BusError } from '../../src/bus/bus.ts';
import { PostgresRecords } from '../../src/records/postgres.ts';
import { RedisSafetyStore } from '../../src/store/redis-safety.ts';
import { RedisStore } from '../../src/store/redis.ts';
import { type Cluster, type ClusterOptions, startCluster } from '../support/cluster.ts';
import { Interceptor } from '../support/interceptor.ts';
import { HOME, SAFETY_TEST_CONFIG, Walker } from '../support/safety.ts';
import { describeSafetyScenarios } from './safety-scenarios.ts';

function realBackends(extra: Partial<ClusterOptions> = {}): ClusterOptions {
  const run = randomUUID().slice(0, 8);
  return {
    makeStore: () => new RedisStore({ url: inject('redisUrl'), prefix: `t-${run}:` }),
    makeSafetyStore: () => new RedisSafetyStore({ url: inject('redisUrl'), prefix: `t-${run}:` }),
    makeRecords: () => new PostgresRecords({ url: inject('databaseUrl'), poolSize: 2 }),
    makeBus: (i) => new AmqpBus({ url: inject('rabbitmqUrl'), topology: 'routed', exchange: `tether.test.safety.${run}`, durableExchange: false, nodeId: `node-${i}` }),
    ...extra,
  };
}

describeSafetyScenarios('RabbitMQ + Redis + PostgreSQL', () => realBackends());

describe('safety on real backends, the hard parts', () => {
  let cluster: Cluster | undefined;
  afterEach(() => cluster?.stop());

  it('two nodes weighing the same patient at once commit one transition: one alert', async () => {
    cluster = await startCluster(3, { ...realBackends(), config: SAFETY_TEST_CONFIG });
    const pat = `pat-${randomUUID().slice(0, 6)}`;
    const carol = await cluster.connect(2, { sub: 'carol', role: 'caregiver', patients: [pat] });
    await carol.ok({ type: 'subscribe', channel: `alerts:${pat}` });
    await carol.ok({ type: 'zone_put', patientId: pat, zone: HOME });
    const walker = new Walker();
    const sender = { userId: pat, role: 'patient', sessionId: 'x' };
    for (let i = 0; i < 3; i++) await cluster.nodes[0]!.safety.positionAccepted(sender, walker.at(0));
    // two devices of the patient on two nodes, racing fix by fix
    for (let i = 0; i < 4; i++) {
      const [a, b] = [walker.at(400), walker.at(401)];
      await Promise.all([cluster.nodes[0]!.safety.positionAccepted(sender, a), cluster.nodes[1]!.safety.positionAccepted(sender, b)]);
    }
    const raised = await carol.next('alert');
    expect(raised.alert.reason).toBe('zone_exit');
    // a later announcement on the same channel proves nothing else was on its way before it
    await carol.ok({ type: 'alert_ack', patientId: pat, alertId: raised.alert.alertId });
    await carol.next('alert', (a) => a.event === 'acknowledged');
    expect(carol.received.filter((f) => f.type === 'alert' && f.event === 'raised')).toHaveLength(1);
    const conflicts = await Promise.all(cluster.nodes.map(async (n) => (await n.metrics.safetyConflicts.get()).values[0]?.value ?? 0));
    expect(conflicts.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
  });

  it('an alert whose node could not announce it (its bus failed after the commit) is announced by another node after the lease', async () => {
    const interceptor = new Interceptor();
    // no dwell: it would come due (1.2 s) before the lease (1.5 s) and be announced first by another node
    const config = { ...SAFETY_TEST_CONFIG, SAFETY_DWELL_MS: 0 };
    cluster = await startCluster(3, { ...realBackends({ intercept: (i) => (i === 0 ? interceptor : undefined) }), config });
    const pat = `pat-${randomUUID().slice(0, 6)}`;
    const carol = await cluster.connect(2, { sub: 'carol', role: 'caregiver', patients: [pat] });
    await carol.ok({ type: 'subscribe', channel: `alerts:${pat}` });
    await carol.ok({ type: 'zone_put', patientId: pat, zone: HOME });
    const patient = await cluster.connect(0, { sub: pat, role: 'patient' });
    const walker = new Walker();
    for (let i = 0; i < 3; i++) await patient.ok({ type: 'location', position: walker.at(0) });
    interceptor.fail('bus.publish:before', new BusError('UNAVAILABLE', 'bus down (test)'), (args) => args[0] === `alerts:${pat}`);
    for (let i = 0; i < 3; i++) await patient.ok({ type: 'location', position: walker.at(400) });
    const raised = await carol.next('alert');
    expect(raised.alert.reason).toBe('zone_exit');
    expect(interceptor.calls('bus.publish:before')).toBeGreaterThan(0);
    const redelivered = await Promise.all(cluster.nodes.map(async (n) => (await n.metrics.safetyRedelivered.get()).values[0]?.value ?? 0));
    // announced by a ticker (node 0's own after the failure, or another's): not by the committing call
    expect(redelivered.reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
    // and the audit trail got it once
    await expect.poll(async () => (await carol.ok({ type: 'alerts', patientId: pat }) as { alerts: unknown[] }).alerts.length).toBe(1);
  });
});
